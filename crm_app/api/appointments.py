"""REST API v1: appointments (the calendar's range, book, move, cancel, ``.ics``) and free times."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from urllib.parse import urlsplit

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, Field

from crm_app.api.bodies import HAS_TEXT, Body
from crm_app.api.deps import BodyId, CurrentPrincipal, IsoDate, IsoDateTime, RowId
from crm_app.db import unit_of_work
from crm_app.jobs.queue import send_texts_soon
from crm_app.models import Appointment, AppointmentStatus
from crm_app.services import appointments, booking, ics
from crm_app.services.errors import InvalidInput
from crm_app.settings import get_settings

router = APIRouter(tags=["appointments"])
QueryId = Annotated[int, Query(ge=1, le=2**53 - 1)]
Title = Annotated[str, Field(max_length=200, pattern=HAS_TEXT)]
MAX_AVAILABILITY_DAYS = 62


class AppointmentOut(BaseModel):
    """An appointment as the API shows it."""

    id: int
    calendar_id: int
    type_id: int | None
    lead_id: int | None
    lead_name: str
    call_id: int | None
    booked_by_id: int | None = Field(description="who booked it; null: the voice agent")
    starts_at: datetime
    ends_at: datetime
    title: str
    status: AppointmentStatus
    confirmed_at: datetime | None
    created_at: datetime


class AppointmentList(BaseModel):
    """Appointments that overlap the range, soonest first."""

    items: list[AppointmentOut]


class AppointmentIn(Body):
    """A booking by hand, under the voice agent's rules (hours, slot grid, notice, window)."""

    lead_id: BodyId
    starts_at: IsoDateTime
    calendar_id: BodyId | None = Field(
        default=None, description="null: the first calendar free at that time"
    )
    type_id: BodyId | None = Field(default=None, description="its length; null: one slot")
    title: Title | None = None


class AppointmentPatch(Body):
    """A move (``starts_at``, ``calendar_id``) or a new status."""

    starts_at: IsoDateTime | None = None
    calendar_id: BodyId | None = None
    status: Literal["scheduled", "confirmed", "cancelled", "done"] | None = None


class SlotOut(BaseModel):
    """A free time, and the calendars it is free in."""

    starts_at: datetime
    ends_at: datetime
    calendar_ids: list[int]


class Availability(BaseModel):
    """The times the voice agent would offer."""

    slots: list[SlotOut]


def _out(appointment: Appointment, lead_name: str = "") -> AppointmentOut:
    assert appointment.id is not None
    return AppointmentOut(
        id=appointment.id,
        calendar_id=appointment.calendar_id,
        type_id=appointment.type_id,
        lead_id=appointment.lead_id,
        lead_name=lead_name,
        call_id=appointment.call_id,
        booked_by_id=appointment.booked_by_id,
        starts_at=appointment.starts_at,
        ends_at=appointment.ends_at,
        title=appointment.title,
        status=AppointmentStatus(appointment.status),
        confirmed_at=appointment.confirmed_at,
        created_at=appointment.created_at,
    )


@router.get("/appointments", response_model=AppointmentList)
def list_appointments(
    principal: CurrentPrincipal,
    start: Annotated[IsoDateTime, Query(alias="from")],
    end: Annotated[IsoDateTime, Query(alias="to")],
    calendar_id: QueryId | None = None,
    lead_id: QueryId | None = None,
    cancelled: bool = False,
) -> AppointmentList:
    """The appointments overlapping ``[from, to)`` (at most 62 days), in one calendar or all."""
    with unit_of_work(read_only=True) as session:
        if calendar_id is not None:
            booking.calendar_of(session, principal.business_id, calendar_id)
        found = appointments.in_range(
            session,
            principal=principal,
            start=start,
            end=end,
            calendar_id=calendar_id,
            lead_id=lead_id,
            cancelled=cancelled,
        )
        return AppointmentList(items=[_out(b.appointment, b.lead_name) for b in found])


@router.post("/appointments", response_model=AppointmentOut, status_code=201)
def create_appointment(body: AppointmentIn, principal: CurrentPrincipal) -> AppointmentOut:
    """Book a lead; 409 when the time was taken, 422 outside the rules; the customer is texted."""
    request = booking.Request(
        starts_at=body.starts_at,
        calendar_id=body.calendar_id,
        type_id=body.type_id,
        title=(body.title or "").strip(),
    )
    with unit_of_work() as session:
        made = appointments.book_for_lead(
            session, principal=principal, lead_id=body.lead_id, request=request
        )
        out = _out(made)
    send_texts_soon()
    return out


@router.patch("/appointments/{appointment_id:int}", response_model=AppointmentOut)
def patch_appointment(
    appointment_id: RowId, body: AppointmentPatch, principal: CurrentPrincipal
) -> AppointmentOut:
    """Move an appointment (409 when the new time is taken), or set its status."""
    with unit_of_work() as session:
        if body.starts_at is not None or body.calendar_id is not None:
            current = appointments.get_appointment(
                session, principal=principal, appointment_id=appointment_id
            )
            appointments.reschedule(
                session,
                principal=principal,
                appointment_id=appointment_id,
                starts_at=body.starts_at or current.starts_at,
                calendar_id=body.calendar_id,
            )
        if body.status is not None:
            appointments.set_status(
                session,
                principal=principal,
                appointment_id=appointment_id,
                status=AppointmentStatus(body.status),
            )
        out = _out(
            appointments.get_appointment(
                session, principal=principal, appointment_id=appointment_id
            )
        )
    send_texts_soon()
    return out


@router.delete("/appointments/{appointment_id:int}", status_code=204)
def cancel_appointment(appointment_id: RowId, principal: CurrentPrincipal) -> Response:
    """Cancel an appointment: its time is free again (the row stays, marked cancelled)."""
    with unit_of_work() as session:
        appointments.set_status(
            session,
            principal=principal,
            appointment_id=appointment_id,
            status=AppointmentStatus.CANCELLED,
        )
    return Response(status_code=204)


@router.get(
    "/appointments/{appointment_id:int}.ics",
    response_class=Response,
    responses={200: {"content": {"text/calendar": {"schema": {"type": "string"}}}}},
)
def appointment_ics(appointment_id: RowId, principal: CurrentPrincipal) -> Response:
    """The appointment as an ``.ics`` file, to add to a calendar."""
    with unit_of_work(read_only=True) as session:
        found = appointments.get_appointment(
            session, principal=principal, appointment_id=appointment_id
        )
        host = urlsplit(get_settings().public_base_url).hostname or "localhost"
        body = ics.document(principal.business_name, [ics.event(found, "", host, found.updated_at)])
    return Response(
        body,
        media_type="text/calendar; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="appointment-{appointment_id}.ics"'},
    )


@router.get("/availability", response_model=Availability)
def availability(
    principal: CurrentPrincipal,
    start: Annotated[IsoDate, Query(alias="from")],
    end: Annotated[IsoDate, Query(alias="to")],
    calendar: QueryId | None = None,
    type_id: QueryId | None = None,
) -> Availability:
    """The free slots of the days ``from``..``to`` (in the business's zone), as the agent offers."""
    if end < start or (end - start).days > MAX_AVAILABILITY_DAYS:
        raise InvalidInput(f"a range is up to {MAX_AVAILABILITY_DAYS} days", field="to")
    with unit_of_work(read_only=True) as session:
        slots = booking.free_between(
            session,
            business_id=principal.business_id,
            start=start,
            end=end,
            calendar_id=calendar,
            type_id=type_id,
        )
    return Availability(
        slots=[
            SlotOut(starts_at=s.starts_at, ends_at=s.ends_at, calendar_ids=list(s.calendar_ids))
            for s in slots
        ]
    )
