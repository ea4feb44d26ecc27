"""The call list: filters, phone search and keyset pages, for the calls page and the API.

Newest first, paged by (created_at, id) in the database; the total is exact
up to :data:`COUNT_CAP` and reported as "at least" beyond it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql import ColumnElement, Select
from sqlmodel import Session, col

from crm_app.models import Business, Call, CallDirection, Lead
from crm_app.models.base import UTCDateTime
from crm_app.services.auth import Principal
from crm_app.services.errors import InvalidInput
from crm_app.services.lead_query import (
    Cursor,
    day_start,
    decode_cursor,
    escape_like,
    is_row_id,
    parse_date,
    split_values,
)
from crm_app.services.phones import search_digits

DEFAULT_LIMIT = 25
MAX_LIMIT = 200
COUNT_CAP = 10_000
STATUSES = ("ringing", "in-progress", "completed", "busy", "failed", "no-answer", "canceled")


@dataclass(frozen=True)
class CallFilters:
    """What the list shows (every field optional)."""

    q: str = ""  # a phone fragment, in any common format
    lead_id: int | None = None
    direction: str = ""
    statuses: tuple[str, ...] = ()
    date_from: date | None = None
    date_to: date | None = None
    has_recording: bool | None = None
    outcome: str = ""  # answered (the agent talked with the caller) | missed (nothing was said)


OUTCOMES = ("answered", "missed")


def parse_filters(params: dict[str, str]) -> CallFilters:
    """Read filters from query parameters (the page's URL or the API).

    Raises:
        InvalidInput: an unknown direction or status, a bad date or lead id.
    """
    direction = (params.get("direction") or "").strip()
    if direction and direction not in {d.value for d in CallDirection}:
        raise InvalidInput("direction must be inbound or outbound", "direction")
    statuses = split_values(params.get("status"))
    if any(s not in STATUSES for s in statuses):
        raise InvalidInput(f"status must be among {', '.join(STATUSES)}", "status")
    lead = (params.get("lead_id") or "").strip()
    if lead and not is_row_id(lead):
        raise InvalidInput("lead_id must be a lead id", "lead_id")
    recording = (params.get("has_recording") or "").strip().lower()
    if recording not in ("", "true", "false", "1", "0", "yes", "no"):
        raise InvalidInput("has_recording must be true or false", "has_recording")
    outcome = (params.get("outcome") or "").strip()
    if outcome and outcome not in OUTCOMES:
        raise InvalidInput("outcome must be answered or missed", "outcome")
    return CallFilters(
        outcome=outcome,
        q=(params.get("q") or "").strip()[:40],
        lead_id=int(lead) if lead else None,
        direction=direction,
        statuses=statuses,
        date_from=parse_date(params.get("from"), "from"),
        date_to=parse_date(params.get("to"), "to"),
        has_recording=None if not recording else recording in ("true", "1", "yes"),
    )


def outcome_condition(outcome: str) -> ColumnElement[bool]:
    """Answered: the caller and the agent talked; missed: nothing was said."""
    spoke = col(Call.spoke)
    return spoke.is_(True) if outcome == "answered" else spoke.is_not(True)


def conditions(
    session: Session, principal: Principal, filters: CallFilters
) -> list[ColumnElement[bool]]:
    """The WHERE clause of a filtered list, always scoped to the principal's business."""
    where: list[ColumnElement[bool]] = [col(Call.business_id) == principal.business_id]
    if filters.q:
        digits = search_digits(filters.q)
        if not digits:
            raise InvalidInput("search calls by a phone number", "q")
        pattern = f"%{escape_like(digits)}%"
        where.append(
            sa.or_(
                col(Call.from_number).like(pattern, escape="\\"),
                col(Call.to_number).like(pattern, escape="\\"),
            )
        )
    if filters.lead_id is not None:
        where.append(col(Call.lead_id) == filters.lead_id)
    if filters.direction:
        where.append(col(Call.direction) == filters.direction)
    if filters.statuses:
        where.append(col(Call.status).in_(filters.statuses))
    if filters.date_from or filters.date_to:
        zone = session.get(Business, principal.business_id)
        timezone = zone.timezone if zone else "UTC"
        if filters.date_from:
            where.append(col(Call.created_at) >= day_start(filters.date_from, timezone))
        if filters.date_to:
            end = day_start(filters.date_to + timedelta(days=1), timezone)
            where.append(col(Call.created_at) < end)
    if filters.outcome:
        where.append(outcome_condition(filters.outcome))
    if filters.has_recording is True:
        where.append(col(Call.recording_storage_key).is_not(None))
    elif filters.has_recording is False:
        where.append(col(Call.recording_storage_key).is_(None))
    return where


def _select(where: list[ColumnElement[bool]]) -> Select[Any]:
    columns: list[Any] = [Call, col(Lead.name).label("lead_name")]
    return sa.select(*columns).outerjoin(Lead, col(Lead.id) == col(Call.lead_id)).where(*where)


@dataclass(frozen=True)
class CallPage:
    """One page of calls, each with its lead's name (or "")."""

    rows: list[tuple[Call, str]]
    total: int
    total_exact: bool
    next_cursor: str | None
    prev_cursor: str | None


def _cursor(call: Call, before: bool = False) -> str:
    assert call.id is not None
    return Cursor(call.created_at, call.id, before, "created_at").encode()


def fetch_page(
    session: Session,
    *,
    principal: Principal,
    filters: CallFilters,
    cursor: str | None = None,
    limit: int = DEFAULT_LIMIT,
) -> CallPage:
    """The page after (or before) ``cursor``, newest first, with the list's total."""
    limit = max(1, min(limit, MAX_LIMIT))
    where = conditions(session, principal, filters)
    position = decode_cursor(cursor, "created_at") if cursor else None
    query = _select(where)
    key = sa.tuple_(col(Call.created_at), col(Call.id))
    if position is not None:
        mark = sa.tuple_(sa.literal(position.value, type_=UTCDateTime()), position.lead_id)
        query = query.where(key > mark if position.before else key < mark)
    if position is not None and position.before:
        query = query.order_by(col(Call.created_at).asc(), col(Call.id).asc())
    else:
        query = query.order_by(col(Call.created_at).desc(), col(Call.id).desc())
    fetched = [(row[0], row[1] or "") for row in session.execute(query.limit(limit + 1))]
    more = len(fetched) > limit
    rows = fetched[:limit]
    if position is not None and position.before:
        rows.reverse()
    has_next = more if not (position and position.before) else True
    has_prev = position is not None and (not position.before or more)
    counted = session.execute(
        sa.select(sa.func.count()).select_from(
            sa.select(col(Call.id)).where(*where).limit(COUNT_CAP + 1).subquery()
        )
    ).scalar_one()
    return CallPage(
        rows=rows,
        total=min(counted, COUNT_CAP),
        total_exact=counted <= COUNT_CAP,
        next_cursor=_cursor(rows[-1][0]) if rows and has_next else None,
        prev_cursor=_cursor(rows[0][0], before=True) if rows and has_prev else None,
    )
