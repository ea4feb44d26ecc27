"""The audit trail: who did what to which record."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from crm_app.models import AuditEvent
from crm_app.services.auth import Principal


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
