"""The fakes are only useful if they speak the real protocol: checked with the openai SDK."""

from __future__ import annotations

import asyncio
import base64
import json
from typing import Any

import pydantic
import pytest
import websockets
from openai import AsyncOpenAI
from openai.types.realtime import RealtimeServerEvent

from voice_bridge.testing.audio import clip, rms, silence
from voice_bridge.testing.fake_openai import FakeRealtime, FakeSession

SERVER_EVENT = pydantic.TypeAdapter(RealtimeServerEvent)


def validate_all(session: FakeSession) -> None:
    assert session.sent
    for event in session.sent:
        SERVER_EVENT.validate_python(event)


async def _events(connection, until: str, within: float = 5.0) -> list[dict]:  # type: ignore[no-untyped-def]
    seen = []
    async with asyncio.timeout(within):
        while True:
            event = json.loads(await connection.recv_bytes())
            seen.append(event)
            if event["type"] == until:
                return seen


async def test_the_sdk_talks_to_the_fake_and_every_event_is_a_valid_ga_event() -> None:
    fake = FakeRealtime(reply_audio=clip("en_agent")[:8000], reply_text="Hello")
    url = await fake.start()
    client = AsyncOpenAI(api_key="sk-test", base_url=url)
    try:
        async with client.realtime.connect(model="gpt-realtime-2.1") as conn:
            await _events(conn, "session.created")
            await conn.send_raw(
                json.dumps(
                    {
                        "type": "session.update",
                        "session": {
                            "type": "realtime",
                            "audio": {
                                "input": {"format": {"type": "audio/pcmu"}},
                                "output": {"format": {"type": "audio/pcmu"}},
                            },
                        },
                    }
                )
            )
            updated = await _events(conn, "session.updated")
            assert updated[-1]["session"]["audio"]["input"]["format"] == {"type": "audio/pcmu"}
            await conn.send_raw(json.dumps({"type": "response.create"}))
            spoken = await _events(conn, "response.done")
            deltas = [e for e in spoken if e["type"] == "response.output_audio.delta"]
            assert sum(len(base64.b64decode(e["delta"])) for e in deltas) == 8000
            item = deltas[0]["item_id"]
            await conn.send_raw(
                json.dumps(
                    {
                        "type": "conversation.item.truncate",
                        "item_id": item,
                        "content_index": 0,
                        "audio_end_ms": 5000,
                    }
                )
            )
            [error] = [e for e in await _events(conn, "error") if e["type"] == "error"]
            assert "already shorter" in error["error"]["message"]
            await conn.send_raw(
                json.dumps(
                    {
                        "type": "conversation.item.truncate",
                        "item_id": item,
                        "content_index": 0,
                        "audio_end_ms": 300,
                    }
                )
            )
            truncated = await _events(conn, "conversation.item.truncated")
            assert truncated[-1]["audio_end_ms"] == 300
            await conn.send_raw(json.dumps({"type": "response.cancel"}))
            [error] = [e for e in await _events(conn, "error") if e["type"] == "error"]
            assert error["error"]["code"] == "response_cancel_not_active"
            session = fake.sessions[0]
            await conn.send_raw(json.dumps({"type": "response.create"}))
            await conn.send_raw(json.dumps({"type": "response.create"}))
            seen = await _events(conn, "error")
            assert seen[-1]["error"]["code"] == "conversation_already_has_active_response"
            await session.speech_started()
            done = await _events(conn, "response.done")
            assert done[-1]["response"]["status_details"]["reason"] == "turn_detected"
            call_id = await session.call_tool("check_availability", {"date": "2026-12-01"})
            await _events(conn, "response.done")
            await conn.send_raw(
                json.dumps(
                    {
                        "type": "conversation.item.create",
                        "item": {
                            "type": "function_call_output",
                            "call_id": call_id,
                            "output": "{}",
                        },
                    }
                )
            )
            await _events(conn, "conversation.item.done")
            assert session.outputs[0]["call_id"] == call_id
            await session.expire()
            await _events(conn, "error")
    finally:
        await client.close()
        await fake.stop()
    validate_all(fake.sessions[0])
    assert SERVER_EVENT.validate_python(fake.sessions[0].sent[0]).type == "session.created"


async def test_the_fake_rejects_a_truncate_past_an_already_truncated_length() -> None:
    fake = FakeRealtime(reply_audio=silence(1000), reply_text="Hello")
    url = await fake.start()
    client = AsyncOpenAI(api_key="sk-test", base_url=url)
    try:
        async with client.realtime.connect(model="gpt-realtime-2.1") as conn:
            await _events(conn, "session.created")
            await conn.send_raw(json.dumps({"type": "response.create"}))
            spoken = await _events(conn, "response.done")
            item = next(e for e in spoken if e["type"] == "response.output_audio.delta")["item_id"]

            async def truncate(end_ms: int, event_id: str) -> dict[str, Any]:
                await conn.send_raw(
                    json.dumps(
                        {
                            "type": "conversation.item.truncate",
                            "event_id": event_id,
                            "item_id": item,
                            "content_index": 0,
                            "audio_end_ms": end_ms,
                        }
                    )
                )
                reply: dict[str, Any] = json.loads(await conn.recv_bytes())
                return reply

            assert (await truncate(502, "evt_1"))["type"] == "conversation.item.truncated"
            error = await truncate(521, "evt_2")
            assert error["type"] == "error"
            assert error["error"]["code"] == "item_truncate_invalid_audio_end_ms"
            assert error["error"]["param"] == "audio_end_ms"
            assert error["error"]["event_id"] == "evt_2"
            message = error["error"]["message"]
            assert "Audio content of 502ms is already shorter than 521ms" in message
            shorter = await truncate(400, "evt_3")  # shorter still is allowed
            assert shorter["type"] == "conversation.item.truncated"
    finally:
        await client.close()
        await fake.stop()
    validate_all(fake.sessions[0])


async def test_the_fake_lets_the_deltas_in_flight_arrive_after_a_cancel() -> None:
    fake = FakeRealtime(
        reply_audio=silence(1000), chunk_ms=100, chunk_delay=0.05, deltas_after_cancel=2
    )
    url = await fake.start()
    client = AsyncOpenAI(api_key="sk-test", base_url=url)
    try:
        async with client.realtime.connect(model="gpt-realtime-2.1") as conn:
            await _events(conn, "session.created")
            await conn.send_raw(json.dumps({"type": "response.create"}))
            await _events(conn, "response.output_audio.delta")
            await fake.sessions[0].speech_started()
            after = await _events(conn, "response.done")
    finally:
        await client.close()
        await fake.stop()
    start = [e["type"] for e in after].index("input_audio_buffer.speech_started")
    late = [e for e in after[start:] if e["type"] == "response.output_audio.delta"]
    assert len(late) == 2
    assert after[-1]["response"]["status"] == "cancelled"
    assert after[-1]["response"]["status_details"]["reason"] == "turn_detected"
    validate_all(fake.sessions[0])


async def test_the_fake_rejects_a_connection_without_a_key() -> None:
    fake = FakeRealtime()
    url = await fake.start()
    ws_url = url.replace("http", "ws") + "/realtime?model=gpt-realtime"
    try:
        async with websockets.connect(ws_url) as ws:
            with pytest.raises(websockets.ConnectionClosed):
                await ws.recv()
    finally:
        await fake.stop()
    assert fake.rejected == 1 and fake.sessions == []


async def test_energy_vad_finds_the_callers_turn_and_replies() -> None:
    fake = FakeRealtime(mode="vad", reply_audio=silence(200), caller_transcripts=["hello"])
    url = await fake.start()
    client = AsyncOpenAI(api_key="sk-test", base_url=url)
    speech = clip("he_caller")
    assert (
        max(rms(speech[i : i + 160]) for i in range(0, len(speech), 160)) > 300
    )  # the fixture is speech
    try:
        async with client.realtime.connect(model="gpt-realtime-2.1") as conn:
            for start in range(0, len(speech) + 8000, 160):
                frame = (speech + silence(1000))[start : start + 160]
                await conn.send_raw(
                    json.dumps(
                        {
                            "type": "input_audio_buffer.append",
                            "audio": base64.b64encode(frame).decode(),
                        }
                    )
                )
            seen = await _events(conn, "response.done")
    finally:
        await client.close()
        await fake.stop()
    kinds = [e["type"] for e in seen]
    assert kinds.index("input_audio_buffer.speech_started") < kinds.index(
        "input_audio_buffer.speech_stopped"
    )
    assert "conversation.item.input_audio_transcription.completed" in kinds
    validate_all(fake.sessions[0])
