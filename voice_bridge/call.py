"""One phone call: Twilio's media socket on one side, the OpenAI Realtime session on the other.

Three tasks run in one task group (Twilio receive, OpenAI receive, watchdog);
when one ends, the others are cancelled, and :meth:`CallSession.finalize`
runs exactly once, whatever ended the call. The per-frame path forwards raw
JSON (the SDK's typed ``append`` costs about 15x more per frame).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import logging
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from voice_bridge import session_config
from voice_bridge.config import WRAP_UP_BEFORE_END_SECONDS, BridgeConfig
from voice_bridge.playout import BYTES_PER_MS, Playout
from voice_bridge.tools import CallContext, ToolSpec, run_tool

logger = logging.getLogger("voice_bridge.call")
ASSETS = Path(__file__).parent / "assets"
FRAME_BYTES = 160  # 20 ms of mu-law
GOODBYES = ("bye", "goodbye", "להתראות", "ביי", "יום טוב", "have a nice day")
NON_FATAL_ERRORS = frozenset(
    {
        "response_cancel_not_active",
        "conversation_already_has_active_response",
        "invalid_value",
        "item_truncate_invalid_audio_end_ms",
    }
)


class RealtimeConnection(Protocol):
    """The part of the SDK's AsyncRealtimeConnection the bridge uses."""

    async def send_raw(self, data: bytes | str) -> None:
        """Send a client event as it is."""

    async def recv_bytes(self) -> bytes:
        """The next server event, unparsed."""
        return b""

    async def close(self, *, code: int = 1000, reason: str = "") -> None:
        """Close the session."""


@dataclass
class Counters:
    """What the ``call_end`` log line reports."""

    frames_in: int = 0
    frames_out: int = 0
    bad_frames: int = 0
    barge_ins: int = 0
    tool_calls: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    first_audio_ms: int | None = None


@dataclass
class Utterance:
    """One turn of the transcript."""

    speaker: str  # caller | agent
    text: str
    start_ms: int
    end_ms: int
    interrupted: bool = False
    item_id: str = ""

    def as_dict(self) -> dict[str, Any]:
        """The stored shape."""
        return {
            "speaker": self.speaker,
            "text": self.text,
            "start_ms": self.start_ms,
            "end_ms": self.end_ms,
            "interrupted": self.interrupted,
        }


class EndCall(Exception):
    """Raised inside a task to end the call with a reason."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass
class CallServices:
    """What the session needs from outside (the app wires the real ones; tests may swap)."""

    finalize: Callable[[int, str, list[dict[str, Any]], bool], Awaitable[None]]
    hang_up: Callable[[str], Awaitable[None]]
    tools: list[ToolSpec]
    # Hears each line of the transcript as it is said (a test call shows them live).
    heard: Callable[[int, dict[str, Any]], None] = lambda call_id, line: None


class CallSession:
    """The live half of a call, from Twilio's ``start`` to ``finalize``."""

    def __init__(
        self,
        *,
        twilio: WebSocket,
        openai: RealtimeConnection,
        config: BridgeConfig,
        services: CallServices,
        context: CallContext,
        call_sid: str,
        stream_sid: str,
        profile: session_config.AgentProfile,
        greeting: str,
    ) -> None:
        self.twilio, self.openai, self.config, self.services = twilio, openai, config, services
        self.context, self.call_sid, self.stream_sid = context, call_sid, stream_sid
        self.profile, self.greeting = profile, greeting
        self.started = time.monotonic()
        self.playout = Playout()
        self.counters = Counters()
        self.transcript: list[Utterance] = []
        self.response_active = False
        self.response_id = ""
        self.interrupted_response = ""  # its items still in flight are never played
        self.last_activity = self.started
        self.speech_started_ms: dict[str, int] = {}
        self.goodbye_item = ""
        self.tool_calls_seen: set[str] = set()
        self.end_reason = ""
        self._send_lock = asyncio.Lock()
        self._finalized = False
        self._finalize_lock = asyncio.Lock()
        self._ready = asyncio.Event()
        self._wrap_up_sent = False
        self._tasks: set[asyncio.Task[Any]] = set()

    def elapsed_ms(self) -> int:
        """Milliseconds since the stream started."""
        return int((time.monotonic() - self.started) * 1000)

    # ---- sending -------------------------------------------------------------------------
    async def to_twilio(self, message: dict[str, Any]) -> None:
        """Send one message to Twilio (one sender at a time).

        Twilio closing while we send is how calls normally end: it ends the call
        quietly instead of surfacing as an error.
        """
        async with self._send_lock:
            try:
                await self.twilio.send_text(json.dumps(message))
            except (WebSocketDisconnect, RuntimeError, OSError):
                raise EndCall(self.end_reason or "caller_hangup") from None

    async def media_to_twilio(self, payload: str, mark: str) -> None:
        """The hot path: an audio chunk and its mark, as strings (both are base64/ASCII-safe)."""
        sid = self.stream_sid
        async with self._send_lock:
            try:
                await self.twilio.send_text(
                    '{"event":"media","streamSid":"'
                    + sid
                    + '","media":{"payload":"'
                    + payload
                    + '"}}'
                )
                await self.twilio.send_text(
                    '{"event":"mark","streamSid":"' + sid + '","mark":{"name":"' + mark + '"}}'
                )
            except (WebSocketDisconnect, RuntimeError, OSError):
                raise EndCall(self.end_reason or "caller_hangup") from None

    async def to_openai(self, event: dict[str, Any]) -> None:
        """Send one client event to OpenAI."""
        await self.openai.send_raw(json.dumps(event))

    # ---- the call ------------------------------------------------------------------------
    async def run(self) -> None:
        """Configure the session, then pump both sockets until the call ends; finalize once."""
        try:
            await self.to_openai(
                dict(
                    session_config.build_session_update(
                        self.profile, self.services.tools, self.config.vad
                    )
                )
            )
            async with asyncio.TaskGroup() as group:
                for work in (self.twilio_loop(), self.openai_loop(), self.watchdog()):
                    self._tasks.add(group.create_task(work))
        except* EndCall as ended:
            self.end_reason = self.end_reason or str(ended.exceptions[0])
        except* Exception as failed:  # a bug must still end with a finalized call
            self.counters.errors["bridge_exception"] += 1
            self.end_reason = self.end_reason or "bridge_error"
            logger.exception(
                "call_failed call_sid=%s", self.call_sid, exc_info=failed.exceptions[0]
            )
        finally:
            await self.finalize(self.end_reason or "ended")

    async def shutdown(self, reason: str = "shutdown") -> None:
        """End the call from outside (server shutdown): the tasks stop and finalize runs."""
        self.end_reason = self.end_reason or reason
        for task in list(self._tasks):
            task.cancel()

    # ---- Twilio -> OpenAI ----------------------------------------------------------------
    async def twilio_loop(self) -> None:
        """Forward caller audio; handle marks, DTMF and stop."""
        while True:
            try:
                message = await self.twilio.receive()
            except WebSocketDisconnect as exc:
                raise EndCall(
                    "caller_hangup" if exc.code in (1000, 1001) else "twilio_disconnected"
                ) from None
            if message["type"] == "websocket.disconnect":
                code = message.get("code", 1000)
                raise EndCall(
                    "caller_hangup" if code in (1000, 1001, 1005) else "twilio_disconnected"
                )
            text = message.get("text")
            if text is None or len(text) > 64 * 1024:
                self.counters.bad_frames += 1
                continue
            await self.on_twilio_message(text)

    async def on_twilio_message(self, text: str) -> None:
        """One Twilio message; malformed ones are counted and dropped, never fatal."""
        try:
            message = json.loads(text)
            event = message["event"]
        except (ValueError, KeyError, TypeError):
            self.counters.bad_frames += 1
            return
        if event == "media":
            await self.on_media(message)
        elif event == "mark":
            self.playout.on_mark(str(message.get("mark", {}).get("name", "")), time.monotonic())
            await self.maybe_hang_up_after_goodbye()
        elif event == "dtmf":
            await self.on_dtmf(str(message.get("dtmf", {}).get("digit", ""))[:1])
        elif event == "stop":
            raise EndCall(self.end_reason or "caller_hangup")
        else:
            self.counters.bad_frames += 1

    async def on_media(self, message: dict[str, Any]) -> None:
        """Forward a caller frame as-is (mu-law both ways: no transcoding)."""
        try:
            payload = message["media"]["payload"]
            if not isinstance(payload, str):
                raise TypeError
            binascii.a2b_base64(payload, strict_mode=True)
        except (KeyError, TypeError, binascii.Error):
            self.counters.bad_frames += 1
            return
        self.counters.frames_in += 1
        await self.openai.send_raw('{"type":"input_audio_buffer.append","audio":"' + payload + '"}')

    async def on_dtmf(self, digit: str) -> None:
        """A keypad digit becomes text the model can read."""
        if not digit or digit not in "0123456789*#":
            return
        await self.to_openai(
            {
                "type": "conversation.item.create",
                "item": {
                    "type": "message",
                    "role": "user",
                    "content": [
                        {
                            "type": "input_text",
                            "text": f"[The caller pressed {digit} on the keypad]",
                        }
                    ],
                },
            }
        )
        if not self.response_active:
            await self.to_openai({"type": "response.create"})

    # ---- OpenAI -> Twilio ----------------------------------------------------------------
    async def openai_loop(self) -> None:
        """Handle server events until the session ends."""
        from websockets.exceptions import ConnectionClosed

        while True:
            try:
                raw = await self.openai.recv_bytes()
            except ConnectionClosed:
                await self.apologise()
                raise EndCall("ai_disconnected") from None
            try:
                event = json.loads(raw)
            except ValueError:
                self.counters.errors["bad_server_event"] += 1
                continue
            await self.on_openai_event(event)

    async def on_openai_event(self, event: dict[str, Any]) -> None:
        """Dispatch one server event."""
        kind = event.get("type", "")
        handler = self._handlers.get(kind)
        if handler is not None:
            await handler(self, event)

    async def _session_updated(self, event: dict[str, Any]) -> None:
        if not self._ready.is_set():
            self._ready.set()
            await self.to_openai(
                session_config.greeting_request(self.greeting, self.profile.locale)
            )

    async def _response_created(self, event: dict[str, Any]) -> None:
        self.response_active, self.response_id = True, event.get("response", {}).get("id", "")

    async def _response_done(self, event: dict[str, Any]) -> None:
        if event.get("response", {}).get("id", "") in ("", self.response_id):
            self.response_active = False
        for item in event.get("response", {}).get("output", []) or []:
            self.playout.finished(str(item.get("id", "")))
            if item.get("type") == "function_call" and item.get("status") == "completed":
                self.start_tool(item)
        await self.maybe_hang_up_after_goodbye()

    async def _output_item_added(self, event: dict[str, Any]) -> None:
        item = event.get("item", {}) or {}
        if item.get("type") != "message":
            return
        if self.interrupted_response and event.get("response_id") == self.interrupted_response:
            self.playout.mute(str(item.get("id", "")))  # in flight when the caller cut it off
        else:
            self.playout.started(str(item.get("id", "")))

    async def _audio_done(self, event: dict[str, Any]) -> None:
        self.playout.finished(str(event.get("item_id", "")))

    async def _audio_delta(self, event: dict[str, Any]) -> None:
        item_id, delta = event.get("item_id", ""), event.get("delta", "")
        nbytes = len(delta) * 3 // 4 - delta.count("=", -2)
        mark = self.playout.on_delta(item_id, nbytes, time.monotonic())
        if mark is None:
            return  # a late delta of an item the caller interrupted
        if self.counters.first_audio_ms is None:
            self.counters.first_audio_ms = self.elapsed_ms()
        self.last_activity = time.monotonic()
        await self.media_to_twilio(delta, mark)
        self.counters.frames_out += max(1, nbytes // FRAME_BYTES)

    async def _agent_transcript(self, event: dict[str, Any]) -> None:
        item_id, text = event.get("item_id", ""), str(event.get("transcript", ""))
        audio = self.playout.items.get(item_id)
        start = (
            int((audio.first_sent_at - self.started) * 1000)
            if audio and audio.first_sent_at
            else self.elapsed_ms()
        )
        length = int(audio.generated_ms) if audio else 0
        interrupted = item_id in self.playout.muted
        self._say_line(Utterance("agent", text, start, start + length, interrupted, item_id))
        if not interrupted and any(word in text.lower() for word in GOODBYES):
            self.goodbye_item = item_id

    async def _caller_transcript(self, event: dict[str, Any]) -> None:
        item_id = event.get("item_id", "")
        start = self.speech_started_ms.get(item_id, self.elapsed_ms())
        text = str(event.get("transcript", "")).strip()
        if text:
            self._say_line(Utterance("caller", text, start, self.elapsed_ms(), False, item_id))

    def _say_line(self, utterance: Utterance) -> None:
        self.transcript.append(utterance)
        try:
            self.services.heard(self.context.call_id, utterance.as_dict())
        except Exception:  # whoever listens never stops the call
            logger.exception("line_listener_failed call_sid=%s", self.call_sid)

    async def _speech_started(self, event: dict[str, Any]) -> None:
        self.speech_started_ms[event.get("item_id", "")] = int(
            event.get("audio_start_ms", self.elapsed_ms())
        )
        self.last_activity = time.monotonic()
        await self.barge_in()

    async def _speech_stopped(self, event: dict[str, Any]) -> None:
        self.last_activity = time.monotonic()

    async def _error(self, event: dict[str, Any]) -> None:
        error = event.get("error", {}) or {}
        code = str(error.get("code") or error.get("type") or "unknown")
        self.counters.errors[code] += 1
        if code == "session_expired":
            await self.apologise()
            raise EndCall("ai_session_expired")
        level = logging.INFO if code in NON_FATAL_ERRORS else logging.WARNING
        logger.log(level, "realtime_error call_sid=%s code=%s", self.call_sid, code)

    _handlers: dict[str, Callable[[CallSession, dict[str, Any]], Awaitable[None]]] = {
        "session.updated": _session_updated,
        "response.created": _response_created,
        "response.done": _response_done,
        "response.output_item.added": _output_item_added,
        "response.output_audio.delta": _audio_delta,
        "response.output_audio.done": _audio_done,
        "response.output_audio_transcript.done": _agent_transcript,
        "conversation.item.input_audio_transcription.completed": _caller_transcript,
        "input_audio_buffer.speech_started": _speech_started,
        "input_audio_buffer.speech_stopped": _speech_stopped,
        "error": _error,
    }

    # ---- barge-in ------------------------------------------------------------------------
    async def barge_in(self) -> None:
        """The caller spoke over the agent: clear Twilio's buffer and truncate what was unheard.

        The response being generated is cut too: the server cancels it (or we
        do), but its deltas already in flight still arrive, and are dropped.
        """
        if not self.playout.active() and not self.response_active:
            return  # nothing is playing or coming: an echo or a pause, not an interruption
        self.counters.barge_ins += 1
        if self.response_active:
            self.interrupted_response = self.response_id
        await self.to_twilio({"event": "clear", "streamSid": self.stream_sid})
        for cut in self.playout.interrupt(time.monotonic()):
            await self.to_openai(
                {
                    "type": "conversation.item.truncate",
                    "item_id": cut.item_id,
                    "content_index": 0,
                    "audio_end_ms": cut.audio_end_ms,
                }
            )
            for utterance in self.transcript:
                if utterance.item_id == cut.item_id:
                    utterance.interrupted = True
                    utterance.end_ms = utterance.start_ms + cut.audio_end_ms
        if self.response_active and not self.config.vad.interrupt_response:
            # With interrupt_response on, the server cancels its own response; a second
            # cancel would only race it and come back as response_cancel_not_active.
            await self.to_openai({"type": "response.cancel"})
            self.response_active = False
        self.goodbye_item = ""

    # ---- tools ---------------------------------------------------------------------------
    def start_tool(self, item: dict[str, Any]) -> None:
        """Run a completed function call once per call_id, in the background."""
        call_id = str(item.get("call_id", ""))
        if not call_id or call_id in self.tool_calls_seen:
            return
        self.tool_calls_seen.add(call_id)
        self.counters.tool_calls += 1
        task = asyncio.get_running_loop().create_task(self.answer_tool(call_id, item))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def answer_tool(self, call_id: str, item: dict[str, Any]) -> None:
        """Send the tool's output back and let the model continue."""
        output = await run_tool(
            self.services.tools,
            str(item.get("name", "")),
            str(item.get("arguments", "")),
            self.context,
        )
        if "error" in output:
            self.counters.errors[f"tool_{output['error']['code']}"] += 1
        await self.to_openai(
            {
                "type": "conversation.item.create",
                "item": {
                    "type": "function_call_output",
                    "call_id": call_id,
                    "output": json.dumps(output),
                },
            }
        )
        await self.to_openai({"type": "response.create"})

    # ---- ending --------------------------------------------------------------------------
    async def maybe_hang_up_after_goodbye(self) -> None:
        """Hang up once the agent's goodbye has been heard to the end."""
        if (
            self.goodbye_item
            and not self.response_active
            and self.playout.fully_played(self.goodbye_item)
        ):
            await self.end_by_hanging_up("agent_goodbye")

    async def end_by_hanging_up(self, reason: str) -> None:
        """Hang up through Twilio's REST API; the reason wins over the ``stop`` that follows."""
        self.end_reason = self.end_reason or reason
        await self.services.hang_up(self.call_sid)
        raise EndCall(self.end_reason)

    async def watchdog(self) -> None:
        """Silence, the maximum call length (with a spoken wrap-up), and the goodbye fallback."""
        while True:
            await asyncio.sleep(0.5)
            now = time.monotonic()
            elapsed = now - self.started
            if elapsed >= self.config.max_call_seconds:
                await self.end_by_hanging_up("max_duration")
            if (
                not self._wrap_up_sent
                and self._ready.is_set()
                and elapsed >= self.config.max_call_seconds - WRAP_UP_BEFORE_END_SECONDS
            ):
                self._wrap_up_sent = True
                if not self.response_active:
                    await self.to_openai(session_config.wrap_up_request(self.profile.locale))
            if (
                now - self.last_activity >= self.config.silence_seconds
                and not self.playout.unplayed()
            ):
                await self.end_by_hanging_up("silence")

    async def apologise(self) -> None:
        """The AI side is gone: tell the caller, briefly, before the stream ends."""
        clip = (
            ASSETS / f"apology_{'en' if self.profile.locale == 'en' else 'he'}.ulaw"
        ).read_bytes()
        try:
            await self.to_twilio({"event": "clear", "streamSid": self.stream_sid})
            for start in range(0, len(clip), FRAME_BYTES * 25):
                chunk = base64.b64encode(clip[start : start + FRAME_BYTES * 25]).decode()
                await self.to_twilio(
                    {"event": "media", "streamSid": self.stream_sid, "media": {"payload": chunk}}
                )
            await self.to_twilio(
                {"event": "mark", "streamSid": self.stream_sid, "mark": {"name": "apology"}}
            )
            await asyncio.sleep(len(clip) / BYTES_PER_MS / 1000)  # let it play before closing
        except (WebSocketDisconnect, RuntimeError):
            pass  # the caller is gone too

    async def finalize(self, reason: str) -> None:
        """Close both sockets and persist the call, exactly once."""
        async with self._finalize_lock:
            if self._finalized:
                return
            self._finalized = True
        await self._close_quietly(reason)
        transcript = [u.as_dict() for u in sorted(self.transcript, key=lambda u: u.start_ms)]
        failed = reason in ("bridge_error",)
        try:
            await self.services.finalize(self.context.call_id, reason, transcript, failed)
        finally:
            self.log_call_end(reason)

    async def _close_quietly(self, reason: str) -> None:
        try:
            await self.openai.close(code=1000, reason="call ended")
        except Exception:  # noqa: BLE001  (the peer may already be gone; nothing to report)
            pass
        if self.twilio.application_state == WebSocketState.CONNECTED:
            try:
                await self.twilio.close(code=1000)
            except (RuntimeError, WebSocketDisconnect):
                pass

    def log_call_end(self, reason: str) -> None:
        """One structured line per call."""
        c = self.counters
        errors = ",".join(f"{k}:{v}" for k, v in sorted(c.errors.items())) or "-"
        logger.info(
            "call_end call_sid=%s stream_sid=%s reason=%s duration_ms=%d frames_in=%d"
            " frames_out=%d bad_frames=%d barge_ins=%d tool_calls=%d errors=%s first_audio_ms=%s"
            " utterances=%d",
            self.call_sid,
            self.stream_sid,
            reason,
            self.elapsed_ms(),
            c.frames_in,
            c.frames_out,
            c.bad_frames,
            c.barge_ins,
            c.tool_calls,
            errors,
            c.first_audio_ms,
            len(self.transcript),
        )
