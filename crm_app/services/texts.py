"""Texts to customers about their appointments: confirmations, reminders, and their replies.

Every outgoing text is a ``text_message`` row first, under an idempotency key
(the appointment, the kind of text and the appointment's time), written in the
transaction that makes it due; the row is what is sent, once. Sending claims a
row (``pending`` -> ``sending``), asks Twilio, then records the SID. A worker
that dies between the two leaves a ``sending`` row behind: once its claim is
stale, the next worker asks Twilio whether it has that text before sending it
again, so the customer gets it once either way.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import Session, col, select

from crm_app.db import unit_of_work
from crm_app.i18n import translate
from crm_app.models import (
    HOLDS_TIME,
    Appointment,
    Business,
    Lead,
    TextDirection,
    TextKind,
    TextMessage,
    TextState,
    utcnow,
)
from crm_app.services import sms
from crm_app.services.agent_time import weekday_name

logger = logging.getLogger("crm_app.texts")
STALE_CLAIM = timedelta(minutes=2)  # a send takes seconds; a claim this old lost its worker
MAX_ATTEMPTS = 5
BATCH = 100


def _when(appointment: Appointment, business: Business) -> dict[str, str]:
    local = appointment.starts_at.astimezone(ZoneInfo(business.timezone))
    day = local.date()
    return {
        "business": business.name,
        "weekday": weekday_name(day, business.locale),
        "date": f"{day.day}.{day.month}" if business.locale == "he" else day.strftime("%b %-d"),
        "time": local.strftime("%H:%M"),
    }


def body_of(kind: TextKind, appointment: Appointment, business: Business) -> str:
    """The text of ``kind`` about ``appointment``, in the business's language."""
    return translate(f"texts.{kind.value}", business.locale, **_when(appointment, business))


def key_of(appointment: Appointment, kind: str) -> str:
    """The idempotency key of a text about the appointment at its present time."""
    return f"appointment-{appointment.id}:{kind}:{appointment.starts_at:%Y%m%dT%H%MZ}"


def _queue(
    session: Session, appointment: Appointment, kind: TextKind, key: str, state: TextState
) -> int | None:
    """Add the text unless its key exists; the new row's id, or None."""
    business = session.get(Business, appointment.business_id)
    lead = session.get(Lead, appointment.lead_id) if appointment.lead_id else None
    if business is None or lead is None or not lead.phone_e164:
        return None
    values: dict[str, object] = {
        "business_id": business.id,
        "lead_id": lead.id,
        "appointment_id": appointment.id,
        "key": key,
        "direction": TextDirection.OUT.value,
        "kind": kind.value,
        "to_e164": lead.phone_e164,
        "from_e164": business.phone_number,
        "body": body_of(kind, appointment, business),
        "state": state.value,
    }
    return keep(session, values)


def keep(session: Session, values: dict[str, object]) -> int | None:
    """Insert a text unless a text with its key exists; the new row's id, or None."""
    row = {"attempts": 0, "error": "", "created_at": utcnow(), **values}
    statement = insert(TextMessage).values(**row).on_conflict_do_nothing(index_elements=["key"])
    made = session.execute(statement.returning(sa.column("id"))).first()
    return int(made[0]) if made else None


def confirm_booking(session: Session, appointment: Appointment) -> int | None:
    """Queue the "you are booked" text (a moved appointment gets one for its new time)."""
    business = session.get(Business, appointment.business_id)
    if business is None or not business.texts_customers:
        return None
    kind = TextKind.CONFIRMATION
    return _queue(session, appointment, kind, key_of(appointment, kind.value), TextState.PENDING)


def drop_waiting(session: Session, appointment_id: int) -> int:
    """Skip the texts about an appointment that have not gone yet (it moved or was cancelled)."""
    result = session.execute(
        sa.update(TextMessage)
        .where(
            col(TextMessage.appointment_id) == appointment_id,
            col(TextMessage.state) == TextState.PENDING.value,
        )
        .values(state=TextState.SKIPPED.value)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def _due_reminders(session: Session, now: datetime) -> list[tuple[Appointment, int]]:
    """Appointments whose reminder ``minutes`` before has come, at a time set before it came."""
    minutes = sa.func.jsonb_array_elements_text(Business.reminder_minutes).table_valued("value")
    offset = sa.cast(minutes.c.value, sa.Integer)
    remind_at = col(Appointment.starts_at) - offset * sa.text("interval '1 minute'")
    query = (
        select(Appointment, offset)
        .join(Business, col(Business.id) == col(Appointment.business_id))
        .join(minutes, sa.true())
        .where(
            col(Business.texts_customers).is_(True),
            col(Appointment.status).in_(HOLDS_TIME),
            col(Appointment.lead_id).is_not(None),
            col(Appointment.starts_at) > now,
            col(Appointment.starts_at) <= now + timedelta(days=8),
            remind_at <= now,
            col(Appointment.timed_at) <= remind_at,
        )
        .limit(BATCH * 5)
    )
    return [(a, int(m)) for a, m in session.execute(query)]


def queue_reminders(session: Session, *, now: datetime | None = None) -> int:
    """Add every reminder that came due (each once, whatever runs this and how often)."""
    made = 0
    for appointment, minutes in _due_reminders(session, now or utcnow()):
        key = key_of(appointment, f"reminder-{minutes}")
        if _queue(session, appointment, TextKind.REMINDER, key, TextState.PENDING) is not None:
            made += 1
    return made


@dataclass(frozen=True)
class Claim:
    """A text this worker holds: send it (or, when ``recheck``, first ask Twilio)."""

    id: int
    to: str
    from_: str
    body: str
    claimed_at: datetime
    recheck: bool
    attempts: int  # this one included


def _claim(now: datetime, tried: list[int]) -> Claim | None:
    """Take one pending text, or one whose claim went stale, that this run has not tried."""
    stale = sa.and_(
        col(TextMessage.state) == TextState.SENDING.value,
        col(TextMessage.claimed_at) < now - STALE_CLAIM,
    )
    with unit_of_work() as session:
        row = session.exec(
            select(TextMessage)
            .where(sa.or_(col(TextMessage.state) == TextState.PENDING.value, stale))
            .where(col(TextMessage.id).not_in(tried))
            .order_by(col(TextMessage.id))
            .limit(1)
            .with_for_update(skip_locked=True)
        ).first()
        if row is None or row.id is None:
            return None
        recheck = row.state == TextState.SENDING.value
        row.state, row.claimed_at, row.attempts = TextState.SENDING.value, now, row.attempts + 1
        session.add(row)
        return Claim(row.id, row.to_e164, row.from_e164, row.body, now, recheck, row.attempts)


def _finish(claim: Claim, state: TextState, *, sid: str | None = None, error: str = "") -> None:
    """Record how the claimed send ended (only while the claim is still this worker's)."""
    values: dict[str, object] = {"state": state.value, "error": error[:200]}
    if sid is not None:
        values |= {"twilio_sid": sid, "sent_at": utcnow()}
    with unit_of_work() as session:
        session.execute(
            sa.update(TextMessage)
            .where(col(TextMessage.id) == claim.id, col(TextMessage.claimed_at) == claim.claimed_at)
            .values(**values)
        )


def _send(config: sms.SmsConfig, claim: Claim) -> None:
    try:
        found = (
            sms.find(config, to=claim.to, from_=claim.from_, body=claim.body)
            if claim.recheck
            else None
        )
        sent = found or sms.send(config, to=claim.to, from_=claim.from_, body=claim.body)
    except sms.SmsError as exc:
        final = exc.permanent or claim.attempts >= MAX_ATTEMPTS
        logger.warning("text_not_sent text_id=%s error=%s final=%s", claim.id, exc, final)
        _finish(claim, TextState.FAILED if final else TextState.PENDING, error=str(exc))
        return
    logger.info("text_sent text_id=%s rechecked=%s", claim.id, found is not None)
    _finish(claim, TextState.SENT, sid=sent.sid)


def send_waiting(
    config: sms.SmsConfig | None = None, *, now: datetime | None = None, limit: int = BATCH
) -> int:
    """Send the texts waiting (any number of workers may run this at once); how many tried."""
    config = config or sms.SmsConfig.from_settings()
    tried: list[int] = []
    while len(tried) < limit and (claim := _claim(now or utcnow(), tried)) is not None:
        _send(config, claim)
        tried.append(claim.id)
    return len(tried)
