"""The audit trail: who did what to which record."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import Session, col, select

from crm_app.models import AuditEvent, Role, User
from crm_app.services.auth import Principal, require_role
from crm_app.services.errors import InvalidInput


def record(
    session: Session,
    *,
    principal: Principal | None,
    business_id: int,
    action: str,
    entity: str = "",
    entity_id: int | None = None,
    details: dict[str, Any] | None = None,
    ip: str = "",
) -> AuditEvent:
    """Add an audit event to the caller's transaction (it commits with the change)."""
    event = AuditEvent(
        business_id=business_id,
        actor_id=principal.user_id if principal else None,
        action=action,
        entity=entity,
        entity_id=entity_id,
        details=details or {},
        ip=ip[:64],
    )
    session.add(event)
    return event


# What the audit log page filters by, in the order it lists them.
ACTIONS = (
    "auth.sign_in",
    "auth.sign_in_failed",
    "auth.sign_out",
    "lead.export",
    "lead.status",
    "lead.assign",
    "lead.update",
    "business.update",
    "agent.update",
    "agent.restore",
    "statuses.change",
    "user.invite",
    "user.role",
    "user.deactivate",
    "user.reactivate",
    "user.reset_link",
    "user.password_set",
    "user.password_change",
    "token.create",
    "token.revoke",
    "file.dangling_removed",
)
PAGE = 50


@dataclass(frozen=True)
class AuditFilters:
    """The audit log's filters: who, what (an action or a family such as ``user``), when."""

    actor_id: int | None = None
    action: str = ""
    date_from: date | None = None
    date_to: date | None = None


@dataclass(frozen=True)
class AuditPage:
    """One page of events, newest first, and the cursor of the next one."""

    rows: list[tuple[AuditEvent, str]]  # the event and its actor's name
    next_cursor: str


def _cursor(event: AuditEvent) -> str:
    return f"{event.created_at.isoformat()}|{event.id}"


def _after(cursor: str) -> tuple[datetime, int]:
    try:
        text, _, raw_id = cursor.partition("|")
        stamp, event_id = datetime.fromisoformat(text), int(raw_id)
        if stamp.tzinfo is None or not 0 < event_id < 2**63:
            raise ValueError("not one of our cursors")
        return stamp, event_id
    except ValueError as exc:
        raise InvalidInput("this cursor is not valid", field="cursor", key="errors.cursor") from exc


def list_events(
    session: Session,
    *,
    principal: Principal,
    filters: AuditFilters,
    cursor: str = "",
    limit: int = PAGE,
) -> AuditPage:
    """The business's audit events, newest first, a keyset page at a time (owners and admins)."""
    require_role(principal, Role.OWNER, Role.ADMIN)
    zone = ZoneInfo(principal.timezone)
    query = (
        select(AuditEvent, User.name)
        .join(User, col(User.id) == col(AuditEvent.actor_id), isouter=True)
        .where(col(AuditEvent.business_id) == principal.business_id)
    )
    if filters.actor_id is not None:
        query = query.where(col(AuditEvent.actor_id) == filters.actor_id)
    if filters.action:
        family = filters.action if "." in filters.action else f"{filters.action}."
        query = query.where(
            col(AuditEvent.action) == filters.action
            if "." in filters.action
            else col(AuditEvent.action).startswith(family)
        )
    if filters.date_from is not None:
        start = datetime.combine(filters.date_from, time.min, tzinfo=zone)
        query = query.where(col(AuditEvent.created_at) >= start)
    if filters.date_to is not None:
        end = datetime.combine(filters.date_to + timedelta(days=1), time.min, tzinfo=zone)
        query = query.where(col(AuditEvent.created_at) < end)
    if cursor:
        stamp, event_id = _after(cursor)
        query = query.where(
            sa.tuple_(col(AuditEvent.created_at), col(AuditEvent.id)) < sa.tuple_(stamp, event_id)
        )
    query = query.order_by(col(AuditEvent.created_at).desc(), col(AuditEvent.id).desc())
    found = [(event, name or "") for event, name in session.exec(query.limit(limit + 1))]
    more = len(found) > limit
    rows = found[:limit]
    return AuditPage(rows=rows, next_cursor=_cursor(rows[-1][0]) if more and rows else "")
