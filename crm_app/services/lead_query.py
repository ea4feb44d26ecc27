"""The one lead query: filters, search, sort and keyset paging.

The UI list, the REST API list, the lead page's previous/next and the export
all build their SELECT here, so they can never disagree about which leads a
filter means. Paging is keyset on (sort value, id): page 1,000 costs what
page 1 costs. Counts are exact up to a cap and a planner estimate above it.
"""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.sql import ColumnElement, Select
from sqlmodel import Session, col

from crm_app.models import Lead, LeadSource, LeadStatus, User
from crm_app.services.auth import Principal
from crm_app.services.errors import InvalidInput
from crm_app.services.phones import search_digits

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
COUNT_CAP = 1000
BIGINT_MAX = 2**63 - 1  # ids are BIGINT
SORTS = ("created_at", "updated_at", "name", "status", "source")
_PHONE_LIKE = re.compile(r"^\+?[\d\s\-().]+$")
_MIDDLE_MIN_DIGITS = 5  # "0" and four more: what a bare fragment ("4567") needs anyway
_ROW_ID = re.compile(r"^[0-9]{1,19}$")
CUSTOM_PREFIX = "f."  # a list filter on a field of the business's own: ``f.x-branch=North``
_CUSTOM_KEY = re.compile(r"^[a-z][a-z0-9_-]{0,39}$")


@dataclass(frozen=True)
class LeadFilters:
    """What the list shows: every field is optional; empty means no filter."""

    q: str = ""
    statuses: tuple[str, ...] = ()  # status keys
    sources: tuple[str, ...] = ()
    owner: str = ""  # "me", "unassigned" or a user id
    created_from: date | None = None
    created_to: date | None = None
    sort: str = "-created_at"
    ids: tuple[int, ...] = ()  # an explicit selection (bulk actions, export)
    # Fields of the business's own: (key, value) pairs the lead's value must equal.
    custom: tuple[tuple[str, str], ...] = ()

    @property
    def sort_key(self) -> str:
        """The sorted column's name, without direction."""
        return self.sort.lstrip("-")

    @property
    def descending(self) -> bool:
        """Whether the sort is newest/last first."""
        return self.sort.startswith("-")

    def to_params(self) -> dict[str, str]:
        """Query parameters that :func:`parse_filters` reads back (URLs, export jobs)."""
        params = {
            "q": self.q,
            "status": ",".join(self.statuses),
            "source": ",".join(self.sources),
            "owner": self.owner,
            "created_from": self.created_from.isoformat() if self.created_from else "",
            "created_to": self.created_to.isoformat() if self.created_to else "",
            "sort": "" if self.sort == "-created_at" else self.sort,
            "ids": ",".join(str(i) for i in self.ids),
            **{f"{CUSTOM_PREFIX}{key}": value for key, value in self.custom},
        }
        return {k: v for k, v in params.items() if v}


def split_values(value: str | None) -> tuple[str, ...]:
    """``"a, b,"`` as ``("a", "b")``."""
    return tuple(v.strip() for v in (value or "").split(",") if v.strip())


def is_row_id(value: str) -> bool:
    """Whether ``value`` is a row id: ASCII digits, 1 .. 2**63-1 (BIGINT)."""
    return bool(_ROW_ID.match(value)) and 0 < int(value) <= BIGINT_MAX


def parse_date(value: str | None, name: str) -> date | None:
    """An ISO date parameter, or None; ``InvalidInput`` names the parameter."""
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise InvalidInput(f"{name} must be a date like 2026-11-28", field=name) from exc


def parse_filters(params: dict[str, str]) -> LeadFilters:
    """Read filters from query parameters (the URL of the list, or the API).

    Raises:
        InvalidInput: on an unknown sort, source or owner, or a bad date.
    """
    sort = params.get("sort") or "-created_at"
    if sort.lstrip("-") not in SORTS:
        raise InvalidInput(f"sort must be one of {', '.join(SORTS)} (prefix - to reverse)", "sort")
    sources = split_values(params.get("source"))
    known = {s.value for s in LeadSource}
    if any(s not in known for s in sources):
        raise InvalidInput(f"source must be among {', '.join(sorted(known))}", "source")
    owner = (params.get("owner") or "").strip()
    if owner and owner not in ("me", "unassigned") and not is_row_id(owner):
        raise InvalidInput("owner must be me, unassigned or a user id", "owner")
    ids = split_values(params.get("ids"))
    if not all(is_row_id(i) for i in ids):
        raise InvalidInput("ids must be lead ids separated by commas", "ids")
    return LeadFilters(
        q=(params.get("q") or "").strip()[:100],
        statuses=split_values(params.get("status")),
        sources=sources,
        owner=owner,
        created_from=parse_date(params.get("created_from"), "created_from"),
        created_to=parse_date(params.get("created_to"), "created_to"),
        sort=sort,
        ids=tuple(int(i) for i in ids),
        custom=custom_filters(params),
    )


def custom_filters(params: dict[str, str]) -> tuple[tuple[str, str], ...]:
    """``f.<key>=<value>`` parameters: a field of the business's own equal to a value."""
    found = []
    for name, value in sorted(params.items()):
        key = name[len(CUSTOM_PREFIX) :]
        if name.startswith(CUSTOM_PREFIX) and value.strip():
            if not _CUSTOM_KEY.match(key):
                raise InvalidInput(f"{name} is not a field's filter", name)
            found.append((key, value.strip()[:200]))
    return tuple(found[:10])


def escape_like(text: str) -> str:
    """``text`` matched literally inside a LIKE pattern (with ESCAPE backslash)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def search_condition(q: str) -> ColumnElement[bool] | None:
    """Match ``q`` against the phone digits or the name and email.

    A phone-like query (``054-123``, ``+972 54``) matches digits: an
    international number by prefix, a bare fragment (``4567``) anywhere, and a
    national one (``072-9085``) as the number's start or its middle.
    """
    q = q.strip()
    if not q:
        return None
    digits = re.sub(r"\D", "", q)
    if _PHONE_LIKE.match(q) and len(digits) >= 3:
        return col(Lead.phone_digits).like(phone_pattern(q, digits))
    text = escape_like(q.lower())
    pattern = f"%{text}%" if len(text) >= 3 else f"{text}%"  # no trigram below 3
    return col(Lead.search_text).like(pattern, escape="\\")


def phone_pattern(q: str, digits: str) -> str:
    """The LIKE pattern over ``phone_digits`` for a phone-like query (served by its indexes).

    ``072-9085`` may be a number's start (``972729085...``) or its middle
    (``03-072-9085``): its digits after the leading 0 anywhere cover both, and
    with four or more of them the trigram index stays selective. Shorter
    national fragments (``0541``) stay prefixes.
    """
    national = digits.startswith("0") and not digits.startswith("00")
    if national and len(digits) >= _MIDDLE_MIN_DIGITS:
        return f"%{digits[1:]}%"
    wanted = search_digits(q)
    prefix = q.startswith(("+", "0")) or wanted.startswith("972")
    return f"{wanted}%" if prefix else f"%{wanted}%"


def day_start(day: date, timezone: str) -> datetime:
    """Midnight of ``day`` in the business's time zone."""
    return datetime.combine(day, time.min, tzinfo=ZoneInfo(timezone))


def conditions(principal: Principal, filters: LeadFilters) -> list[ColumnElement[bool]]:
    """The WHERE clause of a filtered list, always scoped to the principal's business."""
    where: list[ColumnElement[bool]] = [col(Lead.business_id) == principal.business_id]
    if (search := search_condition(filters.q)) is not None:
        where.append(search)
    if filters.statuses:
        where.append(col(LeadStatus.key).in_(filters.statuses))
    if filters.sources:
        where.append(col(Lead.source).in_(filters.sources))
    if filters.owner == "me":
        where.append(col(Lead.owner_id) == principal.user_id)
    elif filters.owner == "unassigned":
        where.append(col(Lead.owner_id).is_(None))
    elif filters.owner:
        where.append(col(Lead.owner_id) == int(filters.owner))
    if filters.created_from:
        where.append(col(Lead.created_at) >= day_start(filters.created_from, principal.timezone))
    if filters.created_to:
        end = day_start(filters.created_to + timedelta(days=1), principal.timezone)
        where.append(col(Lead.created_at) < end)
    if filters.ids:
        where.append(col(Lead.id).in_(filters.ids))
    for key, value in filters.custom:
        where.append(col(Lead.custom_fields)[key].as_string() == value)
    return where


def sort_expression(sort_key: str) -> ColumnElement[Any]:
    """The SQL expression a sort key orders by (status sorts by pipeline position)."""
    expressions: dict[str, Any] = {
        "created_at": col(Lead.created_at),
        "updated_at": col(Lead.updated_at),
        "name": col(Lead.name),
        "status": col(LeadStatus.position),
        "source": col(Lead.source),
    }
    expression: ColumnElement[Any] = expressions[sort_key]
    return expression


OWNER = sa.orm.aliased(User, name="owner")
ROW_COLUMNS: tuple[Any, ...] = (
    col(Lead.id),
    col(Lead.name),
    col(Lead.phone_e164),
    col(Lead.email),
    col(Lead.city),
    col(Lead.source),
    col(Lead.status_id),
    col(Lead.owner_id),
    col(Lead.created_at),
    col(Lead.updated_at),
    col(Lead.last_contact_at),
    col(Lead.reason),
    col(Lead.service),
    col(Lead.urgency),
    col(Lead.custom_fields),
    col(Lead.suggestions),
    col(LeadStatus.key).label("status_key"),
    col(LeadStatus.label_he).label("status_he"),
    col(LeadStatus.label_en).label("status_en"),
    col(LeadStatus.color).label("status_color"),
    col(LeadStatus.position).label("status_position"),
    col(LeadStatus.is_closed).label("status_closed"),
    col(OWNER.name).label("owner_name"),
)


def base_select(principal: Principal, filters: LeadFilters, *columns: Any) -> Select[Any]:
    """SELECT ``columns`` (the list's row by default) FROM the filtered leads."""
    return (
        sa.select(*(columns or ROW_COLUMNS))
        .select_from(Lead)
        .join(LeadStatus, col(LeadStatus.id) == col(Lead.status_id))
        .outerjoin(OWNER, col(OWNER.id) == col(Lead.owner_id))
        .where(*conditions(principal, filters))
    )


def ordered(query: Select[Any], filters: LeadFilters, reverse: bool = False) -> Select[Any]:
    """Order by the sort key, then id, so that the order is total."""
    descending = filters.descending != reverse
    key = sort_expression(filters.sort_key)
    if descending:
        return query.order_by(key.desc(), col(Lead.id).desc())
    return query.order_by(key.asc(), col(Lead.id).asc())


@dataclass(frozen=True)
class Cursor:
    """A position in the sorted list: the sort value and id of a row."""

    value: Any
    lead_id: int
    before: bool = False  # page backwards from here
    sort_key: str = ""  # the order it is a position in

    def encode(self) -> str:
        """An opaque, URL-safe token."""
        value = self.value.isoformat() if isinstance(self.value, datetime) else self.value
        raw = json.dumps([value, self.lead_id, self.before, self.sort_key], ensure_ascii=False)
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


_CURSOR_MAX_CHARS = 2048
_TEXT_SORTS = ("name", "source")


def _cursor_value(value: Any, sort_key: str) -> Any:
    """The cursor's sort value, typed as the sorted column (``ValueError`` otherwise)."""
    if sort_key in ("created_at", "updated_at"):
        if not isinstance(value, str):
            raise ValueError("a timestamp cursor holds an ISO string")
        stamp = datetime.fromisoformat(value)
        if stamp.tzinfo is None:
            raise ValueError("a cursor's timestamp has a zone")
        return stamp
    if sort_key in _TEXT_SORTS and isinstance(value, str) and "\x00" not in value:
        return value
    if sort_key == "status" and type(value) is int and -(2**31) <= value < 2**31:
        return value
    raise ValueError(f"not a {sort_key} cursor")


def decode_cursor(token: str, sort_key: str) -> Cursor | None:
    """Read a cursor made by :meth:`Cursor.encode`; None for one of another order.

    A cursor of the list in another order (the sort changed since) starts it
    over from the first page. Anything else that is not one of ours (bad
    base64 or JSON, the wrong shape, a value of another type than the sorted
    column, an id outside BIGINT) is refused.

    Raises:
        InvalidInput: when the token is not one of ours.
    """
    try:
        if len(token) > _CURSOR_MAX_CHARS:
            raise ValueError("too long")
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        decoded = json.loads(raw)
        if not isinstance(decoded, list) or len(decoded) not in (3, 4):
            raise ValueError("not a cursor")
        value, lead_id, before, made_for = (*decoded, sort_key)[:4]
        if type(lead_id) is not int or not 0 < lead_id <= BIGINT_MAX or type(before) is not bool:
            raise ValueError("not a cursor")
        if made_for not in SORTS:
            raise ValueError("not a cursor")
        if made_for != sort_key:
            return None
        return Cursor(_cursor_value(value, sort_key), lead_id, before, sort_key)
    except (ValueError, TypeError, RecursionError) as exc:
        raise InvalidInput(
            "the cursor is not valid; start from the first page", "cursor", key="errors.cursor"
        ) from exc


def after(cursor: Cursor, filters: LeadFilters) -> ColumnElement[bool]:
    """Rows strictly after ``cursor`` in the list's order (or before it)."""
    key = sort_expression(filters.sort_key)
    forward = filters.descending != cursor.before
    left = sa.tuple_(key, col(Lead.id))
    right = sa.tuple_(sa.literal(cursor.value, type_=key.type), sa.literal(cursor.lead_id))
    return left < right if forward else left > right


@dataclass
class LeadPage:
    """One page of the list."""

    rows: list[sa.Row[Any]]
    total: int
    total_exact: bool
    next_cursor: str | None
    prev_cursor: str | None
    filters: LeadFilters = field(default_factory=LeadFilters)


def _cursor_of(row: sa.Row[Any], filters: LeadFilters, before: bool = False) -> str:
    value = row.status_position if filters.sort_key == "status" else getattr(row, filters.sort_key)
    return Cursor(value, row.id, before, filters.sort_key).encode()


def fetch_page(
    session: Session,
    *,
    principal: Principal,
    filters: LeadFilters,
    cursor: str | None = None,
    limit: int = DEFAULT_LIMIT,
    with_total: bool = True,
) -> LeadPage:
    """One page of leads after (or before) ``cursor``, with the list's total."""
    limit = max(1, min(limit, MAX_LIMIT))
    position = decode_cursor(cursor, filters.sort_key) if cursor else None
    query = base_select(principal, filters)
    if position is not None:
        query = query.where(after(position, filters))
    backwards = position is not None and position.before
    rows = list(session.execute(ordered(query, filters, reverse=backwards).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    if backwards:
        rows.reverse()
    has_next = more if not backwards else True
    has_prev = (position is not None) and (more if backwards else True)
    total, exact = (
        count(session, principal=principal, filters=filters) if with_total else (0, False)
    )
    return LeadPage(
        rows=rows,
        total=total,
        total_exact=exact,
        next_cursor=_cursor_of(rows[-1], filters) if rows and has_next else None,
        prev_cursor=_cursor_of(rows[0], filters, before=True) if rows and has_prev else None,
        filters=filters,
    )


ESTIMATE_TRUSTED_ABOVE = 2 * COUNT_CAP


def count(session: Session, *, principal: Principal, filters: LeadFilters) -> tuple[int, bool]:
    """How many leads match: exact when few, the planner's estimate when many.

    An exact COUNT(*) over a 500k-lead business costs 30-180 ms; the planner's
    estimate costs under a millisecond and, with statistics at 1000, lands
    within a few percent (leads anchors, section 5.2). Small results, where an
    estimate would be visibly wrong, are counted exactly (capped).
    """
    estimate = _planner_estimate(session, principal, filters)
    if estimate > ESTIMATE_TRUSTED_ABOVE:
        return estimate, False
    capped = _count_select(principal, filters, col(Lead.id)).limit(COUNT_CAP + 1).subquery()
    found = session.execute(sa.select(sa.func.count()).select_from(capped)).scalar_one()
    if found <= COUNT_CAP:
        return found, True
    return max(estimate, found), False


def _count_select(principal: Principal, filters: LeadFilters, *columns: Any) -> Select[Any]:
    """The filtered leads with only the joins the filters need (no owner, no labels)."""
    query = sa.select(*columns).select_from(Lead)
    if filters.statuses:
        query = query.join(LeadStatus, col(LeadStatus.id) == col(Lead.status_id))
    return query.where(*conditions(principal, filters))


def _planner_estimate(session: Session, principal: Principal, filters: LeadFilters) -> int:
    query = _count_select(principal, filters, col(Lead.id))
    compiled = query.compile(
        dialect=session.get_bind().dialect, compile_kwargs={"render_postcompile": True}
    )
    plan = (
        session.connection()
        .exec_driver_sql(f"EXPLAIN (FORMAT JSON) {compiled}", compiled.params)
        .scalar_one()
    )
    plan = json.loads(plan) if isinstance(plan, str) else plan
    return int(plan[0]["Plan"]["Plan Rows"])


def neighbours(
    session: Session, *, principal: Principal, filters: LeadFilters, lead_id: int
) -> tuple[int | None, int | None]:
    """The previous and next lead around ``lead_id`` in the filtered list."""
    key = sort_expression(filters.sort_key)
    here = session.execute(
        base_select(principal, replace(filters, ids=()), key, col(Lead.id)).where(
            col(Lead.id) == lead_id
        )
    ).first()
    if here is None:
        return None, None
    result: list[int | None] = []
    for before in (True, False):
        cursor = Cursor(here[0], lead_id, before)
        query = base_select(principal, filters, col(Lead.id)).where(after(cursor, filters))
        result.append(session.execute(ordered(query, filters, reverse=before).limit(1)).scalar())
    return result[0], result[1]
