"""Appointments: reading a lead's bookings, and those booked in a period."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, func, select

from crm_app.models import Appointment, Lead
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


BOOKED_PAGE = 200


def _booked(principal: Principal, start: datetime, end: datetime) -> tuple[Any, ...]:
    return (
        col(Appointment.business_id) == principal.business_id,
        col(Appointment.created_at) >= start,
        col(Appointment.created_at) < end,
    )


def count_booked(session: Session, *, principal: Principal, start: datetime, end: datetime) -> int:
    """How many appointments were booked (by people or the voice agent) in ``[start, end)``."""
    query = select(func.count()).select_from(Appointment).where(*_booked(principal, start, end))
    return int(session.exec(query).one())


def booked_between(
    session: Session, *, principal: Principal, start: datetime, end: datetime
) -> list[tuple[Appointment, str]]:
    """The appointments :func:`count_booked` counts, newest booking first, with the lead's name.

    At most :data:`BOOKED_PAGE` of them.
    """
    name = sa.func.coalesce(sa.func.nullif(Lead.name, ""), Lead.phone_e164, "")
    query = (
        select(Appointment, name)
        .outerjoin(Lead, col(Lead.id) == col(Appointment.lead_id))
        .where(*_booked(principal, start, end))
        .order_by(col(Appointment.created_at).desc(), col(Appointment.id).desc())
        .limit(BOOKED_PAGE)
    )
    return [(appointment, str(lead_name)) for appointment, lead_name in session.exec(query)]
