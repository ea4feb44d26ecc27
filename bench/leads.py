"""Lead list and export benchmark on Postgres, with anchors measured in the same run.

List: p95 of our query builder (page + capped/estimated count) for the first
page, page 1,000, name-fragment searches and phone-digit searches, against the
original system's query (ILIKE over four columns, OFFSET, a separate COUNT(*)).
Export: rows/s of our CSV and XLSX against ``COPY (the same query) TO STDOUT
WITH CSV``, and the peak RSS of a fresh process doing each export.

Run: ``python -m bench leads`` (``BENCH_DATABASE_URL`` to choose the server).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import IO, cast

import sqlalchemy as sa

from bench.common import bench_database, report_ratio
from crm_app.db import build_engine, unit_of_work, use_engine
from crm_app.migrate import upgrade_to_head
from crm_app.models import Lead, Role
from crm_app.services import exports, lead_query
from crm_app.services.auth import Principal
from crm_app.services.lead_query import Cursor, LeadFilters

NAME_TERMS = [
    "כהן",
    "לוי",
    "מזרחי",
    "ביטון",
    "אביט",
    "רוזנ",
    "גולד",
    "משה",
    "נועה",
    "smith",
    "dan",
    "john",
    "kaiser",
    "will",
    "gmail",
    "walla",
    "david",
    "שפיר",
]
PHONE_TERMS = [
    "050",
    "0541",
    "054-123",
    "052 765",
    "+9725012",
    "972501234",
    "4567",
    "8658",
    "12345",
]
RUNS = 5


def principal_for(business_id: int) -> Principal:
    return Principal(
        user_id=0,
        business_id=business_id,
        role=Role.OWNER,
        email="bench@example.com",
        name="bench",
        locale="he",
        business_name="bench",
        timezone="Asia/Jerusalem",
    )


def p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20)[-1] if len(samples) >= 2 else samples[0]


def timed(fn: Callable[[], object], runs: int = RUNS) -> list[float]:
    fn()  # warm-up
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def ours(principal: Principal, filters: LeadFilters, cursor: str | None = None) -> None:
    with unit_of_work() as session:
        lead_query.fetch_page(
            session, principal=principal, filters=filters, cursor=cursor, limit=50
        )


ORIGINAL_WHERE = (
    "business_id = :b AND (name ILIKE :p OR email ILIKE :p OR phone_e164 ILIKE :p OR city ILIKE :p)"
)


def original(engine: sa.Engine, business_id: int, q: str | None, page: int) -> None:
    where = ORIGINAL_WHERE if q else "business_id = :b"
    params = {"b": business_id, "p": f"%{q}%", "o": (page - 1) * 50}
    with engine.connect() as conn:
        conn.execute(
            sa.text(
                f"SELECT * FROM lead WHERE {where} ORDER BY created_at DESC OFFSET :o LIMIT 50"
            ),
            params,
        ).all()
        conn.execute(sa.text(f"SELECT count(*) FROM lead WHERE {where}"), params).scalar()


def deep_cursor(engine: sa.Engine, business_id: int, page: int) -> str:
    with engine.connect() as conn:
        row = conn.execute(
            sa.text(
                "SELECT created_at, id FROM lead WHERE business_id = :b"
                " ORDER BY created_at DESC, id DESC OFFSET :o LIMIT 1"
            ),
            {"b": business_id, "o": (page - 1) * 50 - 1},
        ).one()
    return Cursor(row.created_at, row.id).encode()


@dataclass
class Workload:
    name: str
    ours: list[float]
    original: list[float]
    target_ms: float


def list_workloads(engine: sa.Engine, business_id: int) -> list[Workload]:
    principal = principal_for(business_id)
    cursor = deep_cursor(engine, business_id, 1000)
    found = [
        Workload(
            "first page",
            timed(lambda: ours(principal, LeadFilters())),
            timed(lambda: original(engine, business_id, None, 1)),
            20,
        ),
        Workload(
            "page 1,000",
            timed(lambda: ours(principal, LeadFilters(), cursor)),
            timed(lambda: original(engine, business_id, None, 1000)),
            50,
        ),
    ]
    for label, terms in (("name search", NAME_TERMS), ("phone search", PHONE_TERMS)):
        mine: list[float] = []
        theirs: list[float] = []
        for term in terms:
            mine += timed(partial(ours, principal, LeadFilters(q=term)))
            theirs += timed(partial(original, engine, business_id, term, 1), runs=2)
        found.append(Workload(label, mine, theirs, 20))
    return found


class _Sink(io.RawIOBase):
    def __init__(self) -> None:
        self.size = 0

    def writable(self) -> bool:
        return True

    def write(self, data: object) -> int:
        n = len(data)  # type: ignore[arg-type]
        self.size += n
        return n


def copy_anchor(engine: sa.Engine, business_id: int) -> tuple[int, float]:
    """COPY of the list's own query (no labels, no formatting): the speed of light."""
    principal = principal_for(business_id)
    query = lead_query.ordered(
        lead_query.base_select(
            principal,
            LeadFilters(),
            *[
                getattr(Lead, c)
                for c in (
                    "id",
                    "name",
                    "phone_e164",
                    "email",
                    "status_id",
                    "source",
                    "owner_id",
                    "city",
                    "created_at",
                    "last_contact_at",
                )
            ],
        ),
        LeadFilters(),
    )
    with engine.connect() as conn:
        compiled = query.compile(dialect=conn.dialect, compile_kwargs={"render_postcompile": True})
        cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        sql = cursor.mogrify(str(compiled), compiled.params).decode()
        start = time.perf_counter()
        cursor.copy_expert(f"COPY ({sql}) TO STDOUT WITH CSV", _Sink())
        return cursor.rowcount, time.perf_counter() - start


def export_in_subprocess(url: str, business_id: int, fmt: str) -> dict[str, float]:
    """Run one export in a fresh process; returns its rows/s and peak RSS."""
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.leads",
            "--export-worker",
            fmt,
            "--url",
            url,
            "--business",
            str(business_id),
        ],
        capture_output=True,
        text=True,
        check=True,
        env=dict(os.environ),
    )
    figures: dict[str, float] = json.loads(result.stdout.strip().splitlines()[-1])
    return figures


def export_worker(url: str, business_id: int, fmt: exports.Format) -> None:
    use_engine(build_engine(url))
    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    sink = _Sink()
    start = time.perf_counter()
    with unit_of_work() as session:
        writer = exports.write_csv if fmt == "csv" else exports.write_xlsx
        rows = writer(
            session,
            principal=principal_for(business_id),
            filters=LeadFilters(),
            locale="he",
            out=cast(IO[bytes], sink),
        )
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        json.dumps(
            {
                "rows": rows,
                "seconds": seconds,
                "rows_per_s": rows / seconds,
                "peak_rss_mb": peak,
                "baseline_rss_mb": baseline,
                "bytes": sink.size,
            }
        )
    )


def run(rows: int, fresh: bool) -> None:
    url, business_id = bench_database("crm_bench_leads", rows, fresh)
    engine = build_engine(url)
    use_engine(engine)
    upgrade_to_head(engine)
    print(f"\n== lead list (business {business_id}: 500,000 of {rows:,} leads), ms")
    print(f"{'workload':<14} {'ours p50':>9} {'ours p95':>9} {'orig p95':>9} {'target':>7}  ratio")
    for w in list_workloads(engine, business_id):
        ratio = report_ratio(p95(w.ours), p95(w.original))
        ok = "ok" if p95(w.ours) <= w.target_ms else "MISSED"
        print(
            f"{w.name:<14} {statistics.median(w.ours):9.2f} {p95(w.ours):9.2f} "
            f"{p95(w.original):9.1f} {w.target_ms:>6.0f}  {ratio} ({ok})"
        )
    copy_rows, copy_s = copy_anchor(engine, business_id)
    copy_rate = copy_rows / copy_s
    print(f"\n== export of {copy_rows:,} rows; anchor COPY: {copy_rate:,.0f} rows/s")
    for fmt in ("csv", "xlsx"):
        result = export_in_subprocess(url, business_id, fmt)
        rate, peak, base = result["rows_per_s"], result["peak_rss_mb"], result["baseline_rss_mb"]
        print(
            f"{fmt:<5} {rate:>10,.0f} rows/s = {rate / copy_rate:.2f} x COPY"
            f"  peak RSS {peak:.0f} MB (after imports {base:.0f} MB; target < 200 MB)"
        )
    engine.dispose()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench leads")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--fresh", action="store_true", help="regenerate the data")
    parser.add_argument("--export-worker", choices=["csv", "xlsx"])
    parser.add_argument("--url")
    parser.add_argument("--business", type=int)
    args = parser.parse_args(argv)
    if args.export_worker:
        export_worker(args.url, args.business, args.export_worker)
        return
    run(args.rows, args.fresh)


if __name__ == "__main__":
    main()
