"""Leads: creation, edits, status changes, assignment and lookup."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session, col, select

from crm_app.models import (
    AlertKind,
    Business,
    Lead,
    LeadSource,
    LeadStatus,
    LeadStatusChange,
    User,
    utcnow,
)
from crm_app.services import audit, lead_fields, notifications
from crm_app.services.accounts import normalize_email
from crm_app.services.auth import Principal
from crm_app.services.errors import Conflict, InvalidInput, NotFound
from crm_app.services.lead_fill import URGENCIES, current_value, person_edited
from crm_app.services.phones import normalize_phone, phone_digits
from crm_app.services.statuses import default_status, get_status

MAX_PAGE = 200


def get_lead(session: Session, *, principal: Principal, lead_id: int) -> Lead:
    """A lead of the principal's business; another business's id is ``NotFound``."""
    lead = session.get(Lead, lead_id)
    if lead is None or lead.business_id != principal.business_id:
        raise NotFound("no such lead", key="errors.lead_not_found")
    return lead


def find_by_phone(session: Session, *, business_id: int, phone_e164: str) -> Lead | None:
    """The business's lead with this phone, if any."""
    query = select(Lead).where(Lead.business_id == business_id, Lead.phone_e164 == phone_e164)
    return session.exec(query).first()


def create_lead(
    session: Session,
    *,
    business_id: int,
    phone: str,
    name: str = "",
    email: str = "",
    source: LeadSource = LeadSource.MANUAL,
    owner_id: int | None = None,
    city: str = "",
) -> Lead:
    """Create a lead with a validated phone number.

    Raises:
        InvalidInput: when the phone number is not valid.
        Conflict: when the business already has a lead with this phone
            (``existing_id`` links to it).
    """
    business = session.get(Business, business_id)
    if business is None:
        raise NotFound("no such business")
    e164 = normalize_phone(phone, business.default_region)
    existing = find_by_phone(session, business_id=business_id, phone_e164=e164)
    if existing is not None:
        raise Conflict(
            "a lead with this phone already exists",
            existing_id=existing.id,
            key="errors.lead_phone_exists",
        )
    check_owner(session, business_id, owner_id)
    lead = Lead(
        business_id=business_id,
        name=_clean_name(name),
        phone_e164=e164,
        phone_digits=phone_digits(e164),
        email=normalize_email(email) if email.strip() else "",
        city=city.strip(),
        source=source.value,
        owner_id=owner_id,
        status_id=_default_status_id(session, business_id),
    )
    session.add(lead)
    session.flush()
    return lead


def _default_status_id(session: Session, business_id: int) -> int:
    status_id = default_status(session, business_id=business_id).id
    assert status_id is not None
    return status_id


def recent_leads(session: Session, *, principal: Principal, limit: int = 50) -> list[Lead]:
    """The business's newest leads, at most ``limit`` (never the whole table)."""
    limit = max(1, min(limit, MAX_PAGE))
    query = (
        select(Lead)
        .where(Lead.business_id == principal.business_id)
        .order_by(col(Lead.created_at).desc(), col(Lead.id).desc())
        .limit(limit)
    )
    return list(session.exec(query))


def _clean_name(name: str) -> str:
    name = " ".join(name.split())
    if len(name) > 200:
        raise InvalidInput("the name is too long (200 characters at most)", field="name")
    return name


def check_owner(session: Session, business_id: int, owner_id: int | None) -> None:
    """Refuse an owner who is not an active user of the business."""
    if owner_id is None:
        return
    owner = session.get(User, owner_id)
    if owner is None or owner.business_id != business_id or not owner.is_active:
        raise InvalidInput("no such user in your business", field="owner_id")


@dataclass(frozen=True)
class LeadChanges:
    """Fields an agent may edit; None leaves a field as it is."""

    name: str | None = None
    phone: str | None = None
    email: str | None = None
    city: str | None = None
    source: LeadSource | None = None
    owner_id: int | None = None
    clear_owner: bool = False
    reason: str | None = None
    service: str | None = None
    urgency: str | None = None
    # Fields of the business's own, by key; None (or "") clears one.
    custom: dict[str, Any] = field(default_factory=dict)

    def edited(self) -> set[str]:
        """The fillable fields this change sets (they become the person's)."""
        named = {
            key
            for key in ("name", "city", "reason", "service", "urgency")
            if getattr(self, key) is not None
        }
        return named | set(self.custom)


def update_lead(
    session: Session, *, principal: Principal, lead_id: int, changes: LeadChanges
) -> Lead:
    """Edit a lead's fields after validating them.

    Raises:
        InvalidInput: a bad phone, email or owner.
        Conflict: the new phone belongs to another lead of the business.
    """
    lead = get_lead(session, principal=principal, lead_id=lead_id)
    before = {"name": lead.name, "phone": lead.phone_e164, "email": lead.email}
    fillable = {key: current_value(lead, key) for key in changes.edited()}
    if changes.name is not None:
        lead.name = _clean_name(changes.name)
    if changes.phone is not None:
        business = session.get(Business, lead.business_id)
        assert business is not None
        e164 = normalize_phone(changes.phone, business.default_region)
        other = find_by_phone(session, business_id=lead.business_id, phone_e164=e164)
        if other is not None and other.id != lead.id:
            raise Conflict(
                "a lead with this phone already exists",
                existing_id=other.id,
                key="errors.lead_phone_exists",
            )
        lead.phone_e164, lead.phone_digits = e164, phone_digits(e164)
    if changes.email is not None:
        lead.email = normalize_email(changes.email) if changes.email.strip() else ""
    if changes.city is not None:
        lead.city = changes.city.strip()[:100]
    _update_call_fields(session, lead, changes)
    # What the person changed is theirs now (saving a form unchanged claims nothing).
    person_edited(lead, {k for k, v in fillable.items() if current_value(lead, k) != v})
    if changes.source is not None:
        lead.source = changes.source.value
    if changes.clear_owner:
        lead.owner_id = None
    elif changes.owner_id is not None and changes.owner_id != lead.owner_id:
        check_owner(session, lead.business_id, changes.owner_id)
        lead.owner_id = changes.owner_id
        if changes.owner_id != principal.user_id:
            notifications.notify(
                session,
                business_id=lead.business_id,
                user_ids={changes.owner_id},
                kind=AlertKind.ASSIGNED,
                data=notifications.about_lead(lead),
            )
    lead.updated_at = utcnow()
    session.add(lead)
    audit.record(
        session,
        principal=principal,
        business_id=lead.business_id,
        action="lead.update",
        entity="lead",
        entity_id=lead.id,
        details={"before": before},
    )
    session.flush()
    return lead


def _update_call_fields(session: Session, lead: Lead, changes: LeadChanges) -> None:
    """What a caller wants, and the business's own fields."""
    if changes.reason is not None:
        lead.reason = changes.reason.strip()[:500]
    if changes.service is not None:
        lead.service = changes.service.strip()[:200]
    if changes.urgency is not None:
        if changes.urgency not in ("", *URGENCIES):
            raise InvalidInput("urgency is low, normal or high", field="urgency")
        lead.urgency = changes.urgency
    if changes.custom:
        fields = lead_fields.list_fields(session, business_id=lead.business_id)
        lead.custom_fields = lead_fields.merged_values(fields, lead.custom_fields, changes.custom)


def change_status(
    session: Session,
    *,
    principal: Principal | None,
    lead: Lead,
    status_id: int,
    reason: str = "",
    is_ai: bool = False,
    confidence: float | None = None,
) -> LeadStatusChange | None:
    """Move a lead to another status, writing its history and an audit event.

    A closed status (won, lost, ...) needs a reason. Moving to the status the
    lead already has changes nothing and returns None.

    Raises:
        InvalidInput: the status is not the business's, or a reason is missing.
    """
    status = get_status(session, business_id=lead.business_id, status_id=status_id)
    reason = reason.strip()[:500]
    if status.is_closed and not reason:
        raise InvalidInput(
            "a closed status needs a reason", field="reason", key="errors.reason_required"
        )
    if status.id == lead.status_id:
        return None
    assert lead.id is not None and status.id is not None
    change = LeadStatusChange(
        business_id=lead.business_id,
        lead_id=lead.id,
        from_status_id=lead.status_id,
        to_status_id=status.id,
        changed_by_id=principal.user_id if principal else None,
        reason=reason,
        is_ai=is_ai,
        confidence=confidence,
    )
    lead.status_id = status.id
    lead.updated_at = utcnow()
    session.add_all([lead, change])
    audit.record(
        session,
        principal=principal,
        business_id=lead.business_id,
        action="lead.status",
        entity="lead",
        entity_id=lead.id,
        details={"from": change.from_status_id, "to": status.key, "reason": reason, "ai": is_ai},
    )
    return change


def bulk_change_status(
    session: Session, *, principal: Principal, lead_ids: list[int], status_id: int, reason: str = ""
) -> int:
    """Change the status of several leads of the business; returns how many changed."""
    changed = 0
    for lead in _leads_of(session, principal, lead_ids):
        if (
            change_status(
                session, principal=principal, lead=lead, status_id=status_id, reason=reason
            )
            is not None
        ):
            changed += 1
    return changed


def bulk_assign(
    session: Session, *, principal: Principal, lead_ids: list[int], owner_id: int | None
) -> int:
    """Give several leads to one owner (None: unassign); returns how many."""
    check_owner(session, principal.business_id, owner_id)
    leads = _leads_of(session, principal, lead_ids)
    for lead in leads:
        lead.owner_id = owner_id
        lead.updated_at = utcnow()
        session.add(lead)
    audit.record(
        session,
        principal=principal,
        business_id=principal.business_id,
        action="lead.assign",
        entity="lead",
        details={"lead_ids": [lead.id for lead in leads], "owner_id": owner_id},
    )
    if owner_id is not None and owner_id != principal.user_id and leads:
        data = {"lead_ids": [lead.id for lead in leads], "count": len(leads)}
        if len(leads) == 1:
            data = notifications.about_lead(leads[0])
        notifications.notify(
            session,
            business_id=principal.business_id,
            user_ids={owner_id},
            kind=AlertKind.ASSIGNED,
            data=data,
        )
    return len(leads)


def _leads_of(session: Session, principal: Principal, lead_ids: list[int]) -> list[Lead]:
    """The given leads that belong to the business (others are silently not found)."""
    if not lead_ids:
        return []
    query = select(Lead).where(
        col(Lead.business_id) == principal.business_id, col(Lead.id).in_(lead_ids)
    )
    return list(session.exec(query.order_by(col(Lead.id))))


def business_users(session: Session, *, principal: Principal) -> list[User]:
    """The active users of the business, for owner pickers."""
    query = select(User).where(
        col(User.business_id) == principal.business_id, col(User.is_active).is_(True)
    )
    return list(session.exec(query.order_by(col(User.name))))


def status_of(session: Session, lead: Lead) -> LeadStatus:
    """The lead's current status row."""
    status = session.get(LeadStatus, lead.status_id)
    assert status is not None
    return status
