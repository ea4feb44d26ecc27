"""The bridge's behaviour over real sockets: barge-in, tools, drops, security, fuzzing, limits."""

from __future__ import annotations

import asyncio
import base64
import io
import json
import logging
import wave
from datetime import timedelta

import pytest
import websockets
from sqlmodel import select

from crm_app.db import unit_of_work
from crm_app.models import Appointment, Call, utcnow
from tests.factories import Tenant
from tests.voice.conftest import harness, set_business, until
from voice_bridge.call import CallSession
from voice_bridge.testing.audio import clip, silence
from voice_bridge.testing.fake_openai import FakeRealtime, ToolPlan


def _call(call_sid: str) -> Call | None:
    with unit_of_work() as session:
        return session.exec(select(Call).where(Call.call_sid == call_sid)).first()


async def _finalized(call_sid: str) -> Call:
    await until(lambda: (c := _call(call_sid)) is not None and c.ended_at is not None)
    call = _call(call_sid)
    assert call is not None
    return call


def _no_errors(caplog: pytest.LogCaptureFixture) -> None:
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []


async def test_barge_in_clears_truncates_within_bounds_and_drops_late_audio(
    voice_tenant: Tenant, caplog: pytest.LogCaptureFixture
) -> None:
    # A 4 s greeting generated much faster than it plays: the caller interrupts it.
    fake = FakeRealtime(reply_audio=clip("he_agent")[:32000], chunk_ms=200, chunk_delay=0.02)
    async with harness(voice_tenant, fake) as h:
        caller = h.caller()
        await caller.place()
        await caller.connect()
        session = await fake.wait_session()
        await until(lambda: len(caller.report.marks_sent_back) >= 3)  # 600 ms heard
        played = max(int(name.split(":")[2]) for name in caller.report.marks_sent_back)
        item_id = caller.report.marks_sent_back[0].split(":")[1]
        bridged = await h.live_call(caller.call_sid)
        # The marks reach the bridge on the Twilio socket, speech_started on the OpenAI one:
        # what was heard is what the bridge knows of when the caller speaks.
        await until(lambda: bridged.playout.items[item_id].acked_ms >= played)
        await session.speech_started()
        await until(
            lambda: any(e["type"] == "conversation.item.truncate" for e in session.received)
        )
        truncate = next(e for e in session.received if e["type"] == "conversation.item.truncate")
        generated = session.audio_items[item_id].generated_ms
        await until(lambda: caller.report.clears > 0)  # the clear went out on the other socket
        assert caller.report.clears == 1
        assert truncate["item_id"] == item_id and played <= truncate["audio_end_ms"] <= generated
        assert not any(
            e["type"] == "response.cancel" for e in session.received
        )  # the server cancels
        before = len(caller.report.received_audio)
        for item, audio in ((item_id, silence(200)), ("item_after_the_barge_in", silence(40))):
            await session.send(
                {
                    "type": "response.output_audio.delta",
                    "response_id": "resp_late",
                    "item_id": item,
                    "output_index": 0,
                    "content_index": 0,
                    "delta": base64.b64encode(audio).decode(),
                }
            )  # a late delta of the cut item, then one of a new item
        # The bridge handles the deltas in order: once the new item's audio has come through,
        # the late delta has been dealt with, and only the new audio may have played.
        await until(lambda: len(caller.report.received_audio) > before)
        assert len(caller.report.received_audio) - before == len(silence(40))
        assert caller.report.audio_after_clear == len(silence(40))
        await caller.stop()
        call = await _finalized(caller.call_sid)
    agent = [u for u in call.transcript if u["speaker"] == "agent"]
    assert agent and agent[0]["interrupted"] is True
    _no_errors(caplog)


async def test_a_turn_barged_in_twice_is_truncated_once_within_its_length(
    voice_tenant: Tenant,
) -> None:
    # A 4 s greeting generated far ahead of playback: the caller speaks over it, and
    # speaks again before the agent answers.
    fake = FakeRealtime(reply_audio=clip("he_agent")[:32000], chunk_ms=200, chunk_delay=0.02)
    async with harness(voice_tenant, fake) as h:
        caller = h.caller(on_clear="echo")  # the cleared marks come back after the clear
        await caller.place()
        await caller.connect()
        session = await fake.wait_session()
        await until(lambda: len(caller.report.marks_sent_back) >= 3)
        item_id = caller.report.marks_sent_back[0].split(":")[1]
        await session.speech_started()
        await until(lambda: any(e["type"] == "conversation.item.truncated" for e in session.sent))
        await session.speech_started()
        await session.respond(audio=silence(200))  # the agent's answer, after both
        await until(lambda: caller.report.audio_after_clear > 0)
        await caller.stop()
        await _finalized(caller.call_sid)
        async with asyncio.timeout(20):
            await session.closed.wait()  # the fake has handled every event the bridge sent
    assert [e["error"] for e in session.sent if e["type"] == "error"] == []
    truncates = [e for e in session.received if e["type"] == "conversation.item.truncate"]
    length = session.audio_items[item_id].generated_ms
    for truncate in truncates:  # each within the item's length, as generated or truncated
        assert 0 < truncate["audio_end_ms"] <= length
        length = truncate["audio_end_ms"]
    assert [e["item_id"] for e in truncates] == [item_id]


async def test_audio_still_arriving_after_a_barge_in_is_not_played(
    voice_tenant: Tenant, caplog: pytest.LogCaptureFixture
) -> None:
    # The model speaks slower than real time, so the caller has heard every delta so far
    # when they speak; the server's cancel is not instant: two more deltas are in flight.
    fake = FakeRealtime(
        reply_audio=clip("he_agent")[:32000], chunk_ms=100, chunk_delay=0.4, deltas_after_cancel=2
    )
    async with harness(voice_tenant, fake) as h:
        caller = h.caller()
        await caller.place()
        await caller.connect()
        session = await fake.wait_session()
        await until(lambda: caller.call_sid in h.bridge.registry.sessions)
        call = h.bridge.registry.sessions[caller.call_sid]
        assert isinstance(call, CallSession)
        await until(lambda: bool(session.audio_items))
        [item_id] = session.audio_items
        greeting = session.audio_items[item_id]

        def all_heard() -> bool:  # all that was generated so far has reached the caller's ear
            audio = call.playout.items.get(item_id)
            return audio is not None and audio.acked_ms == greeting.generated_ms >= 200

        await until(all_heard)
        heard = greeting.generated_ms
        await session.speech_started()
        await until(lambda: session.response is None)  # the late deltas, then response.done
        kinds = [e["type"] for e in session.sent]
        in_flight = kinds[
            kinds.index("input_audio_buffer.speech_started") : kinds.index("response.done")
        ]
        assert in_flight.count("response.output_audio.delta") == 2
        answer = bytes(range(256)) * 5  # 160 ms, told apart from the greeting byte for byte
        await session.respond(audio=answer)
        await until(lambda: caller.report.audio_after_clear >= len(answer))
        after_clear = bytes(caller.report.received_audio[-caller.report.audio_after_clear :])
        assert caller.report.clears == 1
        assert after_clear == answer  # the answer, and nothing more of the interrupted greeting
        await caller.stop()
        await _finalized(caller.call_sid)
        async with asyncio.timeout(5):
            await session.closed.wait()  # the fake has handled every event the bridge sent
    truncates = [e for e in session.received if e["type"] == "conversation.item.truncate"]
    assert [(e["item_id"], e["audio_end_ms"]) for e in truncates] == [(item_id, heard)]
    assert [e["error"] for e in session.sent if e["type"] == "error"] == []
    _no_errors(caplog)


async def test_an_answer_cut_off_before_its_first_audio_is_not_played(
    voice_tenant: Tenant, caplog: pytest.LogCaptureFixture
) -> None:
    # The caller pauses, the model starts answering, the caller goes on: the server cancels
    # the answer, but its first item and deltas were already on their way.
    fake = FakeRealtime(reply_audio=silence(100), chunk_delay=0.05, deltas_after_cancel=2)
    async with harness(voice_tenant, fake) as h:
        caller = h.caller()
        await caller.place()
        await caller.connect()
        session = await fake.wait_session()
        await until(lambda: caller.call_sid in h.bridge.registry.sessions)
        call = h.bridge.registry.sessions[caller.call_sid]
        assert isinstance(call, CallSession)
        await caller.listen()  # the greeting, heard to its end
        await until(lambda: not call.response_active and not call.playout.unplayed())
        await session.respond(audio=clip("he_agent")[:8000])  # an answer begins...
        await session.speech_started()  # ...and the caller speaks before any of its audio
        await until(lambda: session.response is None)
        kinds = [e["type"] for e in session.sent]
        in_flight = kinds[kinds.index("input_audio_buffer.speech_started") :]
        assert "response.output_item.added" in in_flight
        assert in_flight.count("response.output_audio.delta") == 2
        answer = bytes(range(256)) * 5  # 160 ms
        await session.respond(audio=answer)
        await until(lambda: caller.report.audio_after_clear >= len(answer))
        after_clear = bytes(caller.report.received_audio[-caller.report.audio_after_clear :])
        assert caller.report.clears == 1 and after_clear == answer
        await caller.stop()
        await _finalized(caller.call_sid)
        async with asyncio.timeout(5):
            await session.closed.wait()
    assert not any(e["type"] == "conversation.item.truncate" for e in session.received)
    assert [e["error"] for e in session.sent if e["type"] == "error"] == []
    _no_errors(caplog)


async def test_without_server_interruption_the_bridge_cancels_only_an_active_response(
    voice_tenant: Tenant,
) -> None:
    fake = FakeRealtime(reply_audio=clip("he_agent")[:32000], chunk_ms=100, chunk_delay=0.05)
    from voice_bridge.session_config import VadConfig

    async with harness(voice_tenant, fake, vad=VadConfig(interrupt_response=False)) as h:
        caller = h.caller()
        await caller.place()
        await caller.connect()
        session = await fake.wait_session()
        await until(lambda: len(caller.report.marks_sent_back) >= 1)
        assert session.response is not None  # still generating
        await session.speech_started()
        await until(lambda: any(e["type"] == "response.cancel" for e in session.received))
        await until(lambda: session.response is None)
        await session.speech_started()  # nothing playing any more, nothing active
        # A barrier on the same socket: the bridge answers this tool call only after it has
        # handled the speech_started before it, so a second cancel would have come first.
        await session.call_tool("no_such_tool", {})
        await until(lambda: len(session.outputs) == 1)
        assert sum(e["type"] == "response.cancel" for e in session.received) == 1
        await caller.stop()
        await _finalized(caller.call_sid)


async def test_a_tool_round_trip_books_an_appointment_visible_in_the_crm(
    voice_tenant: Tenant,
) -> None:
    set_business(
        voice_tenant,
        books_appointments=True,
        min_notice_minutes=0,
        business_hours={
            d: [["00:00", "23:59"]] for d in ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
        },
    )
    day = (utcnow() + timedelta(days=3)).date().isoformat()
    fake = FakeRealtime(
        mode="vad",
        reply_audio=silence(300),
        reply_text="Booked. Anything else?",
        tool_plan=ToolPlan(
            "schedule_appointment", {"date": day, "time": "10:00", "reason": "ניקוי"}
        ),
    )
    async with harness(voice_tenant, fake) as h:
        caller = h.caller(pace=False)
        await caller.place()
        await caller.connect()
        session = await fake.wait_session()
        await caller.stream(clip("he_caller") + silence(900))
        await until(lambda: len(session.outputs) == 1)
        output = json.loads(session.outputs[0]["output"])
        assert output["booked"] is True and output["date"] == day
        update = next(e for e in session.received if e["type"] == "session.update")
        assert {t["name"] for t in update["session"]["tools"]} == {
            "check_availability",
            "schedule_appointment",
        }
        await caller.stop()
        call = await _finalized(caller.call_sid)
    with unit_of_work() as db:
        [appointment] = db.exec(
            select(Appointment).where(Appointment.business_id == voice_tenant.id)
        ).all()
    assert appointment.call_id == call.id and appointment.lead_id == call.lead_id
    assert appointment.title == "ניקוי"


async def test_openai_dropping_mid_call_apologises_and_keeps_the_partial_transcript(
    voice_tenant: Tenant, caplog: pytest.LogCaptureFixture
) -> None:
    fake = FakeRealtime(reply_audio=silence(200), reply_text="שלום")
    async with harness(voice_tenant, fake) as h:
        caller = h.caller()
        await caller.place()
        await caller.connect()
        session = await fake.wait_session()
        await until(
            lambda: any(e["type"] == "response.output_audio_transcript.done" for e in session.sent)
        )
        heard_before = len(caller.report.received_audio)
        await session.drop(1011)
        await caller.wait_closed(within=15)
        call = await _finalized(caller.call_sid)
    assert len(caller.report.received_audio) - heard_before > 8000  # more than a second of apology
    assert caller.report.close_code == 1000
    assert call.end_reason == "ai_disconnected"
    assert [u["text"] for u in call.transcript] == ["שלום"]
    _no_errors(caplog)


async def test_twilio_dropping_finalizes_the_call(
    voice_tenant: Tenant, caplog: pytest.LogCaptureFixture
) -> None:
    fake = FakeRealtime(reply_audio=silence(200))
    async with harness(voice_tenant, fake) as h:
        caller = h.caller()
        await caller.place()
        await caller.connect()
        session = await fake.wait_session()
        await caller.stream(silence(200))
        await caller.close(code=1011)  # the socket dies, no stop
        call = await _finalized(caller.call_sid)
        await until(lambda: session.closed.is_set())
    assert call.end_reason == "twilio_disconnected" and call.status == "completed"
    _no_errors(caplog)


async def test_bad_signatures_tokens_and_missing_start_never_reach_openai(
    voice_tenant: Tenant,
) -> None:
    fake = FakeRealtime()
    async with harness(voice_tenant, fake) as h:
        unsigned = h.caller()
        unsigned.auth_token = "not-the-token"
        with pytest.raises(Exception, match="403"):
            await unsigned.place()

        caller = h.caller()
        await caller.place()
        with pytest.raises(websockets.InvalidStatus, match="403"):  # refused before the upgrade
            await caller.connect(signed=False)

        forged = h.caller()
        await forged.place()
        await forged.connect(token=forged.token.replace(".", ".9", 1))
        await forged.wait_closed()
        assert forged.report.close_code == 1008

        other = h.caller()  # a valid token, but for another call
        await other.place()
        thief = h.caller()
        await thief.place()
        await thief.connect(token=other.token)
        await thief.wait_closed()
        assert thief.report.close_code == 1008

        silent = h.caller()
        await silent.place()
        await silent.connect(send_start=False)  # a ghost stream: closed after 3 s
        await silent.wait_closed(within=20)
        assert silent.report.close_code == 1008
        assert fake.sessions == []

        good = h.caller(pace=False)
        await good.place()
        await good.connect()
        await fake.wait_session()
        await good.stop()
        await _finalized(good.call_sid)
        replay = h.caller()
        replay.call_sid, replay.token = good.call_sid, good.token  # the same token again
        await replay.connect()
        await replay.wait_closed()
        assert replay.report.close_code == 1008 and len(fake.sessions) == 1


async def test_fuzzed_frames_do_not_crash_the_call_or_others(
    voice_tenant: Tenant, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    fake = FakeRealtime(reply_audio=silence(200))
    async with harness(voice_tenant, fake) as h:
        fuzzed, calm = h.caller(pace=False), h.caller(pace=False)
        for caller in (fuzzed, calm):
            await caller.place()
            await caller.connect()
        await fake.wait_session(1)
        for junk in (
            "{not json",
            "[]",
            '{"event": 5}',
            '{"event": "media"}',
            '{"event": "media", "media": {"payload": "!!!not base64!!!"}}',
            '{"event": "media", "media": {"payload": 42}}',
            '{"event": "teleport"}',
            '{"event": "mark", "mark": {"name": "9:nope:1"}}',
        ):
            await fuzzed.send_raw(junk)
        await fuzzed.stream(silence(100))  # the call goes on after the junk
        await calm.stream(silence(100))
        fuzzed_live, calm_live = (
            await h.live_call(fuzzed.call_sid),
            await h.live_call(calm.call_sid),
        )
        await until(  # the bridge has read all of it before the next fault
            lambda: (
                fuzzed_live.counters.bad_frames >= 7
                and fuzzed_live.counters.frames_in >= 5
                and calm_live.counters.frames_in >= 5
            )
        )
        # Oversized: over 64 KiB the server refuses the frame and ends that stream (1009).
        await fuzzed.send_raw("x" * 70_000)
        await fuzzed.wait_closed()
        await calm.stream(silence(100))  # the other call is unaffected
        await calm.stop()
        fuzzed_call, calm_call = await _finalized(fuzzed.call_sid), await _finalized(calm.call_sid)
    assert fuzzed.report.close_code == 1009 and fuzzed_call.end_reason == "twilio_disconnected"
    assert calm_call.end_reason == "caller_hangup"
    frames_in = [r.getMessage() for r in caplog.records if "call_end" in r.getMessage()]
    assert any("bad_frames=7" in line and "frames_in=5" in line for line in frames_in)
    _no_errors(caplog)


async def test_unknown_number_is_refused_and_given_to_no_business(voice_tenant: Tenant) -> None:
    async with harness(voice_tenant) as h:
        caller = h.caller()
        caller.to = "+97239999999"
        twiml = await caller.place()
        assert "<Say" in twiml and "<Hangup" in twiml and "<Stream" not in twiml
    assert _call(caller.call_sid) is None


async def test_at_capacity_new_calls_hear_a_busy_message(voice_tenant: Tenant) -> None:
    async with harness(voice_tenant, max_concurrent_calls=1) as h:
        first, second = h.caller(), h.caller()
        assert "<Stream" in await first.place()
        busy = await second.place()
        assert "<Say" in busy and "<Stream" not in busy
        assert "<Stream" in await first.place()  # Twilio retrying the same call keeps its slot


async def test_status_and_recording_callbacks_are_signed_idempotent_and_order_free(
    voice_tenant: Tenant,
) -> None:
    async with harness(voice_tenant) as h:
        early = h.caller()
        recording = {
            "RecordingSid": "RE" + "1" * 32,
            "RecordingUrl": "https://api.twilio.com/rec/RE1",
            "RecordingStatus": "completed",
            "RecordingDuration": "42",
        }
        assert await early.callback("/twilio/recording", recording) == 204  # before the call exists
        assert await early.callback("/twilio/recording", recording) == 204  # a retry
        await early.place()
        call = _call(early.call_sid)
        assert call is not None and call.recording_sid == recording["RecordingSid"]
        assert call.recording_duration_sec == 42 and call.recording_status == "completed"
        for _ in range(2):
            assert (
                await early.callback(
                    "/twilio/status",
                    {
                        "CallStatus": "completed",
                        "CallDuration": "61",
                        "To": voice_tenant.business.phone_number,
                    },
                )
                == 204
            )
        call = _call(early.call_sid)
        assert call is not None and call.status == "completed" and call.duration_sec == 61
        forged = h.caller()
        forged.auth_token = "wrong"
        assert await forged.callback("/twilio/status", {"CallStatus": "completed"}) == 403


async def test_maximum_duration_wraps_up_then_hangs_up(voice_tenant: Tenant) -> None:
    fake = FakeRealtime(reply_audio=silence(100))
    async with harness(voice_tenant, fake, max_call_seconds=2) as h:
        caller = h.caller()
        await caller.place()
        await caller.connect()
        session = await fake.wait_session()
        call = await _finalized(caller.call_sid)
        wrap_ups = [
            e
            for e in session.received
            if e["type"] == "response.create"
            and "must end" in e.get("response", {}).get("instructions", "")
        ]
    assert call.end_reason == "max_duration" and wrap_ups
    assert caller.call_sid in h.rest.hangups


async def test_long_silence_hangs_up(
    voice_tenant: Tenant, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    fake = FakeRealtime(reply_audio=silence(100))
    async with harness(voice_tenant, fake, silence_seconds=1) as h:
        caller = h.caller()
        await caller.place()
        await caller.connect()
        call = await _finalized(caller.call_sid)
    assert call.end_reason == "silence" and caller.call_sid in h.rest.hangups


async def test_the_agent_hangs_up_after_its_goodbye_has_played(voice_tenant: Tenant) -> None:
    fake = FakeRealtime(reply_audio=silence(600), reply_text="תודה רבה, להתראות")
    async with harness(voice_tenant, fake) as h:
        caller = h.caller()
        await caller.place()
        await caller.connect()
        call = await _finalized(caller.call_sid)
    assert call.end_reason == "agent_goodbye" and caller.call_sid in h.rest.hangups
    assert caller.heard_seconds() >= 0.6  # the whole goodbye was played first


async def test_dtmf_reaches_the_model_as_text(voice_tenant: Tenant) -> None:
    fake = FakeRealtime(reply_audio=silence(100))
    async with harness(voice_tenant, fake) as h:
        caller = h.caller()
        await caller.place()
        await caller.connect()
        session = await fake.wait_session()
        await caller.dtmf("5")
        await until(lambda: any(e["type"] == "conversation.item.create" for e in session.received))
        item = next(e for e in session.received if e["type"] == "conversation.item.create")["item"]
        assert "pressed 5" in item["content"][0]["text"]
        await caller.stop()
        await _finalized(caller.call_sid)


async def test_shutdown_refuses_new_calls_and_finalizes_active_ones(voice_tenant: Tenant) -> None:
    fake = FakeRealtime(reply_audio=silence(100))
    async with harness(voice_tenant, fake, drain_seconds=0) as h:
        caller = h.caller()
        await caller.place()
        await caller.connect()
        await fake.wait_session()
        await until(lambda: bool(h.bridge.registry.sessions))
        await h.bridge.registry.drain(0)
        call = await _finalized(caller.call_sid)
        late = h.caller()
        assert "<Stream" not in await late.place()
    assert call.end_reason == "shutdown"


async def test_an_answered_call_is_recorded_on_both_legs_with_a_signed_callback_to_us(
    voice_tenant: Tenant,
) -> None:
    async with harness(voice_tenant) as h:
        caller = h.caller()
        await caller.place()
        await caller.connect()
        await until(lambda: h.rest.recording_for(caller.call_sid) is not None)
        found = h.rest.recording_for(caller.call_sid)
        assert found is not None
        sid, recording = found
        assert recording.channels == 2
        assert recording.callback_url == "https://crm.test/twilio/recording"
        assert recording.callback_events == ["completed", "absent"]
        await until(lambda: (c := _call(caller.call_sid)) is not None and c.recording_sid == sid)
        call = _call(caller.call_sid)
        assert call is not None and call.recording_status == "in-progress"

        await caller.listen()
        await caller.stream(clip("he_caller")[:8000], pause_ms=300)
        await caller.stop()
        await _finalized(caller.call_sid)
        form = h.rest.finish_recording(
            caller.call_sid, caller.recording_wav(), duration=round(caller.recording_seconds())
        )
        h.rest.deliver_to["https://crm.test"] = h.url
        assert await h.rest.send_callback(caller.call_sid, form) == 204
        call = _call(caller.call_sid)
        assert call is not None and call.recording_status == "completed"
        assert call.recording_duration_sec == round(caller.recording_seconds())
        # What the fake recorded is the call: the caller's words on the first channel,
        # the agent's greeting on the second.
        with wave.open(io.BytesIO(caller.recording_wav())) as wav:
            assert wav.getnchannels() == 2 and wav.getframerate() == 8000
            assert wav.getnframes() / 8000 == pytest.approx(caller.recording_seconds(), abs=0.05)


async def test_a_call_is_answered_even_when_twilio_refuses_to_record_it(
    voice_tenant: Tenant, caplog: pytest.LogCaptureFixture
) -> None:
    async with harness(voice_tenant) as h:
        h.rest.fail_recording_start = True
        caller = h.caller()
        await caller.place()
        await caller.connect()
        await caller.listen()
        await until(lambda: "recording_not_started" in caplog.text)  # asked alongside the call
        await caller.stop()
        call = await _finalized(caller.call_sid)
        assert caller.heard_seconds() > 1
        assert call.recording_status is None  # the pipeline will not wait for one
        _no_errors(caplog)


async def test_with_recording_off_no_recording_is_requested(voice_tenant: Tenant) -> None:
    async with harness(voice_tenant, record_calls=False) as h:
        caller = h.caller()
        await caller.place()
        await caller.connect()
        await caller.listen()
        await caller.stop()
        call = await _finalized(caller.call_sid)
        assert h.rest.recordings == {} and call.recording_status is None
