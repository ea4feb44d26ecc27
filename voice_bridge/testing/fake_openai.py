"""A fake OpenAI Realtime server speaking the GA protocol over a real WebSocket.

Modes: ``scripted`` (the test drives it: speech started, respond, tool call),
``vad`` (energy-based turn detection on the caller's mu-law, then a canned
spoken reply) and ``echo`` (every appended frame comes straight back as an
audio delta: the bridge benchmark's latency probe). It keeps the real
semantics the bridge must respect: truncation bounds, cancel and
double-response errors, interruption on speech, tool call round trips, and
faults (dropping the socket, session expiry). Its own tests validate every
event it sends against the ``openai`` SDK's types.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import secrets
import socket
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from urllib.parse import parse_qs, urlsplit

import websockets
from websockets.asyncio.server import Server, ServerConnection, serve

from voice_bridge.testing.audio import FRAME, clip, rms

Mode = Literal["scripted", "vad", "echo"]
_ids = itertools.count(1)


def new_id(prefix: str) -> str:
    """An id in OpenAI's style."""
    return f"{prefix}_{next(_ids):06d}{secrets.token_hex(4)}"


def _merge(base: dict[str, Any], update: dict[str, Any]) -> dict[str, Any]:
    """Deep-merge a session update; a format (a union type) is replaced whole."""
    merged = dict(base)
    for key, value in update.items():
        nested = isinstance(value, dict) and isinstance(merged.get(key), dict) and key != "format"
        merged[key] = _merge(merged[key], value) if nested else value
    return merged


def default_session(model: str) -> dict[str, Any]:
    """What ``session.created`` reports before any update (24 kHz PCM, as the real API)."""
    return {
        "type": "realtime",
        "object": "realtime.session",
        "id": new_id("sess"),
        "model": model,
        "output_modalities": ["audio"],
        "instructions": "",
        "tools": [],
        "tool_choice": "auto",
        "audio": {
            "input": {
                "format": {"type": "audio/pcm", "rate": 24000},
                "turn_detection": {
                    "type": "server_vad",
                    "threshold": 0.5,
                    "prefix_padding_ms": 300,
                    "silence_duration_ms": 500,
                    "create_response": True,
                    "interrupt_response": True,
                },
            },
            "output": {"format": {"type": "audio/pcm", "rate": 24000}, "voice": "marin"},
        },
    }


@dataclass
class ToolPlan:
    """In ``vad`` mode: answer the first caller turn with this function call."""

    name: str
    arguments: dict[str, Any]


@dataclass
class Response:
    """A response being generated."""

    id: str
    items: list[str] = field(default_factory=list)
    task: asyncio.Task[None] | None = None
    deltas: int = 0  # audio deltas sent so far
    cut_at: int | None = None  # cancelled: it ends once this many deltas have gone out
    cut_reason: str = ""


class _Cut(Exception):
    """A cancelled response has sent its last in-flight delta."""


@dataclass
class AudioItem:
    """An assistant item's audio so far."""

    generated_ms: int = 0
    transcript: str = ""
    truncated_ms: int | None = None  # where the last truncate cut the audio

    @property
    def length_ms(self) -> int:
        """How long the item's audio is now: as generated, or as truncated."""
        return self.generated_ms if self.truncated_ms is None else self.truncated_ms


class FakeSession:
    """One client connection."""

    def __init__(self, server: FakeRealtime, ws: ServerConnection, model: str) -> None:
        self.server, self.ws = server, ws
        self.session = default_session(model)
        self.received: list[dict[str, Any]] = []
        self.sent: list[dict[str, Any]] = []
        self.audio_items: dict[str, AudioItem] = {}
        self.outputs: list[dict[str, Any]] = []  # function_call_output items received
        self.response: Response | None = None
        self.input_ms = 0
        self.loud_ms = 0
        self.quiet_ms = 0
        self.speaking_item: str | None = None
        self.turns = 0
        self.closed = asyncio.Event()
        self.echo_tag: str | None = None
        self.echo_turn = 0
        self.tasks: set[asyncio.Task[None]] = set()

    # ---- sending -------------------------------------------------------------------------
    async def send(self, event: dict[str, Any]) -> None:
        """Send a server event (recorded for validation)."""
        event = {"event_id": new_id("event"), **event}
        self.sent.append(event)
        await self.ws.send(json.dumps(event))

    async def error(
        self,
        code: str,
        message: str,
        param: str | None = None,
        client_event_id: str | None = None,
    ) -> None:
        """An ``error`` event, as the real API sends for a bad client event.

        Args:
            code: The error code (``error.code``).
            message: The human-readable message.
            param: The offending parameter, if any.
            client_event_id: The ``event_id`` of the client event at fault, if it had one.
        """
        error: dict[str, Any] = {
            "type": "invalid_request_error",
            "code": code,
            "message": message,
            "param": param,
        }
        if client_event_id is not None:
            error["event_id"] = client_event_id
        await self.send({"type": "error", "error": error})

    # ---- receiving -----------------------------------------------------------------------
    async def serve(self) -> None:
        """Read client events until the socket closes."""
        await self.send({"type": "session.created", "session": self.session})
        try:
            async for raw in self.ws:
                event = json.loads(raw)
                self.received.append(event)
                await self.on_event(event)
        except websockets.ConnectionClosed:
            pass
        finally:
            if self.response and self.response.task:
                self.response.task.cancel()
            for task in self.tasks:
                task.cancel()
            self.closed.set()

    async def on_event(self, event: dict[str, Any]) -> None:
        """Dispatch one client event."""
        kind = event.get("type")
        if kind == "session.update":
            await self.on_session_update(event)
        elif kind == "input_audio_buffer.append":
            await self.on_audio(base64.b64decode(event.get("audio", "")), event)
        elif kind == "response.create":
            await self.on_response_create(event)
        elif kind == "response.cancel":
            await self.on_cancel()
        elif kind == "conversation.item.truncate":
            await self.on_truncate(event)
        elif kind == "conversation.item.create":
            await self.on_item_create(event)

    async def on_session_update(self, event: dict[str, Any]) -> None:
        """Merge the update and confirm it (unsupported formats are an error)."""
        fmt = (
            event.get("session", {}).get("audio", {}).get("input", {}).get("format", {}).get("type")
        )
        if fmt is not None and fmt not in ("audio/pcm", "audio/pcmu", "audio/pcma"):
            await self.error(
                "invalid_value", f"unsupported format {fmt}", "session.audio.input.format"
            )
            return
        self.session = _merge(self.session, event.get("session", {}))
        if self.server.session_updated_delay:
            await asyncio.sleep(self.server.session_updated_delay)
        await self.send({"type": "session.updated", "session": self.session})

    async def on_audio(self, audio: bytes, event: dict[str, Any]) -> None:
        """Caller audio: echoed, fed to the energy VAD, or only counted."""
        if self.server.mode == "echo":
            await self.echo(event["audio"], len(audio))
            return
        self.input_ms += len(audio) // 8
        if self.server.mode == "vad":
            for start in range(0, len(audio), FRAME):
                await self.vad_frame(audio[start : start + FRAME])

    # ---- energy VAD ----------------------------------------------------------------------
    async def vad_frame(self, frame: bytes) -> None:
        """Energy VAD: 100 ms of loudness starts a turn, the session's silence ends it."""
        loud = rms(frame) > self.server.vad_rms
        self.loud_ms = self.loud_ms + 20 if loud else 0
        self.quiet_ms = 0 if loud else self.quiet_ms + 20
        silence_ms = self.session["audio"]["input"]["turn_detection"].get(
            "silence_duration_ms", 500
        )
        if self.speaking_item is None and self.loud_ms >= 100:
            await self.speech_started()
        elif self.speaking_item is not None and self.quiet_ms >= silence_ms:
            await self.speech_stopped(self.server.next_transcript())

    async def speech_started(self) -> str:
        """The caller started speaking (interrupts an active response)."""
        item_id = new_id("item")
        self.speaking_item = item_id
        await self.send(
            {
                "type": "input_audio_buffer.speech_started",
                "audio_start_ms": max(0, self.input_ms - 100),
                "item_id": item_id,
            }
        )
        turn = self.session["audio"]["input"]["turn_detection"]
        if self.response is not None and turn.get("interrupt_response", True):
            await self.cancel("turn_detected")
        return item_id

    async def speech_stopped(self, transcript: str) -> None:
        """The caller stopped: commit their turn, transcribe it, and (usually) respond."""
        item_id = self.speaking_item or new_id("item")
        self.speaking_item = None
        await self.send(
            {
                "type": "input_audio_buffer.speech_stopped",
                "audio_end_ms": self.input_ms,
                "item_id": item_id,
            }
        )
        await self.send({"type": "input_audio_buffer.committed", "item_id": item_id})
        item = {
            "id": item_id,
            "object": "realtime.item",
            "type": "message",
            "role": "user",
            "status": "completed",
            "content": [{"type": "input_audio", "transcript": None}],
        }
        await self.send({"type": "conversation.item.added", "item": item})
        await self.send({"type": "conversation.item.done", "item": item})
        await self.send(
            {
                "type": "conversation.item.input_audio_transcription.completed",
                "item_id": item_id,
                "content_index": 0,
                "transcript": transcript,
                "usage": {"type": "duration", "seconds": 1.0},
            }
        )
        self.turns += 1
        if self.session["audio"]["input"]["turn_detection"].get("create_response", True):
            plan = self.server.tool_plan
            if plan is not None and self.turns == 1:
                await self.call_tool(plan.name, plan.arguments)
            else:
                await self.respond()

    # ---- responses -----------------------------------------------------------------------
    async def on_response_create(self, event: dict[str, Any]) -> None:
        """Start a response, unless one is already active (the real error)."""
        if self.server.mode == "echo":
            return  # echo mode only ever echoes the caller
        if self.response is not None:
            await self.error(
                "conversation_already_has_active_response",
                "Conversation already has an active response in progress",
            )
            return
        greeting = self.server.greeting_text if self.turns == 0 else None
        await self.respond(text=greeting)

    async def respond(
        self, audio: bytes | None = None, text: str | None = None, items: int = 1
    ) -> str:
        """Start a spoken response (deltas faster than real time); returns its id."""
        response = Response(id=new_id("resp"))
        self.response = response
        await self.send(
            {"type": "response.created", "response": self.response_object(response, "in_progress")}
        )
        response.task = asyncio.get_running_loop().create_task(
            self.speak(
                response,
                audio if audio is not None else self.server.reply_audio,
                text if text is not None else self.server.reply_text,
                items,
            )
        )
        return response.id

    def response_object(
        self, response: Response, status: str, reason: str | None = None
    ) -> dict[str, Any]:
        """The ``response`` object of response events."""
        output = []
        for item_id in response.items:
            audio = self.audio_items.get(item_id)
            output.append(
                {
                    "id": item_id,
                    "object": "realtime.item",
                    "type": "message",
                    "role": "assistant",
                    "status": "completed" if status == "completed" else "incomplete",
                    "content": [
                        {"type": "output_audio", "transcript": audio.transcript if audio else ""}
                    ],
                }
            )
        body: dict[str, Any] = {
            "id": response.id,
            "object": "realtime.response",
            "status": status,
            "output": output,
            "output_modalities": ["audio"],
            "conversation_id": "conv_fake",
        }
        if reason:
            body["status_details"] = {"type": status, "reason": reason}
        if status == "completed":
            body["usage"] = {"total_tokens": 100, "input_tokens": 60, "output_tokens": 40}
        return body

    async def speak(self, response: Response, audio: bytes, text: str, items: int) -> None:
        """Speak the reply as ``items`` audio items, then complete the response."""
        share = max(1, len(audio) // items)
        try:
            for index in range(items):
                end = (index + 1) * share if index < items - 1 else len(audio)
                part = audio[index * share : end]
                await self.speak_item(response, index, part, text if index == items - 1 else "")
        except _Cut:
            if self.response is response:
                await self.finish_response("cancelled", response.cut_reason)
            return
        await self.finish_response("completed")

    async def speak_item(self, response: Response, index: int, audio: bytes, text: str) -> None:
        """One assistant audio item: added, deltas, transcript, done."""
        item_id = new_id("item")
        response.items.append(item_id)
        self.audio_items[item_id] = AudioItem(transcript=text)
        item = {
            "id": item_id,
            "object": "realtime.item",
            "type": "message",
            "role": "assistant",
            "status": "in_progress",
            "content": [],
        }
        base = {
            "response_id": response.id,
            "item_id": item_id,
            "output_index": index,
            "content_index": 0,
        }
        await self.send(
            {
                "type": "response.output_item.added",
                "response_id": response.id,
                "output_index": index,
                "item": item,
            }
        )
        await self.send({"type": "conversation.item.added", "item": item})
        await self.send(
            {
                "type": "response.content_part.added",
                **base,
                "part": {"type": "audio", "transcript": ""},
            }
        )
        step = self.server.chunk_ms * 8
        for start in range(0, len(audio), step):
            chunk = audio[start : start + step]
            self.audio_items[item_id].generated_ms += len(chunk) // 8
            await self.send(
                {
                    "type": "response.output_audio.delta",
                    **base,
                    "delta": base64.b64encode(chunk).decode(),
                }
            )
            response.deltas += 1
            if response.cut_at is not None and response.deltas >= response.cut_at:
                raise _Cut
            await asyncio.sleep(self.server.chunk_delay)
        await self.send(
            {"type": "response.output_audio_transcript.done", **base, "transcript": text}
        )
        await self.send({"type": "response.output_audio.done", **base})
        await self.send(
            {
                "type": "response.content_part.done",
                **base,
                "part": {"type": "audio", "transcript": text},
            }
        )
        done = {
            **item,
            "status": "completed",
            "content": [{"type": "output_audio", "transcript": text}],
        }
        await self.send(
            {
                "type": "response.output_item.done",
                "response_id": response.id,
                "output_index": index,
                "item": done,
            }
        )
        await self.send({"type": "conversation.item.done", "item": done})

    async def finish_response(self, status: str, reason: str | None = None) -> None:
        """End the active response (completed, or cancelled with a reason)."""
        response, self.response = self.response, None
        if response is None:
            return
        if response.task is not None and response.task is not asyncio.current_task():
            response.task.cancel()
        await self.send(
            {"type": "response.done", "response": self.response_object(response, status, reason)}
        )

    async def on_cancel(self) -> None:
        """Cancel the active response, or the real error when there is none."""
        if self.response is None:
            await self.error("response_cancel_not_active", "There is no active response to cancel")
            return
        await self.cancel("client_cancelled")

    async def cancel(self, reason: str) -> None:
        """Cancel the active response: at once, or after the deltas still in flight.

        The real server generates ahead of real time and its cancellation is not
        instant, so audio deltas already on their way still arrive after
        ``speech_started`` (or ``response.cancel``); ``deltas_after_cancel``
        plays that out.
        """
        response = self.response
        late = self.server.deltas_after_cancel
        if response is None or response.cut_at is not None:
            return
        if late and response.task is not None and not response.task.done():
            response.cut_at, response.cut_reason = response.deltas + late, reason
            return
        await self.finish_response("cancelled", reason)

    async def on_truncate(self, event: dict[str, Any]) -> None:
        """Truncate an item's audio; beyond its length (as generated or truncated) is an error."""
        item_id, end = event.get("item_id", ""), int(event.get("audio_end_ms", 0))
        item = self.audio_items.get(item_id)
        if item is None:
            await self.error(
                "item_truncate_invalid_item_id",
                f"Item {item_id} not found",
                "item_id",
                event.get("event_id"),
            )
        elif end > item.length_ms:
            await self.error(
                "item_truncate_invalid_audio_end_ms",
                f"Audio content of {item.length_ms}ms is already shorter than {end}ms",
                "audio_end_ms",
                event.get("event_id"),
            )
        else:
            item.truncated_ms = end
            item.transcript = ""  # the server forgets what the caller never heard
            await self.send(
                {
                    "type": "conversation.item.truncated",
                    "item_id": item_id,
                    "content_index": 0,
                    "audio_end_ms": end,
                }
            )

    async def on_item_create(self, event: dict[str, Any]) -> None:
        """A client item (function output, text): added and done."""
        item = {"id": new_id("item"), "object": "realtime.item", **event.get("item", {})}
        if item.get("type") == "function_call_output":
            self.outputs.append(item)
            item["status"] = "completed"
        elif item.get("type") == "message":
            item["status"] = "completed"
        await self.send({"type": "conversation.item.added", "item": item})
        await self.send({"type": "conversation.item.done", "item": item})

    # ---- tools and faults ----------------------------------------------------------------
    async def call_tool(self, name: str, arguments: dict[str, Any] | str) -> str:
        """A response that calls a function; returns its call_id."""
        args = arguments if isinstance(arguments, str) else json.dumps(arguments)
        response = Response(id=new_id("resp"))
        self.response = response
        item_id, call_id = new_id("item"), new_id("call")
        response.items.append(item_id)
        item = {
            "id": item_id,
            "object": "realtime.item",
            "type": "function_call",
            "name": name,
            "call_id": call_id,
            "arguments": "",
            "status": "in_progress",
        }
        base = {"response_id": response.id, "item_id": item_id, "output_index": 0}
        await self.send(
            {"type": "response.created", "response": self.response_object(response, "in_progress")}
        )
        await self.send(
            {
                "type": "response.output_item.added",
                "response_id": response.id,
                "output_index": 0,
                "item": item,
            }
        )
        await self.send(
            {
                "type": "response.function_call_arguments.delta",
                **base,
                "call_id": call_id,
                "delta": args,
            }
        )
        await self.send(
            {
                "type": "response.function_call_arguments.done",
                **base,
                "call_id": call_id,
                "name": name,
                "arguments": args,
            }
        )
        done = {**item, "arguments": args, "status": "completed"}
        await self.send(
            {
                "type": "response.output_item.done",
                "response_id": response.id,
                "output_index": 0,
                "item": done,
            }
        )
        self.response = None
        body = self.response_object(response, "completed")
        body["output"] = [done]
        await self.send({"type": "response.done", "response": body})
        return call_id

    async def echo(self, payload: str, nbytes: int) -> None:
        """Echo mode: the frame comes straight back as an audio delta."""
        if self.echo_tag is None:
            self.echo_tag = base64.b64decode(payload)[4:6].hex()  # the benchmark's call index
            if self.server.bargein_every:
                self.tasks.add(asyncio.get_running_loop().create_task(self.barge_in_every()))
        item_id = f"item_echo_{self.echo_turn}"
        if item_id not in self.audio_items:
            self.audio_items[item_id] = AudioItem()
        self.audio_items[item_id].generated_ms += nbytes // 8
        await self.ws.send(
            json.dumps(
                {
                    "type": "response.output_audio.delta",
                    "event_id": "event_echo",
                    "response_id": "resp_echo",
                    "item_id": item_id,
                    "output_index": 0,
                    "content_index": 0,
                    "delta": payload,
                }
            )
        )

    async def barge_in_every(self) -> None:
        """Benchmark: the caller 'speaks' every few seconds; emission times go to a log."""
        assert self.server.bargein_every is not None
        while True:
            await asyncio.sleep(self.server.bargein_every)
            self.echo_turn += 1  # what follows belongs to a new response item
            emitted = time.monotonic_ns()
            await self.send(
                {
                    "type": "input_audio_buffer.speech_started",
                    "audio_start_ms": self.input_ms,
                    "item_id": new_id("item"),
                }
            )
            if self.server.bargein_log is not None:
                with self.server.bargein_log.open("a") as log:
                    log.write(f"{self.echo_tag} {emitted}\n")

    async def drop(self, code: int = 1011) -> None:
        """Close the socket abruptly (1011 server error, 1006-like, or 1000 mid-turn)."""
        await self.ws.close(code=code, reason="fake fault")

    async def expire(self) -> None:
        """The session reached its time limit."""
        await self.send(
            {
                "type": "error",
                "error": {
                    "type": "invalid_request_error",
                    "code": "session_expired",
                    "message": "Your session hit the maximum duration",
                },
            }
        )


class FakeRealtime:
    """The server: accepts ``/v1/realtime?model=...`` with a bearer token."""

    def __init__(
        self,
        *,
        mode: Mode = "scripted",
        reply_audio: bytes | None = None,
        reply_text: str = "שלום, איך אפשר לעזור?",
        caller_transcripts: list[str] | None = None,
        tool_plan: ToolPlan | None = None,
        chunk_ms: int = 100,
        chunk_delay: float = 0.01,
        vad_rms: float = 300.0,
        session_updated_delay: float = 0.0,
        bargein_every: float | None = None,
        bargein_log: Path | None = None,
        greeting_text: str | None = None,
        deltas_after_cancel: int = 0,
    ) -> None:
        self.mode, self.tool_plan = mode, tool_plan
        self.reply_audio = reply_audio if reply_audio is not None else clip("he_agent")
        self.reply_text = reply_text
        self.greeting_text = greeting_text
        self.caller_transcripts = list(caller_transcripts or ["אני רוצה לקבוע תור"])
        self.chunk_ms, self.chunk_delay, self.vad_rms = chunk_ms, chunk_delay, vad_rms
        self.session_updated_delay = session_updated_delay
        self.deltas_after_cancel = deltas_after_cancel
        self.bargein_every, self.bargein_log = bargein_every, bargein_log
        self.sessions: list[FakeSession] = []
        self.rejected = 0
        self._server: Server | None = None
        self._new_session = asyncio.Condition()

    def next_transcript(self) -> str:
        """The scripted words of the caller's next turn."""
        return self.caller_transcripts[
            min(len(self.caller_transcripts) - 1, sum(s.turns for s in self.sessions))
        ]

    async def start(
        self, host: str = "127.0.0.1", port: int = 0, sock: socket.socket | None = None
    ) -> str:
        """Listen (on ``sock`` when one is bound already); returns the ``OPENAI_BASE_URL``."""
        where: dict[str, Any] = {"sock": sock} if sock else {"host": host, "port": port}
        self._server = await serve(self._handle, max_size=16 * 1024 * 1024, **where)
        bound = next(iter(self._server.sockets)).getsockname()
        return f"http://{bound[0]}:{bound[1]}/v1"

    async def stop(self) -> None:
        """Stop listening and close every session."""
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def _handle(self, ws: ServerConnection) -> None:
        assert ws.request is not None
        url = urlsplit(ws.request.path)
        model = parse_qs(url.query).get("model", [""])[0]
        auth = ws.request.headers.get("Authorization", "")
        if url.path != "/v1/realtime" or not model or not auth.startswith("Bearer "):
            self.rejected += 1
            await ws.close(code=1008, reason="unauthorized")
            return
        session = FakeSession(self, ws, model)
        async with self._new_session:
            self.sessions.append(session)
            self._new_session.notify_all()
        await session.serve()

    async def wait_session(self, index: int = 0, within: float = 15.0) -> FakeSession:
        """The ``index``-th session, once it has connected."""
        async with asyncio.timeout(within), self._new_session:
            await self._new_session.wait_for(lambda: len(self.sessions) > index)
        return self.sessions[index]
