"""Appointments: reading a lead's bookings."""

from __future__ import annotations

from sqlmodel import Session, col, select

from crm_app.models import Appointment
from crm_app.services.auth import Principal
from crm_app.services.leads import get_lead


def appointments_for_lead(
    session: Session, *, principal: Principal, lead_id: int
) -> list[Appointment]:
    """The lead's appointments, soonest first."""
    get_lead(session, principal=principal, lead_id=lead_id)
    query = (
        select(Appointment)
        .where(
            col(Appointment.business_id) == principal.business_id,
            col(Appointment.lead_id) == lead_id,
        )
        .order_by(col(Appointment.starts_at))
    )
    return list(session.exec(query))
