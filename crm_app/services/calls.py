"""Calls: the inbound call's life in the CRM, and reading calls back.

Everything Twilio tells us is keyed by CallSid and applied idempotently, in
any order: the TwiML webhook creates the row, the media stream claims it once,
status and recording callbacks upsert it (or wait in an inbox when they come
before the row), and the bridge's finalize writes the transcript once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from crm_app.models import Business, Call, Lead, LeadSource, TwilioCallback, utcnow
from crm_app.services import leads
from crm_app.services.auth import Principal
from crm_app.services.errors import DomainError, InvalidInput, NotFound
from crm_app.services.leads import get_lead
from crm_app.services.phones import normalize_phone

TERMINAL_STATUSES = ("completed", "busy", "failed", "no-answer", "canceled")


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


def get_call(session: Session, *, principal: Principal, call_id: int) -> Call:
    """A call of the principal's business (``NotFound`` otherwise)."""
    call = session.get(Call, call_id)
    if call is None or call.business_id != principal.business_id:
        raise NotFound("no such call", key="errors.call_not_found")
    return call


def call_by_sid(session: Session, call_sid: str) -> Call | None:
    """The call with this Twilio CallSid, if any."""
    return session.exec(select(Call).where(col(Call.call_sid) == call_sid)).first()


def _caller_lead(session: Session, business: Business, from_number: str) -> Lead | None:
    assert business.id is not None
    try:
        e164 = normalize_phone(from_number, business.default_region)
    except InvalidInput:
        return None  # anonymous or unparseable caller id: the call stays without a lead
    found = leads.find_by_phone(session, business_id=business.id, phone_e164=e164)
    if found is not None:
        return found
    try:
        with session.begin_nested():
            return leads.create_lead(
                session, business_id=business.id, phone=e164, source=LeadSource.PHONE_AI
            )
    except (DomainError, sa.exc.IntegrityError):  # a concurrent call created it first
        return leads.find_by_phone(session, business_id=business.id, phone_e164=e164)


def start_inbound_call(
    session: Session, *, business: Business, call_sid: str, from_number: str, to_number: str
) -> Call:
    """Create the call (idempotent by CallSid) and link it to the caller's lead, or a new one."""
    existing = call_by_sid(session, call_sid)
    if existing is not None:
        return existing
    assert business.id is not None
    lead = _caller_lead(session, business, from_number)
    now = utcnow()
    call = Call(
        business_id=business.id,
        call_sid=call_sid,
        lead_id=lead.id if lead else None,
        from_number=from_number[:20],
        to_number=to_number[:20],
        status="ringing",
        started_at=now,
    )
    try:
        with session.begin_nested():
            session.add(call)
            session.flush()
    except sa.exc.IntegrityError:  # Twilio retried the webhook concurrently
        found = call_by_sid(session, call_sid)
        assert found is not None
        return found
    if lead is not None:
        lead.last_contact_at = now
        session.add(lead)
    apply_pending_callbacks(session, call)
    return call


def claim_stream(
    session: Session, *, call_sid: str, business_id: int, stream_sid: str
) -> Call | None:
    """Attach the media stream to its call, once: a replayed token finds it claimed."""
    result = session.execute(
        sa.update(Call)
        .where(
            col(Call.call_sid) == call_sid,
            col(Call.business_id) == business_id,
            col(Call.stream_sid).is_(None),
        )
        .values(stream_sid=stream_sid[:64], status="in-progress", answered_at=utcnow())
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return None
    return call_by_sid(session, call_sid)


@dataclass(frozen=True)
class CallOutcome:
    """What the bridge knows when a call's stream ends."""

    end_reason: str
    transcript: list[dict[str, Any]]
    ended_at: datetime
    failed: bool = False


def finalize_stream(session: Session, *, call_id: int, outcome: CallOutcome) -> Call:
    """Write how the stream ended and its realtime transcript (the bridge calls this once)."""
    call = session.get(Call, call_id)
    if call is None:
        raise NotFound("no such call")
    call.ended_at = call.ended_at or outcome.ended_at
    start = call.answered_at or call.started_at or call.created_at
    call.duration_sec = max(0, int((call.ended_at - start).total_seconds()))
    call.end_reason = outcome.end_reason[:40]
    if call.status not in TERMINAL_STATUSES:
        call.status = "failed" if outcome.failed else "completed"
    call.realtime_transcript = list(outcome.transcript)
    if call.transcript_source != "recording":  # the pipeline's may already be better
        call.transcript = list(outcome.transcript)
        call.transcript_source = "realtime" if outcome.transcript else None
    session.add(call)
    return call


def recording_started(session: Session, *, call_id: int, recording_sid: str) -> None:
    """Twilio accepted the request to record: a recording is now expected for this call."""
    call = session.get(Call, call_id)
    if call is None or call.recording_status:  # its callback may have come first
        return
    call.recording_sid = recording_sid[:64] or None
    call.recording_status = "in-progress"
    session.add(call)


def _apply_status(call: Call, payload: dict[str, str]) -> None:
    status = payload.get("CallStatus", "")
    if status:
        call.status = status[:20]
    duration = payload.get("CallDuration", "")
    if duration.isdigit():
        call.duration_sec = int(duration)
    if status in TERMINAL_STATUSES and call.ended_at is None:
        call.ended_at = utcnow()


def _apply_recording(call: Call, payload: dict[str, str]) -> None:
    sid = payload.get("RecordingSid", "")
    if (
        call.recording_sid
        and sid
        and call.recording_sid != sid
        and call.recording_status == "completed"
    ):
        return  # a later callback for another recording does not replace a finished one
    call.recording_sid = sid[:64] or call.recording_sid
    call.recording_url = payload.get("RecordingUrl", "")[:500] or call.recording_url
    call.recording_status = payload.get("RecordingStatus", "")[:20] or call.recording_status
    duration = payload.get("RecordingDuration", "")
    if duration.isdigit():
        call.recording_duration_sec = int(duration)


_APPLY = {"status": _apply_status, "recording": _apply_recording}


def record_callback(session: Session, *, kind: str, payload: dict[str, str]) -> Call | None:
    """Apply a status or recording callback; keep it for later when the call is unknown yet."""
    call_sid = payload.get("CallSid", "")
    call = call_by_sid(session, call_sid)
    if call is None:
        session.add(TwilioCallback(call_sid=call_sid[:64], kind=kind, payload=dict(payload)))
        return None
    _APPLY[kind](call, payload)
    session.add(call)
    return call


def apply_pending_callbacks(session: Session, call: Call) -> None:
    """Apply callbacks that arrived before the call row, in arrival order."""
    pending = session.exec(
        select(TwilioCallback)
        .where(
            col(TwilioCallback.call_sid) == call.call_sid, col(TwilioCallback.applied_at).is_(None)
        )
        .order_by(col(TwilioCallback.id))
    )
    for callback in pending:
        _APPLY[callback.kind](call, callback.payload)
        callback.applied_at = utcnow()
        session.add(callback)
    session.add(call)
