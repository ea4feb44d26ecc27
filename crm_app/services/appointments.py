"""Appointments as people see and change them: the calendar's range, booking, moving, cancelling.

Every function is scoped to the principal's business: another business's
appointment, lead, calendar or type is a ``NotFound``. The rules are
:mod:`crm_app.services.booking`'s, the voice agent's own; the texts to the
customer are queued in the same transaction (the caller has a worker send them).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, func, select

from crm_app.models import Appointment, AppointmentStatus, Lead
from crm_app.services import booking, lead_query, texts
from crm_app.services.auth import Principal
from crm_app.services.errors import Conflict, InvalidInput, NotFound
from crm_app.services.leads import get_lead
from crm_app.services.phones import display_phone

MAX_RANGE_DAYS = 62
RANGE_PAGE = 2000


def get_appointment(session: Session, *, principal: Principal, appointment_id: int) -> Appointment:
    """One of the business's appointments (``NotFound`` for another business's)."""
    appointment = session.get(Appointment, appointment_id)
    if appointment is None or appointment.business_id != principal.business_id:
        raise NotFound("no such appointment", key="errors.appointment_not_found")
    return appointment


@dataclass(frozen=True)
class Booked:
    """An appointment with what the calendar shows beside it."""

    appointment: Appointment
    lead_name: str


def in_range(
    session: Session,
    *,
    principal: Principal,
    start: datetime,
    end: datetime,
    calendar_id: int | None = None,
    lead_id: int | None = None,
    cancelled: bool = False,
) -> list[Booked]:
    """The appointments that overlap ``[start, end)``, soonest first (the calendar's view)."""
    if end < start or (end - start).days > MAX_RANGE_DAYS:
        raise InvalidInput(f"a range is up to {MAX_RANGE_DAYS} days", field="to")
    ids = [calendar_id] if calendar_id is not None else _calendar_ids(session, principal)
    name = sa.func.coalesce(sa.func.nullif(Lead.name, ""), Lead.phone_e164, "")
    query = (
        select(Appointment, name)
        .outerjoin(Lead, col(Lead.id) == col(Appointment.lead_id))
        .where(
            col(Appointment.calendar_id).in_(ids),
            col(Appointment.business_id) == principal.business_id,
            sa.func.tstzrange(Appointment.starts_at, Appointment.ends_at, "[)").op("&&")(
                sa.func.tstzrange(start, end, "[)")
            ),
        )
        .order_by(col(Appointment.starts_at), col(Appointment.id))
        .limit(RANGE_PAGE)
    )
    if not cancelled:
        query = query.where(col(Appointment.status) != AppointmentStatus.CANCELLED.value)
    if lead_id is not None:
        query = query.where(col(Appointment.lead_id) == lead_id)
    return [Booked(a, str(n)) for a, n in session.exec(query)]


def _calendar_ids(session: Session, principal: Principal) -> list[int]:
    return [c.id for c in booking.calendars(session, principal.business_id) if c.id is not None]


def book_for_lead(
    session: Session,
    *,
    principal: Principal,
    lead_id: int,
    request: booking.Request,
    now: datetime | None = None,
) -> Appointment:
    """Book the lead by hand, under the voice agent's rules; queues the confirmation text."""
    lead = get_lead(session, principal=principal, lead_id=lead_id)
    appointment = booking.book(
        session,
        business_id=principal.business_id,
        request=request,
        lead_id=lead.id,
        booked_by_id=principal.user_id,
        now=now,
    )
    texts.confirm_booking(session, appointment)
    return appointment


def reschedule(
    session: Session,
    *,
    principal: Principal,
    appointment_id: int,
    starts_at: datetime,
    calendar_id: int | None = None,
    now: datetime | None = None,
) -> Appointment:
    """Move an appointment (a new confirmation text goes for the new time)."""
    appointment = get_appointment(session, principal=principal, appointment_id=appointment_id)
    if appointment.status not in (AppointmentStatus.SCHEDULED, AppointmentStatus.CONFIRMED):
        raise Conflict(f"a {appointment.status} appointment cannot move", key="errors.not_movable")
    if (starts_at, calendar_id or appointment.calendar_id) == (
        appointment.starts_at,
        appointment.calendar_id,
    ):
        return appointment
    booking.move(
        session, appointment=appointment, starts_at=starts_at, calendar_id=calendar_id, now=now
    )
    assert appointment.id is not None
    texts.drop_waiting(session, appointment.id)
    texts.confirm_booking(session, appointment)
    return appointment


def set_status(
    session: Session, *, principal: Principal, appointment_id: int, status: AppointmentStatus
) -> Appointment:
    """Confirm, cancel or close an appointment (a cancelled one frees its time)."""
    appointment = get_appointment(session, principal=principal, appointment_id=appointment_id)
    if appointment.status == status:
        return appointment
    if status in (AppointmentStatus.SCHEDULED, AppointmentStatus.CONFIRMED) and (
        appointment.status == AppointmentStatus.CANCELLED
    ):
        raise Conflict("book a cancelled appointment again instead", key="errors.not_movable")
    appointment.status = status.value
    if status is AppointmentStatus.CONFIRMED:
        appointment.confirmed_at = appointment.confirmed_at or datetime.now(
            appointment.starts_at.tzinfo
        )
    session.add(appointment)
    session.flush()
    if status in (AppointmentStatus.CANCELLED, AppointmentStatus.DONE):
        assert appointment.id is not None
        texts.drop_waiting(session, appointment.id)
    return appointment


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


def leads_to_book(
    session: Session, *, principal: Principal, q: str, limit: int = 8
) -> list[tuple[int, str]]:
    """Leads matching ``q`` (name, e-mail or phone) to book, as ``(id, "name · phone")``."""
    condition = lead_query.search_condition(q)
    if condition is None:
        return []
    query = (
        select(Lead.id, Lead.name, Lead.phone_e164)
        .where(col(Lead.business_id) == principal.business_id, condition)
        .order_by(col(Lead.created_at).desc())
        .limit(limit)
    )
    return [
        (i or 0, " · ".join(p for p in (name, display_phone(phone)) if p))
        for i, name, phone in session.exec(query)
    ]
