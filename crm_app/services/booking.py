"""Appointment slots and bookings: hours, closed dates, slot length, window, notice, time zone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from crm_app.models import Appointment, Business, utcnow
from crm_app.services.errors import Conflict, InvalidInput, NotFound

# Sunday to Thursday, 9 to 5: the Israeli working week, when a business set nothing.
DEFAULT_HOURS: dict[str, list[list[str]]] = {
    day: [["09:00", "17:00"]] for day in ("sun", "mon", "tue", "wed", "thu")
}
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")  # date.weekday() order
MAX_SLOTS = 12


@dataclass(frozen=True)
class Rules:
    """How a business books."""

    timezone: ZoneInfo
    hours: dict[str, list[list[str]]]
    slot: timedelta
    window_days: int
    notice: timedelta
    closed_dates: frozenset[date] = frozenset()

    @classmethod
    def of(cls, business: Business) -> Rules:
        """The business's rules (default hours when it set none)."""
        return cls(
            timezone=ZoneInfo(business.timezone),
            hours=business.business_hours or DEFAULT_HOURS,
            slot=timedelta(minutes=max(5, business.slot_minutes)),
            window_days=max(1, business.booking_window_days),
            notice=timedelta(minutes=max(0, business.min_notice_minutes)),
            closed_dates=frozenset(date.fromisoformat(d) for d in business.closed_dates or []),
        )


def _business(session: Session, business_id: int, lock: bool = False) -> Business:
    query = select(Business).where(col(Business.id) == business_id)
    business = session.exec(query.with_for_update() if lock else query).first()
    if business is None:
        raise NotFound("no such business")
    return business


def _day_slots(rules: Rules, day: date) -> list[datetime]:
    slots: list[datetime] = []
    if day in rules.closed_dates:
        return slots
    for start_text, end_text in rules.hours.get(WEEKDAYS[day.weekday()], []):
        start = datetime.combine(day, time.fromisoformat(start_text), tzinfo=rules.timezone)
        end = datetime.combine(day, time.fromisoformat(end_text), tzinfo=rules.timezone)
        while start + rules.slot <= end:
            slots.append(start)
            start += rules.slot
    return slots


def _taken(
    session: Session, business_id: int, day_start: datetime, day_end: datetime
) -> list[tuple[datetime, datetime]]:
    rows = session.exec(
        select(Appointment).where(
            col(Appointment.business_id) == business_id,
            col(Appointment.status) == "scheduled",
            col(Appointment.starts_at) < day_end,
            col(Appointment.ends_at) > day_start,
        )
    )
    return [(a.starts_at, a.ends_at) for a in rows]


def _bookable(rules: Rules, start: datetime, now: datetime) -> bool:
    return now + rules.notice <= start <= now + timedelta(days=rules.window_days)


def free_slots(
    session: Session, *, business_id: int, day: date, now: datetime | None = None
) -> list[datetime]:
    """The free slots of ``day`` (in the business's zone), at most twelve."""
    rules = Rules.of(_business(session, business_id))
    now = now or utcnow()
    candidates = [s for s in _day_slots(rules, day) if _bookable(rules, s, now)]
    if not candidates:
        return []
    taken = _taken(session, business_id, candidates[0], candidates[-1] + rules.slot)
    free = [s for s in candidates if not any(a < s + rules.slot and s < b for a, b in taken)]
    return free[:MAX_SLOTS]


def next_free_days(
    session: Session, *, business_id: int, after: date, days: int = 3, now: datetime | None = None
) -> list[date]:
    """The next days (after ``after``) that have a free slot."""
    rules = Rules.of(_business(session, business_id))
    found: list[date] = []
    for offset in range(1, rules.window_days + 1):
        day = after + timedelta(days=offset)
        if free_slots(session, business_id=business_id, day=day, now=now):
            found.append(day)
            if len(found) == days:
                break
    return found


def book(
    session: Session,
    *,
    business_id: int,
    starts_at: datetime,
    title: str,
    lead_id: int | None = None,
    call_id: int | None = None,
    now: datetime | None = None,
) -> Appointment:
    """Book a slot; the business row is locked so two calls cannot take the same slot.

    Raises:
        InvalidInput: outside hours, the window or the notice period.
        Conflict: the slot was taken.
    """
    business = _business(session, business_id, lock=True)
    rules = Rules.of(business)
    local = starts_at.astimezone(rules.timezone)
    if local not in _day_slots(rules, local.date()) or not _bookable(rules, local, now or utcnow()):
        raise InvalidInput("that time cannot be booked", field="starts_at")
    if _taken(session, business_id, local, local + rules.slot):
        raise Conflict("that slot was just taken")
    appointment = Appointment(
        business_id=business_id,
        lead_id=lead_id,
        call_id=call_id,
        starts_at=local,
        ends_at=local + rules.slot,
        title=title[:200],
    )
    session.add(appointment)
    session.flush()
    return appointment
