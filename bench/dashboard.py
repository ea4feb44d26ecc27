"""Dashboard benchmark: each tile's server time at 144,000 calls in 30 days and 500,000 leads.

Ours: every tile as the dashboard computes it (:func:`crm_app.services.dashboard.compute`:
calls, sources, the funnel and calls per day read the running totals the
database keeps), its lists (call back today, missed calls, the latest
activity), and the whole page as the sum of them all. Anchor, measured in the same run on
the same rows: the same figures computed the way the original dashboard did,
from per-row timestamps and transcripts read out of the table (no stored
``spoke``, no covering index), bucketed in Python. Goal: each tile <= 40 ms,
the page <= 80 ms.

Run: ``python -m bench dashboard`` (``BENCH_DATABASE_URL`` to choose the server).
"""

from __future__ import annotations

import argparse
import functools
import secrets
import statistics
import time
from collections import Counter
from collections.abc import Callable
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import col

from bench.common import bench_database, report_ratio
from crm_app.db import get_engine, unit_of_work
from crm_app.models import Role, User
from crm_app.services import accounts, dashboard
from crm_app.services.auth import Principal, principal_for

CALLS = 144_000
DAYS = 30
LEADS = 1_000_000  # the big business holds half: 500,000


def _fill_calls(business_id: int) -> None:
    """144,000 inbound calls over the last 30 days (most answered, some missed)."""
    with get_engine().begin() as conn:
        have = conn.execute(
            sa.text("SELECT count(*) FROM call WHERE business_id = :b"), {"b": business_id}
        ).scalar_one()
        if have == CALLS:
            return
        conn.execute(sa.text("DELETE FROM call WHERE business_id = :b"), {"b": business_id})
        conn.execute(
            sa.text(
                f"""
                INSERT INTO call (business_id, call_sid, direction, from_number, to_number,
                  status, created_at, updated_at, started_at, ended_at, duration_sec,
                  end_reason, transcript, realtime_transcript, summary, pipeline, extracted)
                SELECT :b, 'CAbench' || n, 'inbound', '+9725' || lpad(n::text, 8, '0'),
                  '+97235000000', 'completed', t, t, t, t + interval '90 seconds',
                  30 + (n % 300), 'caller_hangup',
                  CASE WHEN n % 7 = 0 THEN '[]'::jsonb
                       ELSE '[{{"speaker": "caller", "text": "שלום, אני רוצה לקבוע תור"}},
                              {{"speaker": "agent", "text": "בשמחה"}}]'::jsonb END,
                  '[]'::jsonb, '', '{{}}'::jsonb, '{{}}'::jsonb
                FROM (SELECT n, now() - random() * interval '{DAYS} days' AS t
                      FROM generate_series(1, {CALLS}) AS n) AS g
                """
            ),
            {"b": business_id},
        )
    with get_engine().connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text("VACUUM ANALYZE call"))


def _principal(business_id: int) -> Principal:
    """The business's owner (the lead generator makes none: one is added the first time)."""
    with unit_of_work() as session:
        owner = session.execute(
            sa.select(User).where(
                col(User.business_id) == business_id, col(User.role) == Role.OWNER.value
            )
        ).scalar_one_or_none()
        if owner is None:
            owner = accounts.add_user(
                session,
                business_id=business_id,
                email=f"owner-{business_id}@bench.invalid",
                password=secrets.token_urlsafe(16),
                role=Role.OWNER,
            )
        return principal_for(session, owner)


def _p50(work: Callable[[], object], runs: int) -> float:
    work()  # warm the caches and the plans
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def _anchor(principal: Principal, period: dashboard.Range) -> None:
    """The figures from per-row reads: timestamps, transcripts, lengths, bucketed here."""
    zone = ZoneInfo(period.timezone)
    with unit_of_work(read_only=True) as session:
        rows = session.execute(
            sa.text(
                "SELECT created_at, direction, transcript, duration_sec FROM call "
                "WHERE business_id = :b AND created_at >= :s AND created_at < :e"
            ),
            {"b": principal.business_id, "s": period.start, "e": period.end},
        ).all()
        leads = session.execute(
            sa.text("SELECT source, status_id, created_at FROM lead WHERE business_id = :b"),
            {"b": principal.business_id},
        ).all()
    answered = [r for r in rows if r.direction == "inbound" and r.transcript]
    _ = (len(answered), len(rows) - len(answered))
    _ = statistics.mean([r.duration_sec or 0 for r in answered] or [0])
    _ = Counter(r.created_at.astimezone(zone).date() for r in rows)
    _ = Counter(r.source for r in leads if r.created_at >= period.start)
    _ = Counter(r.status_id for r in leads)


def _tile(name: str, principal: Principal, period: dashboard.Range) -> dashboard.Tile:
    tile = dashboard.compute(name, principal=principal, period=period)
    if tile.error:
        raise SystemExit(f"the {name} tile failed: {tile.error}")
    return tile


def _lists(principal: Principal, period: dashboard.Range) -> dashboard.Lists:
    with unit_of_work(read_only=True) as session:
        return dashboard.lists(session, principal=principal, period=period)


def main(argv: list[str]) -> None:
    """Generate (once) and measure."""
    parser = argparse.ArgumentParser(prog="python -m bench dashboard")
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--fresh", action="store_true", help="regenerate the data")
    args = parser.parse_args(argv)
    _, business_id = bench_database("crm_bench_leads", LEADS, args.fresh)
    _fill_calls(business_id)
    principal = _principal(business_id)
    period = dashboard.parse_range("30d", "", "", principal.timezone)
    anchor = _p50(lambda: _anchor(principal, period), max(3, args.runs // 3))
    print(f"dashboard at {CALLS:,} calls in {DAYS} days; anchor (per-row reads) {anchor:.1f} ms")
    total = 0.0
    for name in dashboard.TILES:
        ours = _p50(functools.partial(_tile, name, principal, period), args.runs)
        total += ours
        goal = "ok" if ours <= 40 else "over 40 ms"
        print(f"  {name:<13} p50 {ours:7.1f} ms  {report_ratio(ours, anchor)}  ({goal})")
    listed = _p50(functools.partial(_lists, principal, period), args.runs)
    total += listed
    print(f"  {'lists':<13} p50 {listed:7.1f} ms  {report_ratio(listed, anchor)}")
    goal = "ok" if total <= 80 else "over 80 ms"
    print(f"  whole page    p50 {total:7.1f} ms  {report_ratio(total, anchor)}  ({goal})")
