"""Whole calls through the real bridge over real sockets, with the fake Twilio and OpenAI."""

from __future__ import annotations

import logging

import pytest
from sqlmodel import select

from crm_app.db import unit_of_work
from crm_app.models import Call, Lead
from tests.factories import Tenant
from tests.voice.conftest import harness, until
from voice_bridge.testing.audio import clip
from voice_bridge.testing.fake_openai import FakeRealtime


def _call(call_sid: str) -> Call:
    with unit_of_work() as session:
        call = session.exec(select(Call).where(Call.call_sid == call_sid)).one()
    return call


async def test_happy_path_call_lands_in_the_crm(
    voice_tenant: Tenant, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    fake = FakeRealtime(
        mode="vad",
        caller_transcripts=["I would like an appointment"],
        reply_text="Of course. Goodbye for now",
    )
    async with harness(voice_tenant, fake) as h:
        caller = h.caller()
        twiml = await caller.place()
        assert '<Stream url="wss://crm.test/twilio/media">' in twiml and caller.token
        await caller.connect()
        fake_session = await fake.wait_session()
        await until(lambda: caller.report.media_messages > 0)  # the greeting
        await caller.stream(clip("en_caller"), pause_ms=800)

        def both_spoke() -> bool:  # in what the bridge has heard, or the call it wrote
            live = h.live(caller.call_sid)
            return live is None or {"caller", "agent"} <= {u.speaker for u in live.transcript}

        await until(both_spoke)
        await caller.stop()
        await until(lambda: _call(caller.call_sid).ended_at is not None)
    call = _call(caller.call_sid)
    assert call.status == "completed" and call.end_reason in ("caller_hangup", "agent_goodbye")
    assert call.transcript_source == "realtime"
    speakers = [u["speaker"] for u in call.transcript]
    assert "caller" in speakers and "agent" in speakers
    assert any(u["text"] == "I would like an appointment" for u in call.transcript)
    with unit_of_work() as session:
        lead = session.get(Lead, call.lead_id)
    assert lead is not None and lead.phone_e164 == "+972541234567" and lead.source == "phone_ai"
    session_update = fake_session.received[0]
    assert session_update["type"] == "session.update"
    assert session_update["session"]["audio"]["input"]["format"] == {"type": "audio/pcmu"}
    assert caller.report.violations == []
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert any("call_end" in r.getMessage() for r in caplog.records)
