"""A fake Twilio: the signed webhook, the signed media stream, playout with marks.

It places a call the way Twilio does: POSTs the signed voice webhook, reads
the TwiML, opens the media stream with ``X-Twilio-Signature`` over the public
``wss://`` URL, sends ``connected`` and ``start`` (with the token parameter),
then 20 ms frames on a monotonic clock, with ``0xFF`` silence between
utterances, never going quiet. It plays what it receives at 8 bytes per
millisecond, echoes each mark once the audio before it has played, and on
``clear`` drops the queued audio and (configurably) the pending marks.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import json
import re
import secrets
import time
from dataclasses import dataclass, field
from typing import Any, Literal

import httpx
import websockets
from websockets.asyncio.client import ClientConnection, connect

from voice_bridge.security import public_url, sign_request
from voice_bridge.testing.audio import frames, silence, stereo_wav


def sid(prefix: str) -> str:
    """A realistic Twilio SID (``CA``, ``MZ``, ``AC`` ...)."""
    return prefix + secrets.token_hex(16)


@dataclass
class Report:
    """What the caller's side saw and heard."""

    twiml: str = ""
    received_audio: bytearray = field(default_factory=bytearray)
    media_messages: int = 0
    marks_sent_back: list[str] = field(default_factory=list)
    clears: int = 0
    first_audio_at: float | None = None
    audio_after_clear: int = 0
    violations: list[str] = field(default_factory=list)
    close_code: int | None = None
    sent_frames: int = 0


class FakeTwilioCall:
    """One inbound call, from the webhook to ``stop``."""

    def __init__(
        self,
        *,
        base_url: str,
        public_base_url: str,
        auth_token: str,
        to: str,
        from_: str = "+972541234567",
        account_sid: str | None = None,
        on_clear: Literal["drop", "echo"] = "drop",
        pace: bool = True,
    ) -> None:
        self.base_url, self.public_base_url, self.auth_token = (
            base_url.rstrip("/"),
            public_base_url,
            auth_token,
        )
        self.to, self.from_ = to, from_
        self.account_sid = account_sid or sid("AC")
        self.call_sid, self.stream_sid = sid("CA"), sid("MZ")
        self.on_clear, self.pace = on_clear, pace
        self.report = Report()
        self.ws: ClientConnection | None = None
        self.token = ""
        self._sequence = 0
        self._play_until = 0.0
        self._mark_tasks: dict[asyncio.Task[None], str] = {}
        self._reader: asyncio.Task[None] | None = None
        self.hung_up = asyncio.Event()
        # What a dual-channel recording of this call holds: (seconds from connect, mu-law).
        self._t0 = 0.0
        self.caller_track: list[tuple[float, bytes]] = []
        self.agent_track: list[tuple[float, bytes]] = []

    # ---- the webhook ---------------------------------------------------------------------
    def _signed_post(
        self, path: str, form: dict[str, str]
    ) -> tuple[dict[str, str], dict[str, str]]:
        signature = sign_request(self.auth_token, public_url(self.public_base_url, path), form)
        return form, {"X-Twilio-Signature": signature}

    async def place(self) -> str:
        """POST the signed voice webhook; returns the TwiML and keeps the stream token."""
        form, headers = self._signed_post(
            "/twilio/voice",
            {
                "CallSid": self.call_sid,
                "AccountSid": self.account_sid,
                "From": self.from_,
                "To": self.to,
                "CallStatus": "ringing",
                "Direction": "inbound",
            },
        )
        async with httpx.AsyncClient(base_url=self.base_url) as client:
            response = await client.post("/twilio/voice", data=form, headers=headers)
        response.raise_for_status()
        self.report.twiml = response.text
        found = re.search(r'<Parameter name="token" value="([^"]+)"', response.text)
        self.token = found.group(1) if found else ""
        return response.text

    async def callback(self, path: str, form: dict[str, str]) -> int:
        """POST a signed status or recording callback; returns the HTTP status."""
        form, headers = self._signed_post(
            path, {"CallSid": self.call_sid, "AccountSid": self.account_sid, **form}
        )
        async with httpx.AsyncClient(base_url=self.base_url) as client:
            return (await client.post(path, data=form, headers=headers)).status_code

    # ---- the stream ----------------------------------------------------------------------
    async def connect(
        self, *, signed: bool = True, token: str | None = None, send_start: bool = True
    ) -> None:
        """Open the media stream (signature over the public wss URL), then connected and start."""
        ws_url = self.base_url.replace("http", "ws", 1) + "/twilio/media"
        headers = {}
        if signed:
            url = public_url(self.public_base_url, "/twilio/media", websocket=True)
            headers["X-Twilio-Signature"] = sign_request(self.auth_token, url, {})
        self.ws = await connect(
            ws_url, additional_headers=headers, subprotocols=None, max_size=2**20
        )
        self._t0 = time.monotonic()
        self._reader = asyncio.get_running_loop().create_task(self._read())
        await self.send({"event": "connected", "protocol": "Call", "version": "1.0.0"})
        if send_start:
            await self.send_start(self.token if token is None else token)

    async def send_start(self, token: str) -> None:
        """The ``start`` message, with the token as a custom parameter."""
        await self.send(
            {
                "event": "start",
                "sequenceNumber": self._seq(),
                "streamSid": self.stream_sid,
                "start": {
                    "streamSid": self.stream_sid,
                    "accountSid": self.account_sid,
                    "callSid": self.call_sid,
                    "tracks": ["inbound"],
                    "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1},
                    "customParameters": {"token": token},
                },
            }
        )

    def _seq(self) -> str:
        self._sequence += 1
        return str(self._sequence)

    async def send(self, message: dict[str, Any]) -> None:
        """Send one message (JSON)."""
        assert self.ws is not None
        await self.ws.send(json.dumps(message))

    async def send_raw(self, text: str) -> None:
        """Send anything at all (for fuzzing)."""
        assert self.ws is not None
        await self.ws.send(text)

    async def stream(self, audio: bytes, *, pause_ms: int = 0) -> None:
        """Send ``audio`` as 20 ms frames on a paced clock, then ``pause_ms`` of silence."""
        started, chunk = time.monotonic(), 0
        for frame in frames(audio + silence(pause_ms)):
            chunk += 1
            await self.send(
                {
                    "event": "media",
                    "sequenceNumber": self._seq(),
                    "streamSid": self.stream_sid,
                    "media": {
                        "track": "inbound",
                        "chunk": str(chunk),
                        "timestamp": str(chunk * 20),
                        "payload": base64.b64encode(frame).decode(),
                    },
                }
            )
            self.report.sent_frames += 1
            self.caller_track.append((time.monotonic() - self._t0, frame))
            if self.pace:
                delay = started + chunk * 0.02 - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)

    async def dtmf(self, digit: str) -> None:
        """A keypad press."""
        await self.send(
            {
                "event": "dtmf",
                "streamSid": self.stream_sid,
                "sequenceNumber": self._seq(),
                "dtmf": {"track": "inbound_track", "digit": digit},
            }
        )

    async def stop(self) -> None:
        """The caller hangs up: ``stop``, then the socket closes."""
        with contextlib.suppress(websockets.ConnectionClosed):
            await self.send(
                {
                    "event": "stop",
                    "sequenceNumber": self._seq(),
                    "streamSid": self.stream_sid,
                    "stop": {"accountSid": self.account_sid, "callSid": self.call_sid},
                }
            )
        await self.close()

    async def close(self, code: int = 1000) -> None:
        """Close the socket (1000, or an abnormal code to simulate a drop)."""
        if self.ws is not None:
            await self.ws.close(code=code)
        await self.wait_closed()

    async def wait_closed(self, within: float = 10.0) -> None:
        """Until the bridge (or we) closed the stream."""
        if self._reader is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(self._reader), within)

    # ---- playout -------------------------------------------------------------------------
    async def _read(self) -> None:
        assert self.ws is not None
        try:
            async for raw in self.ws:
                self._on_message(json.loads(raw))
        except websockets.ConnectionClosed:
            pass
        finally:
            self.report.close_code = self.ws.close_code

    def _on_message(self, message: dict[str, Any]) -> None:
        event = message.get("event")
        if message.get("streamSid") != self.stream_sid:
            self.report.violations.append(f"{event} without our streamSid")
        if event == "media":
            self._on_media(message.get("media", {}).get("payload", ""))
        elif event == "mark":
            name = message.get("mark", {}).get("name")
            if not name:
                self.report.violations.append("mark without a name")
            else:
                self._schedule_mark(name)
        elif event == "clear":
            self._on_clear()
        else:
            self.report.violations.append(f"unknown event {event}")

    def _on_media(self, payload: str) -> None:
        try:
            audio = base64.b64decode(payload, validate=True)
        except (binascii.Error, ValueError):
            self.report.violations.append("media payload is not base64")
            return
        now = time.monotonic()
        if self.report.first_audio_at is None:
            self.report.first_audio_at = now
        if self.report.clears:
            self.report.audio_after_clear += len(audio)
        self.report.media_messages += 1
        self.report.received_audio += audio
        start = max(now, self._play_until)
        self.agent_track.append((start - self._t0, audio))
        self._play_until = start + len(audio) / 8000

    def _schedule_mark(self, name: str) -> None:
        delay = max(0.0, self._play_until - time.monotonic())
        task = asyncio.get_running_loop().create_task(self._echo_mark(name, delay))
        self._mark_tasks[task] = name
        task.add_done_callback(lambda t: self._mark_tasks.pop(t, None))

    async def _echo_mark(self, name: str, delay: float) -> None:
        await asyncio.sleep(delay)
        with contextlib.suppress(websockets.ConnectionClosed):
            await self.send(
                {
                    "event": "mark",
                    "sequenceNumber": self._seq(),
                    "streamSid": self.stream_sid,
                    "mark": {"name": name},
                }
            )
            self.report.marks_sent_back.append(name)

    def _on_clear(self) -> None:
        """Drop queued audio; pending marks are dropped, or echoed at once (both happen)."""
        self.report.clears += 1
        self.report.audio_after_clear = 0
        self._play_until = time.monotonic()
        cut = self._play_until - self._t0
        self.agent_track = [
            (start, audio[: max(0, int((cut - start) * 8000))])
            for start, audio in self.agent_track
            if start < cut
        ]
        pending = list(self._mark_tasks.items())
        self._mark_tasks.clear()
        for task, name in pending:
            task.cancel()
            if self.on_clear == "echo":
                self._schedule_mark(name)

    async def listen(self, within: float = 15.0) -> None:
        """Wait until the agent has said something and it has finished playing."""
        async with asyncio.timeout(within):
            # The playout clock moves with time, not with events: poll it.
            while not self.report.received_audio or time.monotonic() < self._play_until + 0.2:  # noqa: ASYNC110
                await asyncio.sleep(0.05)

    def heard_seconds(self) -> float:
        """How much audio the caller received."""
        return len(self.report.received_audio) / 8000

    # ---- the recording -------------------------------------------------------------------
    @staticmethod
    def _place(track: list[tuple[float, bytes]], length: int) -> bytes:
        out = bytearray([0xFF]) * length
        for start, audio in track:
            at = int(start * 8000)
            out[at : at + len(audio)] = audio
        return bytes(out[:length])

    def recording_seconds(self) -> float:
        """How long the call has lasted, as a recording would count it."""
        ends = [s + len(a) / 8000 for s, a in self.caller_track + self.agent_track]
        return max(ends, default=0.0)

    def recording_wav(self) -> bytes:
        """The call as Twilio records it with two channels: the caller, then the agent."""
        length = int(self.recording_seconds() * 8000)
        return stereo_wav(
            self._place(self.caller_track, length), self._place(self.agent_track, length)
        )
