"""A customer's text to the business: 1 / כן confirms the next appointment, 2 / לא cancels it.

The reply is kept on the lead (its timeline shows it) once per Twilio
MessageSid, so a webhook Twilio delivers twice changes nothing the second
time and gets the same answer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from crm_app.i18n import translate
from crm_app.models import (
    HOLDS_TIME,
    AlertKind,
    Appointment,
    AppointmentStatus,
    Business,
    Lead,
    TextDirection,
    TextKind,
    TextMessage,
    TextState,
    utcnow,
)
from crm_app.services import notifications, texts
from crm_app.services.errors import InvalidInput
from crm_app.services.leads import find_by_phone
from crm_app.services.phones import normalize_phone

YES = frozenset({"1", "כן", "yes", "y", "ok", "אישור", "confirm"})
NO = frozenset({"2", "לא", "no", "n", "ביטול", "cancel"})
_NOISE = re.compile(r"[\s.!,\u200e\u200f\"']+")


@dataclass(frozen=True)
class Inbound:
    """What Twilio's webhook says about a received text."""

    sid: str
    from_: str
    to: str
    body: str


def meaning(body: str) -> TextKind:
    """What a reply says: confirmed, cancelled, or neither (case, spaces and dots aside)."""
    word = _NOISE.sub("", body).casefold()
    if word in YES:
        return TextKind.CONFIRMED
    if word in NO:
        return TextKind.CANCELLED
    return TextKind.UNKNOWN


def _next_appointment(session: Session, lead: Lead, now: datetime) -> Appointment | None:
    query = (
        select(Appointment)
        .where(
            col(Appointment.lead_id) == lead.id,
            col(Appointment.status).in_(HOLDS_TIME),
            col(Appointment.starts_at) > now,
        )
        .order_by(col(Appointment.starts_at))
        .limit(1)
        .with_for_update()
    )
    return session.exec(query).first()


def _apply(appointment: Appointment, kind: TextKind, now: datetime) -> None:
    if kind is TextKind.CONFIRMED:
        appointment.status, appointment.confirmed_at = AppointmentStatus.CONFIRMED.value, now
    elif kind is TextKind.CANCELLED:
        appointment.status = AppointmentStatus.CANCELLED.value


def _answer(kind: TextKind, appointment: Appointment | None, business: Business) -> str:
    if appointment is None:
        return translate("texts.no_appointment", business.locale, business=business.name)
    return texts.body_of(kind, appointment, business)


def _keep(session: Session, business: Business, lead: Lead | None, **values: object) -> None:
    texts.keep(
        session, {"business_id": business.id, "lead_id": lead.id if lead else None, **values}
    )


def receive(
    session: Session, *, business: Business, text: Inbound, now: datetime | None = None
) -> str | None:
    """Act on a customer's text; the answer to text back (None for a stranger)."""
    now = now or utcnow()
    try:
        phone = normalize_phone(text.from_, business.default_region)
    except InvalidInput:
        return None
    assert business.id is not None
    lead = find_by_phone(session, business_id=business.id, phone_e164=phone)
    seen = session.exec(select(TextMessage).where(col(TextMessage.key) == f"in:{text.sid}")).first()
    if lead is None:
        if seen is None:
            _keep(session, business, None, **_inbound(text, phone, None, TextKind.UNKNOWN))
        return None
    appointment = _next_appointment(session, lead, now)
    kind = meaning(text.body)
    if seen is not None:  # Twilio delivered it again: the same answer, nothing changes
        earlier = session.get(Appointment, seen.appointment_id) if seen.appointment_id else None
        return _answer(TextKind(seen.kind), earlier, business)
    if appointment is not None:
        _apply(appointment, kind, now)
        session.add(appointment)
        if kind is TextKind.CANCELLED and appointment.id is not None:
            texts.drop_waiting(session, appointment.id)
            _tell_staff(session, business, lead, appointment)
    _keep(session, business, lead, **_inbound(text, phone, appointment, kind))
    answer = _answer(kind, appointment, business)
    _keep(
        session,
        business,
        lead,
        key=f"answer:{text.sid}",
        appointment_id=appointment.id if appointment else None,
        direction=TextDirection.OUT.value,
        kind=TextKind.ANSWER.value,
        to_e164=phone,
        from_e164=business.phone_number,
        body=answer,
        state=TextState.SENT.value,  # it goes back in the webhook's own answer
        sent_at=now,
    )
    return answer


def _tell_staff(session: Session, business: Business, lead: Lead, appointment: Appointment) -> None:
    """The lead's owner and whoever booked it hear of the cancellation (else the managers)."""
    assert business.id is not None
    people = {i for i in (lead.owner_id, appointment.booked_by_id) if i is not None}
    notifications.notify(
        session,
        business_id=business.id,
        user_ids=people or notifications.managers(session, business.id),
        kind=AlertKind.CANCELLED_BY_TEXT,
        data=notifications.about_lead(lead, appointment_id=appointment.id),
    )


def _inbound(
    text: Inbound, phone: str, appointment: Appointment | None, kind: TextKind
) -> dict[str, object]:
    return {
        "key": f"in:{text.sid}",
        "appointment_id": appointment.id if appointment else None,
        "direction": TextDirection.IN.value,
        "kind": kind.value,
        "to_e164": text.to[:20],
        "from_e164": phone,
        "body": text.body[:1600],
        "state": TextState.RECEIVED.value,
        "twilio_sid": text.sid[:64],
    }
