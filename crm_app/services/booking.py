"""Booking rules, free times and bookings: one service for the voice agent and for people.

A calendar (a staff member or a room) has its own opening hours, or the
business's. A slot starts on the business's slot grid inside those hours, lasts
the appointment type's length (or one slot), and is bookable between the
notice period and the booking window. The database is what refuses a double
booking: an exclusion constraint over the calendar and the time range, so two
requests racing for one slot cannot both win, whichever process they run in.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlmodel import Session, col, select

from crm_app.models import (
    HOLDS_TIME,
    Appointment,
    AppointmentType,
    Business,
    Calendar,
    utcnow,
)
from crm_app.services.errors import Conflict, InvalidInput, NotFound
from crm_app.services.slots import Rules, Slot, free_of

MAX_SLOTS = 12
EXCLUSION_VIOLATION = "23P01"
DEADLOCK = "40P01"
DEADLOCK_TRIES = 3


def business_of(session: Session, business_id: int) -> Business:
    """The business (``NotFound`` if it is gone)."""
    business = session.get(Business, business_id)
    if business is None:
        raise NotFound("no such business")
    return business


def calendars(session: Session, business_id: int) -> list[Calendar]:
    """The business's active calendars, in their order."""
    query = select(Calendar).where(
        col(Calendar.business_id) == business_id, col(Calendar.active).is_(True)
    )
    return list(session.exec(query.order_by(col(Calendar.position), col(Calendar.id))))


def calendar_of(session: Session, business_id: int, calendar_id: int) -> Calendar:
    """One of the business's active calendars (``NotFound`` for another business's)."""
    calendar = session.get(Calendar, calendar_id)
    if calendar is None or calendar.business_id != business_id or not calendar.active:
        raise NotFound("no such calendar", key="errors.calendar_not_found")
    return calendar


def active_types(session: Session, business_id: int) -> list[AppointmentType]:
    """The appointment types the business offers, by name."""
    query = select(AppointmentType).where(
        col(AppointmentType.business_id) == business_id, col(AppointmentType.active).is_(True)
    )
    return list(session.exec(query.order_by(col(AppointmentType.name))))


def type_named(session: Session, business_id: int, name: str) -> AppointmentType | None:
    """The offered type called ``name`` (case and spaces aside); None for no name.

    Raises:
        NotFound: no offered type has that name.
    """
    wanted = " ".join(name.split()).casefold()
    if not wanted:
        return None
    for kind in active_types(session, business_id):
        if kind.name.casefold() == wanted:
            return kind
    raise NotFound(f"no appointment type is called {name!r}", key="errors.type_not_found")


def type_of(session: Session, business_id: int, type_id: int | None) -> AppointmentType | None:
    """One of the business's appointment types (``NotFound`` for another business's)."""
    if type_id is None:
        return None
    kind = session.get(AppointmentType, type_id)
    if kind is None or kind.business_id != business_id or not kind.active:
        raise NotFound("no such appointment type", key="errors.type_not_found")
    return kind


def length_of(business: Business, kind: AppointmentType | None) -> timedelta:
    """How long an appointment of ``kind`` lasts (one slot when it has no type)."""
    return timedelta(minutes=kind.minutes if kind else max(5, business.slot_minutes))


def taken(
    session: Session, calendar_ids: list[int], start: datetime, end: datetime, skip: int | None
) -> dict[int, list[tuple[datetime, datetime]]]:
    """Per calendar, the held times that overlap ``[start, end)`` (leaving out ``skip``)."""
    query = select(Appointment.calendar_id, Appointment.starts_at, Appointment.ends_at).where(
        col(Appointment.calendar_id).in_(calendar_ids),
        col(Appointment.status).in_(HOLDS_TIME),
        sa.func.tstzrange(Appointment.starts_at, Appointment.ends_at, "[)").op("&&")(
            sa.func.tstzrange(start, end, "[)")
        ),
    )
    if skip is not None:
        query = query.where(col(Appointment.id) != skip)
    held: dict[int, list[tuple[datetime, datetime]]] = {c: [] for c in calendar_ids}
    for calendar_id, starts, ends in session.connection().execute(query):  # no ORM rows
        held[calendar_id].append((starts, ends))
    return held


def free_between(
    session: Session,
    *,
    business_id: int,
    start: date,
    end: date,
    calendar_id: int | None = None,
    type_id: int | None = None,
    now: datetime | None = None,
) -> list[Slot]:
    """The free slots of the days ``[start, end]`` (UTC times): in one calendar, or in any."""
    business = business_of(session, business_id)
    kind = type_of(session, business_id, type_id)
    chosen = (
        [calendar_of(session, business_id, calendar_id)]
        if calendar_id is not None
        else calendars(session, business_id)
    )
    if not chosen:
        return []
    now, length = now or utcnow(), length_of(business, kind)
    rules = {c.id: Rules.of(business, c) for c in chosen if c.id is not None}
    zone = ZoneInfo(business.timezone)
    first = datetime.combine(start, time(), tzinfo=zone)
    last = datetime.combine(end + timedelta(days=1), time(), tzinfo=zone)
    held = taken(session, list(rules), first, last, None)
    days = [start + timedelta(days=n) for n in range((end - start).days + 1)]
    found: dict[datetime, list[int]] = {}
    for cid, rule in rules.items():
        # In UTC from here: comparing times of one zone object skips their offsets.
        lo, hi = (
            now.astimezone(UTC) + rule.notice,
            now.astimezone(UTC) + timedelta(days=rule.window_days),
        )
        utc = (s.astimezone(UTC) for d in days for s in rule.day_slots(d, length))
        for s in free_of([s for s in utc if lo <= s <= hi], length, held[cid]):
            found.setdefault(s, []).append(cid)
    return [Slot(s, s + length, tuple(ids)) for s, ids in sorted(found.items())]


def free_slots(
    session: Session,
    *,
    business_id: int,
    day: date,
    now: datetime | None = None,
    type_id: int | None = None,
) -> list[datetime]:
    """The free slots of ``day`` in any calendar, at most twelve, in the business's zone."""
    zone = ZoneInfo(business_of(session, business_id).timezone)
    slots = free_between(
        session, business_id=business_id, start=day, end=day, now=now, type_id=type_id
    )
    return [s.starts_at.astimezone(zone) for s in slots][:MAX_SLOTS]


def next_free_days(
    session: Session, *, business_id: int, after: date, days: int = 3, now: datetime | None = None
) -> list[date]:
    """The next days (after ``after``) that have a free slot."""
    business = business_of(session, business_id)
    zone = ZoneInfo(business.timezone)
    start = after + timedelta(days=1)
    end = after + timedelta(days=max(1, business.booking_window_days))
    slots = free_between(session, business_id=business_id, start=start, end=end, now=now)
    found = sorted({s.starts_at.astimezone(zone).date() for s in slots})
    return found[:days]


@dataclass(frozen=True)
class Request:
    """What a booking asks for."""

    starts_at: datetime
    calendar_id: int | None = None  # None: the first calendar free at that time
    type_id: int | None = None
    title: str = ""


def _check(rules: Rules, start: datetime, length: timedelta, now: datetime) -> None:
    local = start.astimezone(rules.timezone)
    if local not in rules.day_slots(local.date(), length):
        raise InvalidInput(
            "that time is outside the opening hours or off the slot grid",
            field="starts_at",
            key="errors.slot_outside_hours",
        )
    if not rules.bookable(local, now):
        raise InvalidInput(
            "that time is too soon or too far ahead to book",
            field="starts_at",
            key="errors.slot_out_of_window",
        )


def _taken() -> Conflict:
    return Conflict("that time was just booked", key="errors.slot_taken")


def _hold(
    session: Session, appointment: Appointment, change: Callable[[], None] | None = None
) -> bool:
    """Write ``appointment`` (after ``change``) in a savepoint; False when the constraint refuses.

    The change is made inside the savepoint: opening one flushes what is pending first. Two
    transactions inserting overlapping times at once may each wait for the other's check;
    Postgres then aborts one of them as a deadlock, and that one tries again: by then the
    other has committed (the time is taken) or rolled back (it is free).
    """
    for _ in range(DEADLOCK_TRIES):
        try:
            with session.begin_nested():
                if change is not None:
                    change()
                session.add(appointment)
                session.flush()
        except (IntegrityError, OperationalError) as exc:
            code = getattr(exc.orig, "pgcode", None)  # psycopg2's SQLSTATE
            if code == EXCLUSION_VIOLATION:
                return False
            if code != DEADLOCK:
                raise
            continue
        return True
    return False


def _candidates(session: Session, business_id: int, calendar_id: int | None) -> list[Calendar]:
    if calendar_id is not None:
        return [calendar_of(session, business_id, calendar_id)]
    found = calendars(session, business_id)
    if not found:
        raise NotFound("the business has no calendar", key="errors.calendar_not_found")
    return found


def book(
    session: Session,
    *,
    business_id: int,
    request: Request,
    lead_id: int | None = None,
    call_id: int | None = None,
    booked_by_id: int | None = None,
    now: datetime | None = None,
) -> Appointment:
    """Book ``request`` under the calendar's rules.

    Raises:
        InvalidInput: outside the hours, off the grid, or outside the notice and window.
        Conflict: the time is taken in the calendar (in every calendar, when none was named).
        NotFound: a calendar or type of another business.
    """
    business = business_of(session, business_id)
    kind = type_of(session, business_id, request.type_id)
    length, now = length_of(business, kind), now or utcnow()
    checked: InvalidInput | None = None
    for calendar in _candidates(session, business_id, request.calendar_id):
        try:
            _check(Rules.of(business, calendar), request.starts_at, length, now)
        except InvalidInput as exc:
            checked = checked or exc
            continue
        assert calendar.id is not None
        appointment = Appointment(
            business_id=business_id,
            calendar_id=calendar.id,
            type_id=kind.id if kind else None,
            lead_id=lead_id,
            call_id=call_id,
            booked_by_id=booked_by_id,
            starts_at=request.starts_at,
            ends_at=request.starts_at + length,
            title=(request.title or (kind.name if kind else ""))[:200],
        )
        if _hold(session, appointment):
            return appointment
        checked = None
    raise checked or _taken()


def move(
    session: Session,
    *,
    appointment: Appointment,
    starts_at: datetime,
    calendar_id: int | None = None,
    now: datetime | None = None,
) -> Appointment:
    """Move ``appointment`` to ``starts_at`` (and to ``calendar_id``), keeping its length."""
    business = business_of(session, appointment.business_id)
    target = calendar_of(session, business.id or 0, calendar_id or appointment.calendar_id)
    length = appointment.ends_at - appointment.starts_at
    _check(Rules.of(business, target), starts_at, length, now or utcnow())
    assert target.id is not None
    calendar_id = target.id

    def change() -> None:
        appointment.calendar_id, appointment.starts_at = calendar_id, starts_at
        appointment.ends_at, appointment.timed_at = starts_at + length, utcnow()
        if appointment.status == "confirmed":  # a new time to confirm
            appointment.status, appointment.confirmed_at = "scheduled", None

    if not _hold(session, appointment, change):
        session.refresh(appointment)  # the savepoint's rollback left it as it was
        raise _taken()
    return appointment
