"""Where the business is in time: its local now, opening hours and closed dates, as agent text.

The voice agent cannot know the date, the weekday or whether the business is
open; the bridge puts this text into every call's instructions, written in the
agent's language. Everything here is pure: the caller passes ``now``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from crm_app.services.slots import DEFAULT_HOURS, WEEKDAYS

Hours = dict[str, list[list[str]]]
DAYS_SHOWN = 7
CLOSED_DATES_AHEAD_DAYS = 60
_NAMES = {  # date.weekday() order
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
    "he": ("יום שני", "יום שלישי", "יום רביעי", "יום חמישי", "יום שישי", "שבת", "יום ראשון"),
}
_TEXT = {
    "en": {
        "now": "The time at the business ({zone}): it is now {weekday}, {day} ({iso}), {clock}.",
        "week": "Opening hours for the next {n} days:",
        "closed_day": "closed",
        "closed_dates": "The business is also closed on: {dates}.",
        "open": "The business is open now.",
        "closed": "The business is CLOSED now{reopens}. Tell the caller that the business is "
        "closed right now and when it opens again, then take a message: ask for the details "
        "listed above and say that someone from the business will call back.",
        "reopens": " (it opens again on {weekday} {iso} at {clock})",
    },
    "he": {
        "now": "הזמן אצל העסק ({zone}): עכשיו {weekday}, {day} ({iso}), השעה {clock}.",
        "week": "שעות הפתיחה ב-{n} הימים הקרובים:",
        "closed_day": "סגור",
        "closed_dates": "העסק סגור גם בתאריכים: {dates}.",
        "open": "העסק פתוח עכשיו.",
        "closed": "העסק סגור עכשיו{reopens}. אמרו למתקשר שהעסק סגור כרגע ומתי ייפתח שוב, "
        "ואז קחו הודעה: בקשו את הפרטים שלמעלה ואמרו שמישהו מהעסק יחזור אליו.",
        "reopens": " (הוא ייפתח שוב ב{weekday} {iso} בשעה {clock})",
    },
}


@dataclass(frozen=True)
class OpeningHours:
    """A business's weekly hours and the dates it is closed on."""

    hours: Hours
    closed_dates: frozenset[date]

    @classmethod
    def of(cls, hours: Hours | None, closed_dates: list[str] | None) -> OpeningHours:
        """From the business's columns (the default week when it set no hours)."""
        return cls(
            hours=hours or DEFAULT_HOURS,
            closed_dates=frozenset(date.fromisoformat(d) for d in closed_dates or []),
        )

    def ranges(self, day: date) -> list[tuple[time, time]]:
        """The day's opening ranges; none on a closed date."""
        if day in self.closed_dates:
            return []
        return [
            (time.fromisoformat(start), time.fromisoformat(end))
            for start, end in self.hours.get(WEEKDAYS[day.weekday()], [])
        ]

    def is_open(self, local: datetime) -> bool:
        """Whether the business is open at the local time ``local``."""
        now = local.time().replace(tzinfo=None)
        return any(start <= now < end for start, end in self.ranges(local.date()))

    def next_opening(self, local: datetime, within_days: int = 14) -> datetime | None:
        """The next local time the business opens, after ``local``."""
        for offset in range(within_days + 1):
            day = local.date() + timedelta(days=offset)
            for start, _ in self.ranges(day):
                opens = datetime.combine(day, start, tzinfo=local.tzinfo)
                if opens > local:
                    return opens
        return None

    def at_or_after(self, local: datetime) -> datetime:
        """``local`` when the business is open then, else its next opening (``local`` if none)."""
        if self.is_open(local):
            return local
        return self.next_opening(local) or local


def weekday_name(day: date, locale: str) -> str:
    """The weekday of ``day`` in Hebrew or English."""
    return _NAMES["en" if locale == "en" else "he"][day.weekday()]


def _day_line(opening: OpeningHours, day: date, locale: str) -> str:
    text = _TEXT["en" if locale == "en" else "he"]
    ranges = opening.ranges(day)
    shown = ", ".join(f"{s:%H:%M}-{e:%H:%M}" for s, e in ranges) if ranges else text["closed_day"]
    return f"- {weekday_name(day, locale)} {day.isoformat()}: {shown}"


def time_context(*, now: datetime, timezone: str, opening: OpeningHours, locale: str) -> str:
    """What the agent is told about the business's time: now, the coming week, open or closed.

    Args:
        now: the current instant (timezone-aware).
        timezone: the business's zone, such as ``Asia/Jerusalem``.
        opening: its hours and closed dates.
        locale: the agent's language, ``he`` or ``en``.
    """
    text = _TEXT["en" if locale == "en" else "he"]
    local = now.astimezone(ZoneInfo(timezone))
    today = local.date()
    lines = [
        text["now"].format(
            zone=timezone,
            weekday=weekday_name(today, locale),
            day=f"{today.day}.{today.month}.{today.year}",
            iso=today.isoformat(),
            clock=f"{local:%H:%M}",
        ),
        text["week"].format(n=DAYS_SHOWN),
        *(_day_line(opening, today + timedelta(days=i), locale) for i in range(DAYS_SHOWN)),
    ]
    horizon = today + timedelta(days=CLOSED_DATES_AHEAD_DAYS)
    ahead = sorted(d for d in opening.closed_dates if today <= d <= horizon)
    if ahead:
        lines.append(text["closed_dates"].format(dates=", ".join(d.isoformat() for d in ahead)))
    lines.append(_open_or_closed(opening, local, locale))
    return "\n".join(lines)


def _open_or_closed(opening: OpeningHours, local: datetime, locale: str) -> str:
    text = _TEXT["en" if locale == "en" else "he"]
    if opening.is_open(local):
        return text["open"]
    opens = opening.next_opening(local)
    reopens = (
        text["reopens"].format(
            weekday=weekday_name(opens.date(), locale),
            iso=opens.date().isoformat(),
            clock=f"{opens:%H:%M}",
        )
        if opens
        else ""
    )
    return text["closed"].format(reopens=reopens)
