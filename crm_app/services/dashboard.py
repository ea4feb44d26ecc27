"""The dashboard: figures for a date range in the business's zone, each from the list it links to.

Calls, new leads and the funnel are read from running totals the database
keeps (:mod:`crm_app.models.tally`): a few hundred rows for a month instead of
every call and lead. A total is what counting the list's rows gives, since the
triggers that keep it add each row as it is written; the tests compare the two
with the lists' own filter code (:mod:`crm_app.services.call_query`,
:mod:`crm_app.services.lead_query`), which also counts a range whose ends are
not on a quarter hour (a zone's offset in the distant past). Each tile is
computed on its own (:func:`compute`): one that fails reports its error and
the others still show.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col, func, select

from crm_app.db import unit_of_work
from crm_app.models import (
    Call,
    Lead,
    LeadStatus,
    LeadStatusChange,
    Note,
    Task,
    TaskKind,
    utcnow,
)
from crm_app.models.tally import CallTally, LeadStatusTally, LeadTally
from crm_app.services import appointments, call_query, lead_query, tasks
from crm_app.services.auth import Principal
from crm_app.services.errors import InvalidInput

logger = logging.getLogger(__name__)
PRESETS = {"today": 0, "7d": 6, "30d": 29}
MAX_DAYS = 366


@dataclass(frozen=True)
class Range:
    """Days ``first`` to ``last``, both included, in the business's zone."""

    first: date
    last: date
    timezone: str

    @property
    def start(self) -> datetime:
        """The first day's midnight."""
        return datetime.combine(self.first, time.min, tzinfo=ZoneInfo(self.timezone))

    @property
    def end(self) -> datetime:
        """The midnight after the last day."""
        return datetime.combine(
            self.last + timedelta(days=1), time.min, tzinfo=ZoneInfo(self.timezone)
        )

    @property
    def tallied(self) -> bool:
        """Whether both ends fall on a quarter hour, so the running totals cover the range."""
        edges = [edge.astimezone(UTC) for edge in (self.start, self.end)]
        return all(e.minute % 15 == 0 and e.second == 0 == e.microsecond for e in edges)

    def days(self) -> list[date]:
        """Every day of the range."""
        return [self.first + timedelta(days=i) for i in range((self.last - self.first).days + 1)]


def parse_range(preset: str, first: str, last: str, timezone: str) -> Range:
    """``today``, ``7d``, ``30d``, or ``custom`` from ``first`` to ``last`` (ISO dates).

    Raises:
        InvalidInput: an unknown preset, a bad date, an inverted or too long range.
    """
    today = utcnow().astimezone(ZoneInfo(timezone)).date()
    if preset in PRESETS:
        return Range(today - timedelta(days=PRESETS[preset]), today, timezone)
    if preset != "custom":
        raise InvalidInput("range is today, 7d, 30d or custom", field="range")
    start = lead_query.parse_date(first, "from") or today
    end = lead_query.parse_date(last, "to") or today
    if end < start or (end - start).days >= MAX_DAYS:
        raise InvalidInput(f"choose up to {MAX_DAYS} days, the first before the last", "to")
    return Range(start, end, timezone)


@dataclass(frozen=True)
class Part:
    """One figure of a tile: what it counts, how many, and the list it links to."""

    key: str
    value: float
    href: str


@dataclass(frozen=True)
class Tile:
    """A tile's figures, or the error that kept it from being counted."""

    name: str
    parts: list[Part] = field(default_factory=list)
    error: str = ""


def _calls_href(period: Range, **more: str) -> str:
    params = {"from": period.first.isoformat(), "to": period.last.isoformat(), **more}
    return "/calls?" + urlencode(params)


def _call_filters(period: Range, outcome: str) -> call_query.CallFilters:
    return call_query.CallFilters(
        direction="inbound", outcome=outcome, date_from=period.first, date_to=period.last
    )


def calls_tile(session: Session, principal: Principal, period: Range) -> list[Part]:
    """Inbound calls answered by the agent, missed or abandoned, and the answered ones' length."""
    if not period.tallied:
        return counted_calls_tile(session, principal, period)
    calls, answered, timed, seconds = session.exec(
        select(
            func.coalesce(func.sum(CallTally.calls), 0),
            func.coalesce(func.sum(CallTally.answered), 0),
            func.coalesce(func.sum(CallTally.answered_timed), 0),
            func.coalesce(func.sum(CallTally.answered_seconds), 0),
        ).where(*_tallied_calls(principal, period))
    ).one()
    return _call_parts(period, int(answered), int(calls) - int(answered),
                       float(seconds) / int(timed) if timed else 0.0)  # fmt: skip


def _tallied_calls(principal: Principal, period: Range) -> tuple[ColumnElement[bool], ...]:
    return (
        col(CallTally.business_id) == principal.business_id,
        col(CallTally.direction) == "inbound",
        col(CallTally.bucket) >= period.start,
        col(CallTally.bucket) < period.end,
    )


def _call_parts(period: Range, answered: int, missed: int, average: float) -> list[Part]:
    return [
        Part("answered", answered, _calls_href(period, direction="inbound", outcome="answered")),
        Part("missed", missed, _calls_href(period, direction="inbound", outcome="missed")),
        Part("average_seconds", round(average),
             _calls_href(period, direction="inbound", outcome="answered")),
    ]  # fmt: skip


def counted_calls_tile(session: Session, principal: Principal, period: Range) -> list[Part]:
    """:func:`calls_tile` by counting the rows, with the call list's own conditions."""
    answered = call_query.outcome_condition("answered")
    where = call_query.conditions(session, principal, _call_filters(period, ""))
    counts = session.exec(
        select(
            func.count().filter(answered),
            func.count().filter(call_query.outcome_condition("missed")),
            func.avg(Call.duration_sec).filter(answered),
        )
        .select_from(Call)
        .where(*where)
    ).one()
    return _call_parts(period, int(counts[0]), int(counts[1]), float(counts[2] or 0))


def _leads_href(**params: str) -> str:
    return "/leads?" + urlencode(params)


def sources_tile(session: Session, principal: Principal, period: Range) -> list[Part]:
    """New leads in the range, by source (the most first)."""
    if not period.tallied:
        return counted_sources_tile(session, principal, period)
    leads = func.sum(LeadTally.leads)
    rows = session.exec(
        select(LeadTally.source, leads)
        .where(
            col(LeadTally.business_id) == principal.business_id,
            col(LeadTally.bucket) >= period.start,
            col(LeadTally.bucket) < period.end,
        )
        .group_by(col(LeadTally.source))
        .having(leads > 0)
        .order_by(leads.desc(), col(LeadTally.source))
    ).all()
    return _source_parts(period, [(source, int(n)) for source, n in rows])


def _source_parts(period: Range, rows: list[tuple[str, int]]) -> list[Part]:
    dates = {"created_from": period.first.isoformat(), "created_to": period.last.isoformat()}
    return [Part(source, n, _leads_href(source=source, **dates)) for source, n in rows]


def counted_sources_tile(session: Session, principal: Principal, period: Range) -> list[Part]:
    """:func:`sources_tile` by counting the rows, with the lead list's own conditions."""
    filters = lead_query.LeadFilters(created_from=period.first, created_to=period.last)
    rows = session.exec(
        select(Lead.source, func.count())
        .select_from(Lead)
        .join(LeadStatus, col(LeadStatus.id) == col(Lead.status_id))
        .where(*lead_query.conditions(principal, filters))
        .group_by(col(Lead.source))
        .order_by(func.count().desc(), col(Lead.source))
    ).all()
    return _source_parts(period, [(source, int(n)) for source, n in rows])


def funnel_tile(session: Session, principal: Principal, period: Range) -> list[Part]:
    """Every lead by its status now, in pipeline order (the range does not apply)."""
    rows = session.exec(
        select(LeadStatus.key, sa.func.coalesce(LeadStatusTally.leads, 0))
        .select_from(LeadStatus)
        .outerjoin(
            LeadStatusTally,
            sa.and_(
                col(LeadStatusTally.status_id) == col(LeadStatus.id),
                col(LeadStatusTally.business_id) == principal.business_id,
            ),
        )
        .where(col(LeadStatus.business_id) == principal.business_id)
        .order_by(col(LeadStatus.position))
    ).all()
    return [Part(key, int(n), _leads_href(status=key)) for key, n in rows]


def counted_funnel_tile(session: Session, principal: Principal, period: Range) -> list[Part]:
    """:func:`funnel_tile` by counting the rows (the business's status index alone)."""
    counts = (
        select(col(Lead.status_id).label("status_id"), func.count().label("n"))
        .where(col(Lead.business_id) == principal.business_id)
        .group_by(col(Lead.status_id))
        .subquery()
    )
    rows = session.exec(
        select(LeadStatus.key, sa.func.coalesce(counts.c.n, 0))
        .select_from(LeadStatus)
        .outerjoin(counts, counts.c.status_id == col(LeadStatus.id))
        .where(col(LeadStatus.business_id) == principal.business_id)
        .order_by(col(LeadStatus.position))
    ).all()
    return [Part(key, int(n), _leads_href(status=key)) for key, n in rows]


def appointments_tile(session: Session, principal: Principal, period: Range) -> list[Part]:
    """Appointments booked during the range."""
    booked = appointments.count_booked(
        session, principal=principal, start=period.start, end=period.end
    )
    dates = {"from": period.first.isoformat(), "to": period.last.isoformat()}
    return [Part("booked", booked, "/appointments?" + urlencode(dates))]


def tasks_tile(session: Session, principal: Principal, period: Range) -> list[Part]:
    """My tasks due today and overdue: what "my day" lists."""
    day = tasks.my_day(session, principal=principal)
    return [
        Part("due_today", len(day.today), "/tasks"),
        Part("overdue", len(day.overdue), "/tasks"),
    ]


def calls_per_day(session: Session, principal: Principal, period: Range) -> list[Part]:
    """Inbound calls on each day of the range (days without calls count 0)."""
    if not period.tallied:
        return counted_calls_per_day(session, principal, period)
    local_day = func.date(func.timezone(period.timezone, col(CallTally.bucket)))
    rows = session.exec(
        select(local_day, func.sum(CallTally.calls))
        .where(*_tallied_calls(principal, period))
        .group_by(local_day)
    ).all()
    return _day_parts(period, {day: int(n) for day, n in rows})


def _day_parts(period: Range, counts: dict[date, int]) -> list[Part]:
    return [
        Part(day.isoformat(), counts.get(day, 0), _calls_href(Range(day, day, period.timezone)))
        for day in period.days()
    ]


def counted_calls_per_day(session: Session, principal: Principal, period: Range) -> list[Part]:
    """:func:`calls_per_day` by counting the rows, with the call list's own conditions."""
    local_day = func.date(func.timezone(period.timezone, col(Call.created_at)))
    where = call_query.conditions(
        session,
        principal,
        call_query.CallFilters(direction="inbound", date_from=period.first, date_to=period.last),
    )
    rows = session.exec(select(local_day, func.count()).where(*where).group_by(local_day)).all()
    return _day_parts(period, {day: int(n) for day, n in rows})


# Each tile counted from the rows: what the running totals must always equal.
COUNTED = {
    "calls": counted_calls_tile,
    "sources": counted_sources_tile,
    "funnel": counted_funnel_tile,
    "per_day": counted_calls_per_day,
}
TILES: dict[str, Callable[[Session, Principal, Range], list[Part]]] = {
    "calls": calls_tile,
    "sources": sources_tile,
    "appointments": appointments_tile,
    "tasks": tasks_tile,
    "funnel": funnel_tile,
    "per_day": calls_per_day,
}


def compute(name: str, *, principal: Principal, period: Range) -> Tile:
    """One tile in its own read-only unit of work; an error stays in that tile."""
    try:
        with unit_of_work(read_only=True) as session:
            return Tile(name, TILES[name](session, principal, period))
    except Exception as exc:  # a tile's failure must not take the dashboard down
        logger.exception("dashboard tile failed tile=%s business=%s", name, principal.business_id)
        return Tile(name, error=type(exc).__name__)


@dataclass(frozen=True)
class Activity:
    """One recent event in the business: what happened, to which lead, and when."""

    kind: str  # lead | call | note | status
    at: datetime
    lead_id: int | None
    lead_name: str
    detail: str  # the source, the call's direction, the note's start, the new status key
    href: str


@dataclass(frozen=True)
class Lists:
    """The dashboard's short lists."""

    call_back: list[tuple[Task, str]]  # unfinished callback tasks due today, with the lead's name
    missed: list[tuple[Call, str]]  # the range's newest missed calls, with the lead's name
    latest: list[Activity] = field(default_factory=list)  # the newest events up to the range's end


LATEST = 8
SNIPPET = 80


def latest_activity(
    session: Session, *, principal: Principal, before: datetime, limit: int = LATEST
) -> list[Activity]:
    """The business's newest leads, calls, notes and status changes before ``before``.

    Each kind reads only its ``limit`` newest rows from its (business, created)
    index; the merged list keeps the ``limit`` newest of them all.
    """
    business = principal.business_id

    def newest(model: Any) -> Any:
        return (
            col(model.business_id) == business,
            col(model.created_at) < before,
        )

    name = sa.func.coalesce(Lead.name, "")
    found: list[Activity] = []
    for lead in session.exec(
        select(Lead).where(*newest(Lead)).order_by(col(Lead.created_at).desc()).limit(limit)
    ):
        found.append(
            Activity("lead", lead.created_at, lead.id, lead.name or "", lead.source,
                     f"/leads/{lead.id}")
        )  # fmt: skip
    for call, lead_name in session.exec(
        select(Call, name)
        .outerjoin(Lead, col(Lead.id) == col(Call.lead_id))
        .where(*newest(Call))
        .order_by(col(Call.created_at).desc())
        .limit(limit)
    ):
        found.append(
            Activity("call", call.created_at, call.lead_id, lead_name or call.from_number,
                     call.direction, f"/calls/{call.id}")
        )  # fmt: skip
    for note, lead_name in session.exec(
        select(Note, name)
        .join(Lead, col(Lead.id) == col(Note.lead_id))
        .where(*newest(Note))
        .order_by(col(Note.created_at).desc())
        .limit(limit)
    ):
        text = " ".join(note.text.split())
        found.append(
            Activity("note", note.created_at, note.lead_id, lead_name,
                     text[:SNIPPET] + ("…" if len(text) > SNIPPET else ""),
                     f"/leads/{note.lead_id}")
        )  # fmt: skip
    for change, lead_name, status in session.exec(
        select(LeadStatusChange, name, LeadStatus.key)
        .join(Lead, col(Lead.id) == col(LeadStatusChange.lead_id))
        .join(LeadStatus, col(LeadStatus.id) == col(LeadStatusChange.to_status_id))
        .where(*newest(LeadStatusChange))
        .order_by(col(LeadStatusChange.created_at).desc())
        .limit(limit)
    ):
        found.append(
            Activity("status", change.created_at, change.lead_id, lead_name, status,
                     f"/leads/{change.lead_id}")
        )  # fmt: skip
    return sorted(found, key=lambda a: a.at, reverse=True)[:limit]


def lists(session: Session, *, principal: Principal, period: Range) -> Lists:
    """Callbacks due today and the newest missed calls of the range."""
    local_today = utcnow().astimezone(ZoneInfo(period.timezone)).date()
    today = Range(local_today, local_today, period.timezone)
    callbacks = session.exec(
        select(Task, sa.func.coalesce(Lead.name, ""))
        .outerjoin(Lead, col(Lead.id) == col(Task.lead_id))
        .where(
            col(Task.business_id) == principal.business_id,
            col(Task.kind) == TaskKind.CALLBACK.value,
            col(Task.state).in_(tasks.UNFINISHED),
            col(Task.due_at) < today.end,
        )
        .order_by(col(Task.due_at))
        .limit(10)
    ).all()
    missed = call_query.fetch_page(
        session, principal=principal, filters=_call_filters(period, "missed"), limit=5
    )
    return Lists(
        call_back=[(t, n) for t, n in callbacks],
        missed=list(missed.rows),
        latest=latest_activity(session, principal=principal, before=period.end),
    )


def as_dict(tile: Tile) -> dict[str, Any]:
    """A tile as plain data (the page state and the API)."""
    return {
        "name": tile.name,
        "error": tile.error,
        "parts": [{"key": p.key, "value": p.value, "href": p.href} for p in tile.parts],
    }
