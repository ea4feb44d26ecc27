"""What the booking and appointment dialogs show, read for the principal's business."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from crm_app.db import unit_of_work
from crm_app.i18n import translate
from crm_app.i18n.formats import local_datetime
from crm_app.models import AppointmentStatus, Lead
from crm_app.services import appointments, booking
from crm_app.services.auth import Principal
from crm_app.services.errors import InvalidInput
from crm_app.services.phones import display_phone


@dataclass(frozen=True)
class AppointmentDetail:
    """The appointment the detail dialog shows."""

    id: int = 0
    when: str = ""
    lead: str = ""
    lead_href: str = ""
    title: str = ""
    status: str = ""
    status_label: str = ""
    calendar: str = ""
    movable: bool = False


def free_times(principal: Principal, day: date, calendar: str, kind: str) -> list[str]:
    """The free times (``HH:MM``, local) of ``day`` in a calendar (or any) for a type (or none)."""
    with unit_of_work(read_only=True) as session:
        slots = booking.free_between(
            session,
            business_id=principal.business_id,
            start=day,
            end=day,
            calendar_id=int(calendar) if calendar.isdigit() else None,
            type_id=int(kind) if kind.isdigit() else None,
        )
    zone = ZoneInfo(principal.timezone)
    return sorted({s.starts_at.astimezone(zone).strftime("%H:%M") for s in slots})


def local_time(day: str, clock: str, timezone: str) -> datetime:
    """A form's day and time in the business's zone.

    Raises:
        InvalidInput: no day or no time chosen.
    """
    try:
        return datetime.combine(
            date.fromisoformat(day), time.fromisoformat(clock), tzinfo=ZoneInfo(timezone)
        )
    except ValueError as exc:
        raise InvalidInput("choose a day and a time", key="errors.slot_outside_hours") from exc


def appointment_detail(
    principal: Principal, appointment_id: int, locale: str
) -> tuple[AppointmentDetail, datetime]:
    """The dialog's view of an appointment, and its local start.

    Raises:
        NotFound: another business's appointment, or none.
    """
    with unit_of_work(read_only=True) as session:
        found = appointments.get_appointment(
            session, principal=principal, appointment_id=appointment_id
        )
        names = {c.id: c.name for c in booking.calendars(session, principal.business_id)}
        person = session.get(Lead, found.lead_id) if found.lead_id else None
        lead = (person.name or display_phone(person.phone_e164)) if person else ""
    detail = AppointmentDetail(
        id=found.id or 0,
        when=local_datetime(found.starts_at, principal.timezone),
        lead=lead,
        lead_href=f"/leads/{found.lead_id}" if found.lead_id else "",
        title=found.title,
        status=found.status,
        status_label=translate(f"appointments.status.{found.status}", locale),
        calendar=names.get(found.calendar_id, ""),
        movable=found.status in (AppointmentStatus.SCHEDULED, AppointmentStatus.CONFIRMED),
    )
    return detail, found.starts_at.astimezone(ZoneInfo(principal.timezone))
