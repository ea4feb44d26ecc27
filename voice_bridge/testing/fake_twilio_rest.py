"""A fake of Twilio's REST API: call updates (hang up) and recordings, with basic auth.

Recordings can be "not ready" a given number of times (404, as Twilio answers
while it is still processing) before they are served as WAV bytes.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass, field

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route


@dataclass
class Recording:
    """A recording the fake will serve."""

    wav: bytes
    not_ready_times: int = 0
    requests: int = 0


@dataclass
class FakeTwilioRest:
    """State and the Starlette app."""

    account_sid: str
    auth_token: str
    hangups: list[str] = field(default_factory=list)
    recordings: dict[str, Recording] = field(default_factory=dict)
    on_hangup: dict[str, Callable[[], object]] = field(default_factory=dict)
    unauthorized: int = 0

    def _authorized(self, request: Request) -> bool:
        expected = base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()
        ok = request.headers.get("authorization", "") == f"Basic {expected}"
        if not ok:
            self.unauthorized += 1
        return ok

    async def update_call(self, request: Request) -> Response:
        """``POST /2010-04-01/Accounts/{AC}/Calls/{CA}.json`` (Status=completed hangs up)."""
        if not self._authorized(request):
            return JSONResponse({"code": 20003, "message": "Authenticate"}, status_code=401)
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

    async def recording_media(self, request: Request) -> Response:
        """``GET /2010-04-01/Accounts/{AC}/Recordings/{RE}.wav``."""
        if not self._authorized(request):
            return JSONResponse({"code": 20003, "message": "Authenticate"}, status_code=401)
        recording = self.recordings.get(request.path_params["recording_sid"])
        if recording is None:
            return JSONResponse({"code": 20404, "message": "not found"}, status_code=404)
        recording.requests += 1
        if recording.requests <= recording.not_ready_times:
            return JSONResponse(
                {"code": 20404, "message": "The requested resource was not found"}, status_code=404
            )
        return Response(recording.wav, media_type="audio/x-wav")

    def app(self) -> Starlette:
        """The ASGI app to serve."""
        return Starlette(
            routes=[
                Route(
                    "/2010-04-01/Accounts/{account_sid}/Calls/{call_sid}.json",
                    self.update_call,
                    methods=["POST"],
                ),
                Route(
                    "/2010-04-01/Accounts/{account_sid}/Recordings/{recording_sid}.wav",
                    self.recording_media,
                    methods=["GET"],
                ),
            ]
        )
