"""The bridge's doorway into the CRM: its services, run in worker threads.

The bridge reports what happened to a call through a :data:`CallEvents`
listener that whoever builds the bridge passes in (the CRM server wires the
post-call pipeline to it); the bridge itself knows nothing of what listens.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import exc as sa_exc
from twilio.base.exceptions import TwilioException
from twilio.rest import Client

from crm_app.db import unit_of_work
from crm_app.models import Business, Call, Lead, utcnow
from crm_app.services import accounts, agent, agent_time, booking, calls, text_replies
from crm_app.services.agent import AgentSettings
from crm_app.services.errors import InvalidInput, NotFound
from crm_app.services.phones import normalize_phone
from voice_bridge.config import BridgeConfig
from voice_bridge.security import CallToken
from voice_bridge.session_config import AgentProfile
from voice_bridge.spool import CallSpool
from voice_bridge.tools import CallContext

logger = logging.getLogger("voice_bridge")
TERMINAL_STATUSES = calls.TERMINAL_STATUSES
# What happened to a call: "finalized" (the bridge wrote it), "recording" (Twilio finished
# or gave up on its recording), "ended" (Twilio reported a final status).
CallEvent = Literal["finalized", "recording", "ended"]
# Hears call events, in a worker thread; the bridge's builder provides it.
CallEvents = Callable[[int, CallEvent], None]
RECORDING_DONE = ("completed", "absent", "failed")
# Hears a line of a call's transcript as it is said: (call id, the stored line).
CallLines = Callable[[int, dict[str, Any]], None]


def no_events(call_id: int, event: CallEvent) -> None:
    """The listener of a bridge that nobody listens to."""


def no_lines(call_id: int, line: dict[str, Any]) -> None:
    """The line listener of a bridge that nobody listens to."""


def notify(events: CallEvents, call_id: int, event: CallEvent) -> None:
    """Tell the listener; its failure never stops the call."""
    try:
        events(call_id, event)
    except Exception:
        logger.exception("call_listener_failed call_id=%s event=%s", call_id, event)


def notify_line(heard: CallLines, call_id: int, line: dict[str, Any]) -> None:
    """Tell a line listener; its failure never stops the call."""
    try:
        heard(call_id, line)
    except Exception:
        logger.exception("line_listener_failed call_id=%s", call_id)


def business_for_number(to_number: str) -> Business | None:
    """The business whose line was called; unknown numbers are nobody's."""
    try:
        e164 = normalize_phone(to_number, "IL")
    except InvalidInput:
        return None
    with unit_of_work() as session:
        return accounts.business_by_phone(session, phone_e164=e164)


_MESSAGE_SID = re.compile(r"^SM[A-Za-z0-9]{32}$")


def receive_text(business: Business, form: dict[str, str]) -> str | None:
    """A customer's text to the business; the answer to send back, if any."""
    text = text_replies.Inbound(
        sid=form.get("MessageSid", form.get("SmsSid", "")),
        from_=form.get("From", ""),
        to=form.get("To", ""),
        body=form.get("Body", ""),
    )
    if not _MESSAGE_SID.match(text.sid):
        return None
    with unit_of_work() as session:
        return text_replies.receive(session, business=business, text=text)


def start_call(
    events: CallEvents, business: Business, call_sid: str, from_number: str, to_number: str
) -> None:
    """Create the call row (idempotent) and link or create the caller's lead.

    Callbacks that arrived before the row are applied now; a finished
    recording among them is announced like one that arrives later.
    """
    with unit_of_work() as session:
        call = calls.start_inbound_call(
            session,
            business=business,
            call_sid=call_sid,
            from_number=from_number,
            to_number=to_number,
        )
        call_id, recording = call.id, call.recording_status
    if call_id is not None and recording in RECORDING_DONE:
        notify(events, call_id, "recording")


@dataclass(frozen=True)
class CallSetup:
    """What a stream needs once its token checks out: the agent as it is at the call's start."""

    context: CallContext
    business_name: str
    settings: AgentSettings
    revision: int  # the agent revision answering this call
    time_context: str
    lead_name: str
    appointment_types: tuple[tuple[str, int], ...] = ()

    @property
    def greeting(self) -> str:
        """The agent's first words ("" lets the model greet in its own words)."""
        return self.settings.greeting

    def profile(self, config: BridgeConfig) -> AgentProfile:
        """The Realtime session's view of the business."""
        s = self.settings
        return AgentProfile(
            business_name=self.business_name,
            instructions=s.instructions,
            locale=self.context.locale,
            voice=s.voice,
            model=config.realtime_model,
            transcribe_model=config.transcribe_model,
            books_appointments=s.books_appointments,
            lead_name=self.lead_name,
            collect=tuple((f.key, f.label) for f in s.collect),
            time_context=self.time_context,
            slot_minutes=s.slot_minutes,
            booking_window_days=s.booking_window_days,
            min_notice_minutes=s.min_notice_minutes,
            appointment_types=self.appointment_types,
        )

    def call_config(self, config: BridgeConfig) -> BridgeConfig:
        """The bridge's config with this business's silence and length limits, where it set them."""
        return replace(
            config,
            silence_seconds=self.settings.silence_seconds or config.silence_seconds,
            max_call_seconds=self.settings.max_call_seconds or config.max_call_seconds,
        )


def _setup(
    call: Call,
    business: Business,
    settings: AgentSettings,
    lead_name: str,
    now: datetime,
    types: tuple[tuple[str, int], ...] = (),
) -> CallSetup:
    assert call.id is not None
    locale = settings.locale or business.locale
    opening = agent_time.OpeningHours.of(business.business_hours, business.closed_dates)
    return CallSetup(
        context=CallContext(
            business_id=call.business_id,
            call_id=call.id,
            lead_id=call.lead_id,
            timezone=business.timezone,
            locale=locale,
        ),
        business_name=business.name,
        settings=settings,
        revision=business.agent_revision,
        time_context=agent_time.time_context(
            now=now, timezone=business.timezone, opening=opening, locale=locale
        ),
        lead_name=lead_name,
        appointment_types=types,
    )


def claim_call(
    token: CallToken, stream_sid: str, draft: agent.AgentSettings | None = None
) -> CallSetup | None:
    """Claim the call for this stream (once); None for an unknown or replayed call.

    The call records the agent revision that answers it; a test call answered by
    ``draft`` (settings not saved yet) records none.
    """
    with unit_of_work() as session:
        call = calls.claim_stream(
            session, call_sid=token.call_sid, business_id=token.business_id, stream_sid=stream_sid
        )
        if call is None or call.id is None:
            return None
        business, settings = agent.for_call(session, business_id=call.business_id)
        call.agent_revision = business.agent_revision
        if draft is not None:
            settings, call.agent_revision = draft, None
        session.add(call)
        lead = session.get(Lead, call.lead_id) if call.lead_id else None
        kinds = tuple((k.name, k.minutes) for k in booking.active_types(session, call.business_id))
        return _setup(call, business, settings, lead.name if lead else "", utcnow(), kinds)


# Waits between tries of a call's final write while the database does not answer (~8 s).
FINALIZE_RETRY_WAITS = (0.25, 0.5, 1.0, 2.0, 4.0)
DATABASE_AWAY = (sa_exc.OperationalError, sa_exc.InterfaceError)


def _write_outcome(call_id: int, outcome: calls.CallOutcome) -> None:
    with unit_of_work() as session:
        calls.finalize_stream(session, call_id=call_id, outcome=outcome)


async def finalize_call(
    events: CallEvents,
    call_id: int,
    reason: str,
    transcript: list[dict[str, Any]],
    failed: bool,
    *,
    spool: CallSpool,
    waits: tuple[float, ...] | None = None,
) -> None:
    """Persist how the call ended, then queue the post-call work.

    While the database does not answer, the write is tried again after each of
    ``waits`` (default :data:`FINALIZE_RETRY_WAITS`); if it still cannot be
    made, the outcome goes to the spool and is written (and its post-call work
    queued) when the database is back.
    """
    outcome = calls.CallOutcome(
        end_reason=reason, transcript=transcript, ended_at=utcnow(), failed=failed
    )
    for wait in (*(FINALIZE_RETRY_WAITS if waits is None else waits), None):
        try:
            await asyncio.to_thread(_write_outcome, call_id, outcome)
        except DATABASE_AWAY as exc:
            if wait is None:
                await asyncio.to_thread(spool.put, call_id, outcome)
                logger.warning("call_spooled call_id=%s error=%s", call_id, type(exc).__name__)
                return
            logger.warning("finalize_retry call_id=%s in=%.2fs", call_id, wait)
            await asyncio.sleep(wait)
        else:
            await asyncio.to_thread(notify, events, call_id, "finalized")
            return


def replay_spool(events: CallEvents, spool: CallSpool) -> int:
    """Write the spooled calls now that the database answers; how many were written.

    Stops at the first call the database still refuses (it is away again).
    """
    written = 0
    for spooled in spool.pending():
        try:
            _write_outcome(spooled.call_id, spooled.outcome)
        except DATABASE_AWAY:
            break
        except NotFound:
            logger.warning("spooled call gone call_id=%s", spooled.call_id)
        else:
            notify(events, spooled.call_id, "finalized")
            written += 1
            logger.info("call_replayed call_id=%s", spooled.call_id)
        spool.done(spooled)
    return written


def record_callback(events: CallEvents, kind: str, form: dict[str, str]) -> None:
    """Apply a Twilio status or recording callback, then announce what it means."""
    with unit_of_work() as session:
        call = calls.record_callback(session, kind=kind, payload=form)
        call_id = call.id if call is not None else None
    if call_id is None:
        return  # kept in the inbox; announced when the call row appears
    if kind == "recording" and form.get("RecordingStatus") in RECORDING_DONE:
        notify(events, call_id, "recording")
    elif kind == "status" and form.get("CallStatus") in TERMINAL_STATUSES:
        notify(events, call_id, "ended")


def start_recording(config: BridgeConfig, call_id: int, call_sid: str) -> None:
    """Ask Twilio to record both legs of the call, with a callback when it is ready."""
    client = Client(config.twilio_account_sid, config.twilio_auth_token, environment={})
    client.api.base_url = config.twilio_api_base_url
    callback = f"{config.public_base_url}/twilio/recording"
    try:
        created = (
            client.api.v2010.accounts(config.twilio_account_sid)
            .calls(call_sid)
            .recordings.create(
                recording_channels="dual",
                recording_track="both",
                recording_status_callback=callback,
                recording_status_callback_event=["completed", "absent"],
            )
        )
    except (TwilioException, OSError) as exc:
        logger.warning("recording_not_started call_sid=%s error=%s", call_sid, type(exc).__name__)
        return
    with unit_of_work() as session:
        calls.recording_started(session, call_id=call_id, recording_sid=str(created.sid or ""))


def hang_up(config: BridgeConfig, call_sid: str) -> None:
    """Ask Twilio to end the call (its REST API at ``TWILIO_API_BASE_URL``)."""
    client = Client(config.twilio_account_sid, config.twilio_auth_token, environment={})
    client.api.base_url = config.twilio_api_base_url
    try:
        client.api.v2010.accounts(config.twilio_account_sid).calls(call_sid).update(
            status="completed"
        )
    except (TwilioException, OSError) as exc:
        logger.warning("hangup_failed call_sid=%s error=%s", call_sid, type(exc).__name__)
