"""When a calendar is open and which slots fit: the rules, free of the database.

A slot starts on the business's slot grid inside a day's opening hours and
lasts the appointment's length; it is bookable between the notice period and
the end of the booking window.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from crm_app.models import Business, Calendar

# Sunday to Thursday, 9 to 5: the Israeli working week, when a business set nothing.
DEFAULT_HOURS: dict[str, list[list[str]]] = {
    day: [["09:00", "17:00"]] for day in ("sun", "mon", "tue", "wed", "thu")
}
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")  # date.weekday() order


@dataclass(frozen=True)
class Rules:
    """How one calendar books."""

    timezone: ZoneInfo
    hours: dict[str, list[list[str]]]
    slot: timedelta  # the grid starts fall on
    window_days: int
    notice: timedelta
    closed_dates: frozenset[date] = frozenset()

    @classmethod
    def of(cls, business: Business, calendar: Calendar | None = None) -> Rules:
        """The rules of ``calendar`` (its own hours, else the business's, else the default)."""
        hours = (calendar.hours if calendar is not None else None) or business.business_hours
        return cls(
            timezone=ZoneInfo(business.timezone),
            hours=hours or DEFAULT_HOURS,
            slot=timedelta(minutes=max(5, business.slot_minutes)),
            window_days=max(1, business.booking_window_days),
            notice=timedelta(minutes=max(0, business.min_notice_minutes)),
            closed_dates=frozenset(date.fromisoformat(d) for d in business.closed_dates or []),
        )

    def open_spans(self, day: date) -> list[tuple[datetime, datetime]]:
        """The opening hours of ``day`` as aware times (none on a closed date)."""
        if day in self.closed_dates:
            return []
        return [
            (
                datetime.combine(day, time.fromisoformat(start), tzinfo=self.timezone),
                datetime.combine(day, time.fromisoformat(end), tzinfo=self.timezone),
            )
            for start, end in self.hours.get(WEEKDAYS[day.weekday()], [])
        ]

    def day_slots(self, day: date, length: timedelta | None = None) -> list[datetime]:
        """Every slot start of ``day`` whose appointment of ``length`` ends within the hours."""
        length = length or self.slot
        slots: list[datetime] = []
        for start, end in self.open_spans(day):
            while start + length <= end:
                slots.append(start)
                start += self.slot
        return slots

    def bookable(self, start: datetime, now: datetime) -> bool:
        """Whether ``start`` is between the notice period and the end of the window."""
        return now + self.notice <= start <= now + timedelta(days=self.window_days)


def free_of(
    starts: list[datetime], length: timedelta, held: list[tuple[datetime, datetime]]
) -> list[datetime]:
    """The ``starts`` (ascending) whose ``length`` overlaps nothing ``held``, in one pass.

    The held times of one calendar never overlap one another (the exclusion constraint),
    so once sorted they are passed in order, each once, however many slots there are.
    """
    held = sorted(held)
    free, i = [], 0
    for start in starts:
        while i < len(held) and held[i][1] <= start:
            i += 1
        if i == len(held) or held[i][0] >= start + length:
            free.append(start)
    return free


@dataclass(frozen=True)
class Slot:
    """A free time and the calendars it is free in."""

    starts_at: datetime
    ends_at: datetime
    calendar_ids: tuple[int, ...]
