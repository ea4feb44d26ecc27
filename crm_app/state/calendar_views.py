"""The calendar's day and week as the page draws them (pure functions, tested directly).

A day is a column: its opening hours shaded, a clickable cell per free slot,
and each appointment a block placed by its start and length. Appointments that
overlap (in different calendars) share the column's width side by side.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from crm_app.i18n import translate
from crm_app.services.agent_time import weekday_name
from crm_app.services.appointments import Booked
from crm_app.services.slots import Rules

HOUR_PX = 56
DEFAULT_SPAN = (8, 18)  # the hours shown when nothing is open or booked


@dataclass(frozen=True)
class Block:
    """An appointment drawn in its day."""

    id: int
    top: str
    height: str
    left: str
    width: str
    time: str
    lead: str
    title: str
    status: str  # scheduled | confirmed | done
    status_label: str
    calendar: str


@dataclass(frozen=True)
class Band:
    """A stretch of the day: opening hours (shaded) or a free slot (a cell to click)."""

    top: str
    height: str
    time: str = ""


@dataclass(frozen=True)
class DayColumn:
    """One day of the view, with its appointments in time order."""

    iso: str
    label: str
    closed: bool
    today: bool
    open_bands: list[Band] = field(default_factory=list)
    free: list[Band] = field(default_factory=list)
    blocks: list[Block] = field(default_factory=list)


@dataclass(frozen=True)
class HourMark:
    """An hour line of the grid."""

    top: str
    label: str


def week_start(day: date, locale: str) -> date:
    """The first day of ``day``'s week: Sunday in Hebrew, Monday in English."""
    offset = (day.weekday() + 1) % 7 if locale == "he" else day.weekday()
    return day - timedelta(days=offset)


def day_label(day: date, locale: str) -> str:
    """``יום שני 7/12`` or ``Monday 7/12``."""
    return f"{weekday_name(day, locale)} {day.day}/{day.month}"


def _hours(minutes: float) -> str:
    return f"{minutes * HOUR_PX / 60:.0f}px"


def span_of(
    days: list[date], rules: list[Rules], booked: list[Booked], zone: ZoneInfo
) -> tuple[int, int]:
    """The first and last hour the grid shows: every opening hour and every appointment."""
    starts: list[float] = []
    ends: list[float] = []
    for day in days:
        for rule in rules:
            for start, end in rule.open_spans(day):
                starts.append(start.hour + start.minute / 60)
                ends.append(end.hour + end.minute / 60 if end.date() == day else 24)
    for b in booked:
        local_start = b.appointment.starts_at.astimezone(zone)
        local_end = b.appointment.ends_at.astimezone(zone)
        starts.append(local_start.hour)
        ends.append(
            local_end.hour + (1 if local_end.minute else 0)
            if local_end.date() == local_start.date()
            else 24
        )
    if not starts:
        return DEFAULT_SPAN
    return int(min(starts)), min(24, int(-(-max(ends) // 1)))


def hour_marks(first: int, last: int) -> list[HourMark]:
    """One mark per hour of the grid."""
    return [HourMark(_hours((h - first) * 60), f"{h:02d}:00") for h in range(first, last)]


def _minutes_from(value: datetime, day: date, first: int, zone: ZoneInfo) -> float:
    local = value.astimezone(zone)
    origin = datetime.combine(day, time(first), tzinfo=zone)
    return (local - origin).total_seconds() / 60


def _lanes(items: list[Booked]) -> list[tuple[int, int]]:
    """Each item's lane and the lane count of its overlapping group (greedy, in time order)."""
    placed: list[tuple[int, int]] = []
    group: list[int] = []
    lane_ends: list[datetime] = []
    group_end: datetime | None = None
    for index, item in enumerate(items):
        a = item.appointment
        if group_end is not None and a.starts_at >= group_end:
            for i in group:
                placed[i] = (placed[i][0], len(lane_ends))
            group, lane_ends, group_end = [], [], None
        lane = next((n for n, end in enumerate(lane_ends) if end <= a.starts_at), len(lane_ends))
        if lane == len(lane_ends):
            lane_ends.append(a.ends_at)
        else:
            lane_ends[lane] = a.ends_at
        placed.append((lane, 0))
        group.append(index)
        group_end = max(group_end, a.ends_at) if group_end else a.ends_at
    for i in group:
        placed[i] = (placed[i][0], len(lane_ends))
    return placed


def _block(
    item: Booked,
    day: date,
    first: int,
    zone: ZoneInfo,
    lane: tuple[int, int],
    locale: str,
    calendars: dict[int, str],
) -> Block:
    a = item.appointment
    top = max(0.0, _minutes_from(a.starts_at, day, first, zone))
    length = max(15.0, (a.ends_at - a.starts_at).total_seconds() / 60)
    index, count = lane
    return Block(
        id=a.id or 0,
        top=_hours(top),
        height=_hours(length),
        left=f"{100 * index / count:.2f}%",
        width=f"{100 / count:.2f}%",
        time=a.starts_at.astimezone(zone).strftime("%H:%M"),
        lead=item.lead_name,
        title=a.title,
        status=a.status,
        status_label=translate(f"appointments.status.{a.status}", locale),
        calendar=calendars.get(a.calendar_id, ""),
    )


@dataclass(frozen=True)
class ViewInput:
    """What a view is drawn from."""

    days: list[date]
    first_hour: int
    zone: ZoneInfo
    locale: str
    today: date
    rules: list[Rules]  # the shown calendars' rules
    booked: list[Booked]
    free: dict[date, list[datetime]]  # free slot starts per day
    slot_minutes: int
    calendars: dict[int, str]


def columns(view: ViewInput) -> list[DayColumn]:
    """The view's days, each with its shading, free cells and appointments."""
    out = []
    for day in view.days:
        mine = [
            b for b in view.booked if b.appointment.starts_at.astimezone(view.zone).date() == day
        ]
        spans = [s for rule in view.rules for s in rule.open_spans(day)]
        bands = [
            Band(
                _hours(_minutes_from(start, day, view.first_hour, view.zone)),
                _hours((end - start).total_seconds() / 60),
            )
            for start, end in spans
        ]
        free = [
            Band(
                _hours(_minutes_from(s, day, view.first_hour, view.zone)),
                _hours(view.slot_minutes),
                s.astimezone(view.zone).strftime("%H:%M"),
            )
            for s in view.free.get(day, [])
        ]
        lanes = _lanes(mine)
        out.append(
            DayColumn(
                iso=day.isoformat(),
                label=day_label(day, view.locale),
                closed=not spans,
                today=day == view.today,
                open_bands=bands,
                free=free,
                blocks=[
                    _block(b, day, view.first_hour, view.zone, lane, view.locale, view.calendars)
                    for b, lane in zip(mine, lanes, strict=True)
                ],
            )
        )
    return out
