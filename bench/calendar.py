"""Calendar benchmark: a week view and 30 days of free times, with 10,000 appointments.

Ours: what the week view reads (:func:`crm_app.services.appointments.in_range`
for the week, and :func:`crm_app.services.booking.free_between` for its seven
days), served by the GiST index of the exclusion constraint over each
calendar's time ranges. Anchor, measured in the same run on the same rows: the
same reads with that index gone (the constraint is dropped inside a
transaction that is rolled back). Goals: the week view <= 50 ms; free times
for 30 days <= 30 ms.

Run: ``python -m bench calendar`` (``BENCH_DATABASE_URL`` to choose the server).
"""

from __future__ import annotations

import argparse
import secrets
import statistics
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from datetime import time as clock
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import Session

from bench.common import ensure_database, report_ratio
from crm_app.db import build_engine, unit_of_work, use_engine
from crm_app.migrate import upgrade_to_head
from crm_app.models import Business, Calendar, Role, utcnow
from crm_app.services import accounts, appointments, booking, slots
from crm_app.services.auth import Principal, principal_for

APPOINTMENTS = 10_000
CALENDARS = 4
OTHER_BUSINESSES = 20  # each with as many appointments: the table is not the business's alone
OPEN_EVERY_DAY = {d: [["08:00", "20:00"]] for d in slots.WEEKDAYS}


def _business(session: Session, name: str) -> Business:
    business = accounts.create_business(
        session, name=name, phone=f"+1212{secrets.randbelow(10**7):07d}", locale="en"
    )
    business.business_hours, business.booking_window_days = OPEN_EVERY_DAY, 60
    session.add(business)
    assert business.id is not None
    session.add_all(
        Calendar(business_id=business.id, name=f"Room {i}", position=i) for i in range(1, CALENDARS)
    )
    session.flush()
    return business


def _fill(business_id: int) -> None:
    """Half-hour appointments, back to back in each calendar, from a month ago onwards."""
    with unit_of_work() as session:
        session.execute(
            sa.text(
                """
                INSERT INTO appointment (business_id, calendar_id, starts_at, ends_at, title,
                  status, created_at, updated_at)
                SELECT :b, c.id, s, s + interval '30 minutes', 'Check-up',
                  CASE WHEN n % 5 = 0 THEN 'confirmed' ELSE 'scheduled' END, now(), now()
                FROM (SELECT id, row_number() OVER (ORDER BY id) - 1 AS k FROM calendar
                      WHERE business_id = :b) AS c,
                     generate_series(0, :per - 1) AS n,
                     LATERAL (SELECT date_trunc('day', now()) - interval '30 days'
                       + (n / 24) * interval '1 day' + interval '8 hours'
                       + (n % 24) * interval '30 minutes' AS s) AS t
                """
            ),
            {"b": business_id, "per": APPOINTMENTS // CALENDARS},
        )


def _setup(fresh: bool) -> Principal:
    url = ensure_database("crm_bench_calendar", fresh)
    engine = build_engine(url)
    use_engine(engine)
    upgrade_to_head(engine)
    with unit_of_work() as session:
        found = session.execute(sa.text("SELECT id FROM business ORDER BY id LIMIT 1")).scalar()
    if found is None:
        for i in range(OTHER_BUSINESSES + 1):
            with unit_of_work() as session:
                made = _business(session, f"Clinic {i}")
            _fill(made.id or 0)
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text("VACUUM ANALYZE appointment"))
        found = 1
    with unit_of_work() as session:
        business = session.get(Business, found)
        assert business is not None
        owner = accounts.add_user(
            session,
            business_id=business.id or 0,
            email=f"owner-{secrets.token_hex(4)}@bench.invalid",
            password=secrets.token_urlsafe(16),
            role=Role.OWNER,
        )
        return principal_for(session, owner)


def _week(session: Session, principal: Principal, monday: datetime) -> int:
    booked = appointments.in_range(
        session, principal=principal, start=monday, end=monday + timedelta(days=7)
    )
    free = booking.free_between(
        session,
        business_id=principal.business_id,
        start=monday.date(),
        end=monday.date() + timedelta(days=6),
    )
    return len(booked) + len(free)


def _availability(session: Session, principal: Principal) -> int:
    today = utcnow().date()
    found = booking.free_between(
        session, business_id=principal.business_id, start=today, end=today + timedelta(days=29)
    )
    return len(found)


def _p50(work: Callable[[Session], object], runs: int, without_index: bool = False) -> float:
    with unit_of_work() as session:
        if without_index:
            session.execute(
                sa.text("ALTER TABLE appointment DROP CONSTRAINT ex_appointment_calendar_time")
            )
        work(session)  # warm the caches and the plans
        times = []
        for _ in range(runs):
            started = time.perf_counter()
            work(session)
            times.append(time.perf_counter() - started)
        session.rollback()  # the constraint comes back
    return statistics.median(times) * 1000


def main(argv: list[str]) -> None:
    """Generate (once) and measure."""
    parser = argparse.ArgumentParser(prog="python -m bench calendar")
    parser.add_argument("--runs", type=int, default=25)
    parser.add_argument("--fresh", action="store_true", help="regenerate the data")
    args = parser.parse_args(argv)
    principal = _setup(args.fresh)
    zone = ZoneInfo(principal.timezone)
    monday = datetime.combine(utcnow().date() + timedelta(days=1), clock(), tzinfo=zone)
    with unit_of_work(read_only=True) as session:
        shown = _week(session, principal, monday)
    print(
        f"calendar at {APPOINTMENTS:,} appointments in the business "
        f"({(OTHER_BUSINESSES + 1) * APPOINTMENTS:,} in all); the week shows {shown} items"
    )
    for name, work, goal in (
        ("week view", lambda s: _week(s, principal, monday), 50.0),
        ("30 days free", lambda s: _availability(s, principal), 30.0),
    ):
        ours = _p50(work, args.runs)
        anchor = _p50(work, max(5, args.runs // 3), without_index=True)
        verdict = "ok" if ours <= goal else f"over {goal:.0f} ms"
        print(
            f"  {name:<13} p50 {ours:7.2f} ms; without the range index {anchor:7.2f} ms  "
            f"{report_ratio(ours, anchor)}  ({verdict})"
        )
