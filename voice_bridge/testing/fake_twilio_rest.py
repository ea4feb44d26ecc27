"""A fake of Twilio's REST API: hang up, recordings, recording media and text messages.

Basic auth is checked on every request. Texts (``Messages.json``) are kept
and listed like Twilio does, newest first, filtered by ``To`` and ``From``; a
``To`` that is not a phone number gets Twilio's error 21211. ``hold_texts``
makes the fake take a text and then not answer (a worker killed mid-send).

Like Twilio, it starts a recording when asked (``POST .../Calls/{CA}/Recordings.json``),
answers with the recording resource, and once the call is over
(:meth:`FakeTwilioRest.finish_recording`) POSTs the signed recording status
callback to the URL it was given. The media is served as WAV or MP3
(``.../Recordings/{RE}.wav|.mp3``), optionally "not ready" (404, as Twilio
answers while it is still processing) a given number of times first.
"""

from __future__ import annotations

import asyncio
import base64
import re
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from urllib.parse import urlsplit

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from voice_bridge.security import sign_request
from voice_bridge.testing.audio import silent_mp3

E164 = re.compile(r"^\+[1-9][0-9]{7,14}$")


@dataclass
class Recording:
    """A recording the fake will serve."""

    wav: bytes = b""
    not_ready_times: int = 0
    requests: int = 0
    call_sid: str = ""
    callback_url: str = ""
    callback_events: list[str] = field(default_factory=list)
    channels: int = 2
    status: str = "in-progress"
    duration: int = 0


@dataclass
class Text:
    """A text message the fake accepted."""

    sid: str
    to: str
    from_: str
    body: str
    status_callback: str
    date_created: datetime


def _text_resource(account_sid: str, text: Text) -> dict[str, object]:
    created = format_datetime(text.date_created, usegmt=True)
    uri = f"/2010-04-01/Accounts/{account_sid}/Messages/{text.sid}"
    return {
        "account_sid": account_sid,
        "api_version": "2010-04-01",
        "body": text.body,
        "date_created": created,
        "date_sent": None,
        "date_updated": created,
        "direction": "outbound-api",
        "error_code": None,
        "error_message": None,
        "from": text.from_,
        "messaging_service_sid": None,
        "num_media": "0",
        "num_segments": str(max(1, -(-len(text.body) // 67))),
        "price": None,
        "price_unit": "USD",
        "sid": text.sid,
        "status": "queued",
        "subresource_uris": {"media": f"{uri}/Media.json"},
        "to": text.to,
        "uri": f"{uri}.json",
    }


@dataclass
class FakeTwilioRest:
    """State and the Starlette app."""

    account_sid: str
    auth_token: str
    hangups: list[str] = field(default_factory=list)
    recordings: dict[str, Recording] = field(default_factory=dict)
    on_hangup: dict[str, Callable[[], object]] = field(default_factory=dict)
    unauthorized: int = 0
    fail_recording_start: bool = False
    base_url: str = ""  # where this fake is served (for RecordingUrl)
    deliver_to: dict[str, str] = field(default_factory=dict)  # public origin -> real origin
    texts: list[Text] = field(default_factory=list)
    hold_texts: threading.Event | None = None  # set: answer again
    fail_texts: int = 0  # answer this many texts with a 500 first

    def texts_to(self, number: str) -> list[Text]:
        """The texts sent to ``number``, oldest first."""
        return [t for t in self.texts if t.to == number]

    async def create_text(self, request: Request) -> Response:
        """``POST /2010-04-01/Accounts/{AC}/Messages.json``."""
        if not self._authorized(request):
            return self._denied()
        if self.fail_texts > 0:
            self.fail_texts -= 1
            return JSONResponse({"code": 20500, "message": "Internal Server Error"}, 500)
        form = await request.form()
        to, body = str(form.get("To", "")), str(form.get("Body", ""))
        if not E164.match(to):
            message = f"The 'To' number {to} is not a valid phone number."
            return JSONResponse({"code": 21211, "message": message, "status": 400}, status_code=400)
        text = Text(
            sid="SM" + secrets.token_hex(16),
            to=to,
            from_=str(form.get("From", "")),
            body=body,
            status_callback=str(form.get("StatusCallback", "")),
            date_created=datetime.now(UTC),
        )
        self.texts.append(text)
        if self.hold_texts is not None:
            await asyncio.to_thread(self.hold_texts.wait)
        return JSONResponse(_text_resource(self.account_sid, text), status_code=201)

    async def list_texts(self, request: Request) -> Response:
        """``GET /2010-04-01/Accounts/{AC}/Messages.json?To&From`` (newest first)."""
        if not self._authorized(request):
            return self._denied()
        wanted = {k: request.query_params.get(k) for k in ("To", "From")}
        found = [
            t
            for t in reversed(self.texts)
            if wanted["To"] in (None, t.to) and wanted["From"] in (None, t.from_)
        ]
        size = int(request.query_params.get("PageSize", "50"))
        uri = f"/2010-04-01/Accounts/{self.account_sid}/Messages.json"
        return JSONResponse(
            {
                "messages": [_text_resource(self.account_sid, t) for t in found[:size]],
                "end": min(size, len(found)) - 1,
                "first_page_uri": f"{uri}?PageSize={size}&Page=0",
                "next_page_uri": None,
                "page": 0,
                "page_size": size,
                "previous_page_uri": None,
                "start": 0,
                "uri": f"{uri}?PageSize={size}&Page=0",
            }
        )

    def _authorized(self, request: Request) -> bool:
        expected = base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()
        ok = request.headers.get("authorization", "") == f"Basic {expected}"
        if not ok:
            self.unauthorized += 1
        return ok

    @staticmethod
    def _denied() -> Response:
        return JSONResponse({"code": 20003, "message": "Authenticate"}, status_code=401)

    async def update_call(self, request: Request) -> Response:
        """``POST /2010-04-01/Accounts/{AC}/Calls/{CA}.json`` (Status=completed hangs up)."""
        if not self._authorized(request):
            return self._denied()
        call_sid = request.path_params["call_sid"]
        form = await request.form()
        if form.get("Status") == "completed":
            self.hangups.append(call_sid)
            callback = self.on_hangup.get(call_sid)
            if callback is not None:
                callback()
        return JSONResponse(
            {"sid": call_sid, "account_sid": self.account_sid, "status": "completed"}
        )

    def recording_for(self, call_sid: str) -> tuple[str, Recording] | None:
        """The recording started for a call, if any."""
        for sid, recording in self.recordings.items():
            if recording.call_sid == call_sid:
                return sid, recording
        return None

    async def start_recording(self, request: Request) -> Response:
        """``POST /2010-04-01/Accounts/{AC}/Calls/{CA}/Recordings.json``."""
        if not self._authorized(request):
            return self._denied()
        if self.fail_recording_start:
            return JSONResponse(
                {"code": 21220, "message": "Call is not in-progress", "status": 400},
                status_code=400,
            )
        form = await request.form()
        call_sid = request.path_params["call_sid"]
        recording_sid = "RE" + secrets.token_hex(16)
        channels = 2 if form.get("RecordingChannels", "mono") == "dual" else 1
        self.recordings[recording_sid] = Recording(
            call_sid=call_sid,
            callback_url=str(form.get("RecordingStatusCallback", "")),
            callback_events=[str(v) for v in form.getlist("RecordingStatusCallbackEvent")],
            channels=channels,
        )
        now = format_datetime(datetime.now(UTC), usegmt=True)
        uri = f"/2010-04-01/Accounts/{self.account_sid}/Calls/{call_sid}/Recordings"
        return JSONResponse(
            {
                "account_sid": self.account_sid,
                "api_version": "2010-04-01",
                "call_sid": call_sid,
                "conference_sid": None,
                "channels": channels,
                "date_created": now,
                "date_updated": now,
                "start_time": now,
                "duration": "-1",
                "price": None,
                "price_unit": "USD",
                "sid": recording_sid,
                "source": "StartCallRecordingAPI",
                "status": "in-progress",
                "error_code": None,
                "encryption_details": None,
                "track": str(form.get("RecordingTrack", "both")),
                "uri": f"{uri}/{recording_sid}.json",
            },
            status_code=201,
        )

    async def recording_media(self, request: Request) -> Response:
        """``GET /2010-04-01/Accounts/{AC}/Recordings/{RE}.wav`` (or ``.mp3``)."""
        if not self._authorized(request):
            return self._denied()
        recording = self.recordings.get(request.path_params["recording_sid"])
        if recording is None or request.path_params["ext"] not in ("wav", "mp3"):
            return JSONResponse({"code": 20404, "message": "not found"}, status_code=404)
        recording.requests += 1
        if recording.requests <= recording.not_ready_times or recording.status != "completed":
            return JSONResponse(
                {"code": 20404, "message": "The requested resource was not found"}, status_code=404
            )
        if request.path_params["ext"] == "mp3":
            return Response(silent_mp3(recording.duration), media_type="audio/mpeg")
        return Response(recording.wav, media_type="audio/x-wav")

    def finish_recording(
        self, call_sid: str, wav: bytes, *, duration: int, not_ready_times: int = 0
    ) -> dict[str, str]:
        """The call is over: the recording is complete; returns the callback's form."""
        found = self.recording_for(call_sid)
        assert found is not None, f"no recording was started for {call_sid}"
        sid, recording = found
        recording.wav, recording.duration, recording.status = wav, duration, "completed"
        recording.not_ready_times = not_ready_times
        return {
            "AccountSid": self.account_sid,
            "CallSid": call_sid,
            "RecordingSid": sid,
            "RecordingUrl": f"{self.base_url}/2010-04-01/Accounts/{self.account_sid}"
            f"/Recordings/{sid}",
            "RecordingStatus": "completed",
            "RecordingDuration": str(duration),
            "RecordingChannels": str(recording.channels),
            "RecordingSource": "StartCallRecordingAPI",
            "RecordingTrack": "both",
            "RecordingStartTime": format_datetime(datetime.now(UTC), usegmt=True),
        }

    async def send_callback(self, call_sid: str, form: dict[str, str]) -> int:
        """POST the signed recording status callback where the bridge asked for it."""
        found = self.recording_for(call_sid)
        assert found is not None and found[1].callback_url, "no callback URL was given"
        public = found[1].callback_url
        parts = urlsplit(public)
        origin = f"{parts.scheme}://{parts.netloc}"
        target = self.deliver_to.get(origin, origin) + parts.path
        headers = {"X-Twilio-Signature": sign_request(self.auth_token, public, form)}
        async with httpx.AsyncClient() as client:
            response = await client.post(target, data=form, headers=headers)
        return response.status_code

    def app(self) -> Starlette:
        """The ASGI app to serve."""
        base = "/2010-04-01/Accounts/{account_sid}"
        return Starlette(
            routes=[
                Route(f"{base}/Calls/{{call_sid}}.json", self.update_call, methods=["POST"]),
                Route(
                    f"{base}/Calls/{{call_sid}}/Recordings.json",
                    self.start_recording,
                    methods=["POST"],
                ),
                Route(f"{base}/Messages.json", self.create_text, methods=["POST"]),
                Route(f"{base}/Messages.json", self.list_texts, methods=["GET"]),
                Route(
                    f"{base}/Recordings/{{recording_sid}}.{{ext:str}}",
                    self.recording_media,
                    methods=["GET"],
                ),
            ]
        )
