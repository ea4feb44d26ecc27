"""Leads: creation, lookup and the business's list."""

from __future__ import annotations

from sqlmodel import Session, col, select

from crm_app.models import Business, Lead, LeadSource
from crm_app.services.auth import Principal
from crm_app.services.errors import Conflict, InvalidInput, NotFound
from crm_app.services.phones import normalize_phone, phone_digits
from crm_app.services.statuses import default_status

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
    if len(name) > 200:
        raise InvalidInput("the name is too long", field="name")
    lead = Lead(
        business_id=business_id,
        name=name.strip(),
        phone_e164=e164,
        phone_digits=phone_digits(e164),
        email=email.strip().lower(),
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
