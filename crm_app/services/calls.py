"""Calls as the CRM reads them."""

from __future__ import annotations

from sqlmodel import Session, col, select

from crm_app.models import Call
from crm_app.services.auth import Principal
from crm_app.services.leads import get_lead


def calls_for_lead(
    session: Session, *, principal: Principal, lead_id: int, limit: int = 100
) -> list[Call]:
    """The lead's calls, newest first (``NotFound`` for another business's lead)."""
    get_lead(session, principal=principal, lead_id=lead_id)
    query = (
        select(Call)
        .where(col(Call.business_id) == principal.business_id, col(Call.lead_id) == lead_id)
        .order_by(col(Call.created_at).desc())
        .limit(limit)
    )
    return list(session.exec(query))
