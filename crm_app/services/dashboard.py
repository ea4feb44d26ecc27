"""The dashboard: figures for a date range in the business's zone, each from the list it links to.

Every figure is counted with the same filter code as the list its tile links
to (:mod:`crm_app.services.call_query`, :mod:`crm_app.services.lead_query`,
:mod:`crm_app.services.tasks`), so a tile and its list cannot disagree. Each
tile is computed on its own (:func:`compute`): one that fails reports its
error and the others still show.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import Session, col, func, select

from crm_app.db import unit_of_work
from crm_app.models import (
    Appointment,
    Call,
    Lead,
    LeadStatus,
    LeadStatusChange,
    Note,
    Task,
    TaskKind,
    utcnow,
)
from crm_app.services import call_query, lead_query, tasks
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
    """Inbound calls answered by the agent, missed or abandoned, and the answered ones' length.

    One scan of the range counts both, with the list's own outcome conditions.
    """
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
    return [
        Part("answered", int(counts[0]),
             _calls_href(period, direction="inbound", outcome="answered")),
        Part("missed", int(counts[1]), _calls_href(period, direction="inbound", outcome="missed")),
        Part("average_seconds", round(float(counts[2] or 0)),
             _calls_href(period, direction="inbound", outcome="answered")),
    ]  # fmt: skip


def _leads_href(**params: str) -> str:
    return "/leads?" + urlencode(params)


def sources_tile(session: Session, principal: Principal, period: Range) -> list[Part]:
    """New leads in the range, by source."""
    filters = lead_query.LeadFilters(created_from=period.first, created_to=period.last)
    rows = session.exec(
        select(Lead.source, func.count())
        .select_from(Lead)
        .join(LeadStatus, col(LeadStatus.id) == col(Lead.status_id))
        .where(*lead_query.conditions(principal, filters))
        .group_by(col(Lead.source))
        .order_by(func.count().desc())
    ).all()
    dates = {"created_from": period.first.isoformat(), "created_to": period.last.isoformat()}
    return [Part(source, int(n), _leads_href(source=source, **dates)) for source, n in rows]


def funnel_tile(session: Session, principal: Principal, period: Range) -> list[Part]:
    """Every lead by its status now, in pipeline order (the range does not apply).

    The counts come from the business's (status, created) index alone; the
    statuses are joined to the few counted groups afterwards.
    """
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
    booked = session.exec(
        select(func.count())
        .select_from(Appointment)
        .where(
            col(Appointment.business_id) == principal.business_id,
            col(Appointment.created_at) >= period.start,
            col(Appointment.created_at) < period.end,
        )
    ).one()
    return [Part("booked", int(booked), "")]


def tasks_tile(session: Session, principal: Principal, period: Range) -> list[Part]:
    """My tasks due today and overdue: what "my day" lists."""
    day = tasks.my_day(session, principal=principal)
    return [
        Part("due_today", len(day.today), "/tasks"),
        Part("overdue", len(day.overdue), "/tasks"),
    ]


def calls_per_day(session: Session, principal: Principal, period: Range) -> list[Part]:
    """Inbound calls on each day of the range (days without calls count 0)."""
    local_day = func.date(func.timezone(period.timezone, col(Call.created_at)))
    where = call_query.conditions(
        session,
        principal,
        call_query.CallFilters(direction="inbound", date_from=period.first, date_to=period.last),
    )
    rows = dict(
        session.exec(select(local_day, func.count()).where(*where).group_by(local_day)).all()
    )
    return [
        Part(day.isoformat(), int(rows.get(day, 0)), _calls_href(Range(day, day, period.timezone)))
        for day in period.days()
    ]


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
