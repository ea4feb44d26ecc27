"""The bridge's routes: Twilio webhooks and the media WebSocket (mounted at ``/twilio``)."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import logging
import re
import secrets
import time
from collections.abc import AsyncIterator, Coroutine
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from crm_app.models import Business
from crm_app.services.agent import AgentSettings
from voice_bridge import crm, security, twiml
from voice_bridge.call import CallServices, CallSession
from voice_bridge.config import MAX_MESSAGE_BYTES, START_TIMEOUT_SECONDS, BridgeConfig
from voice_bridge.openai_link import make_client, open_realtime
from voice_bridge.registry import Registry
from voice_bridge.spool import CallSpool
from voice_bridge.tools import APPOINTMENT_TOOLS

logger = logging.getLogger("voice_bridge")
SID = re.compile(r"^[A-Za-z0-9]{2,64}$")  # Twilio SIDs: two letters and hex


def _xml(body: str) -> Response:
    return Response(body, media_type="application/xml")


async def _signed_form(request: Request, config: BridgeConfig) -> dict[str, str] | None:
    form = {k: str(v) for k, v in (await request.form()).items()}
    url = security.public_url(config.public_base_url, request.url.path)
    if request.url.query:
        url += "?" + request.url.query
    ok = security.valid_signature(
        config.twilio_auth_token, url, form, request.headers.get("x-twilio-signature")
    )
    return form if ok else None


class Bridge:
    """The bridge's state for one process: config, registry, and its handlers."""

    def __init__(
        self,
        config: BridgeConfig | None = None,
        events: crm.CallEvents = crm.no_events,
        heard: crm.CallLines = crm.no_lines,
        draft: AgentSettings | None = None,
    ) -> None:
        self.config = config or BridgeConfig.from_settings()
        self.events, self.heard = events, heard
        # Settings not saved yet that answer this bridge's calls (a test call's own bridge).
        self.draft = draft
        self.registry = Registry(self.config.max_concurrent_calls)
        self.openai = make_client(self.config)
        self.spool = CallSpool(self.config.spool_dir)
        self._tasks: set[asyncio.Task[None]] = set()

    def _background(self, work: Coroutine[Any, Any, None]) -> None:
        """Run ``work`` alongside the call (kept referenced until it finishes)."""
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def voice(self, request: Request) -> Response:
        """``POST /twilio/voice``: answer with TwiML that connects the media stream."""
        form = await _signed_form(request, self.config)
        if form is None:
            return PlainTextResponse("invalid signature", status_code=403)
        call_sid = form.get("CallSid", "")
        business = await asyncio.to_thread(crm.business_for_number, form.get("To", ""))
        if business is None:
            logger.warning("call_refused call_sid=%s reason=unknown_number", call_sid)
            return _xml(twiml.refuse("unknown"))
        if not self.registry.reserve(call_sid):
            logger.warning("call_refused call_sid=%s reason=busy", call_sid)
            return _xml(twiml.refuse("busy", business.locale))
        await asyncio.to_thread(
            crm.start_call,
            self.events,
            business,
            call_sid,
            form.get("From", ""),
            form.get("To", ""),
        )
        assert business.id is not None
        token = security.make_call_token(self.config.secret, call_sid, business.id)
        stream_url = security.public_url(
            self.config.public_base_url, "/twilio/media", websocket=True
        )
        return _xml(twiml.connect_stream(stream_url, token))

    async def status(self, request: Request) -> Response:
        """``POST /twilio/status``: call status, upserted by CallSid."""
        return await self._callback(request, "status")

    async def recording(self, request: Request) -> Response:
        """``POST /twilio/recording``: recording status, upserted by CallSid and RecordingSid."""
        return await self._callback(request, "recording")

    async def text(self, request: Request) -> Response:
        """``POST /twilio/sms``: a customer's text; the answer goes back as TwiML."""
        form = await _signed_form(request, self.config)
        if form is None:
            return PlainTextResponse("invalid signature", status_code=403)
        business = await asyncio.to_thread(crm.business_for_number, form.get("To", ""))
        if business is None:
            logger.warning("text_refused reason=unknown_number")
            return _xml(twiml.text_back(None))
        answer = await asyncio.to_thread(crm.receive_text, business, form)
        return _xml(twiml.text_back(answer))

    async def _callback(self, request: Request, kind: str) -> Response:
        form = await _signed_form(request, self.config)
        if form is None:
            return PlainTextResponse("invalid signature", status_code=403)
        await asyncio.to_thread(crm.record_callback, self.events, kind, form)
        if kind == "status" and form.get("CallStatus") in crm.TERMINAL_STATUSES:
            self.registry.release(form.get("CallSid", ""))
        return Response(status_code=204)

    async def media(self, websocket: WebSocket) -> None:
        """``WS /twilio/media``: signature on the upgrade, token at ``start``, then the call."""
        url = security.public_url(self.config.public_base_url, "/twilio/media", websocket=True)
        if not security.valid_signature(
            self.config.twilio_auth_token, url, {}, websocket.headers.get("x-twilio-signature")
        ):
            await websocket.close(code=1008)
            return
        if self.registry.draining:
            await websocket.close(code=1013)
            return
        offered = websocket.headers.get("sec-websocket-protocol", "")
        await websocket.accept(
            subprotocol="audio.twilio.com" if "audio.twilio.com" in offered else None
        )
        start = await self._await_start(websocket)
        if start is None:
            return
        await self._run_call(websocket, start)

    async def _await_start(self, websocket: WebSocket) -> dict[str, object] | None:
        """The ``start`` message within 3 s, or the socket is closed (a ghost stream)."""
        try:
            async with asyncio.timeout(START_TIMEOUT_SECONDS):
                while True:
                    text = await websocket.receive_text()
                    if len(text) > MAX_MESSAGE_BYTES:
                        await websocket.close(code=1009)
                        return None
                    message = json.loads(text)
                    if isinstance(message, dict) and message.get("event") == "start":
                        return message
        except (TimeoutError, ValueError, WebSocketDisconnect, KeyError):
            pass
        with contextlib.suppress(RuntimeError, WebSocketDisconnect):
            await websocket.close(code=1008)
        return None

    async def _run_call(self, websocket: WebSocket, start: dict[str, object]) -> None:
        details = start.get("start") if isinstance(start.get("start"), dict) else {}
        assert isinstance(details, dict)
        call_sid = str(details.get("callSid", ""))
        stream_sid = str(start.get("streamSid") or details.get("streamSid", ""))
        params = details.get("customParameters") or {}
        if not (SID.match(call_sid) and SID.match(stream_sid)):
            await websocket.close(code=1008)
            return
        token = security.verify_call_token(
            self.config.secret, str(params.get("token", "")), call_sid
        )
        setup = (
            await asyncio.to_thread(crm.claim_call, token, stream_sid, self.draft)
            if token
            else None
        )
        if setup is None:
            logger.warning("stream_refused call_sid=%s reason=bad_or_replayed_token", call_sid)
            await websocket.close(code=1008)
            return
        if self.config.record_calls:
            self._background(
                asyncio.to_thread(crm.start_recording, self.config, setup.context.call_id, call_sid)
            )
        services = CallServices(
            finalize=functools.partial(crm.finalize_call, self.events, spool=self.spool),
            hang_up=self.hang_up,
            tools=APPOINTMENT_TOOLS,
            heard=self.heard,
        )
        await self._converse(websocket, setup, services, call_sid, stream_sid)

    async def talk(self, websocket: WebSocket, business: Business, heard: crm.CallLines) -> None:
        """A call from a browser ("Talk to it"): the page streams as Media Streams does.

        Whoever hands the socket over has checked the page's session, role and
        Origin. The call is created here as the voice webhook would create it,
        from a caller with no number (so it is nobody's lead); the first message
        to the page is a ``start`` with the call's SIDs. There is no phone call:
        nothing is recorded, and hanging up closes the socket. ``heard`` hears
        each line as it is said, as well as the bridge's own listener.
        """
        call_sid, stream_sid = "CA" + secrets.token_hex(16), "MZ" + secrets.token_hex(16)
        if self.registry.draining or not self.registry.reserve(call_sid):
            await websocket.close(code=1013)
            return
        try:
            assert business.id is not None
            await asyncio.to_thread(
                crm.start_call, self.events, business, call_sid, "browser", business.phone_number
            )
            token = security.CallToken(call_sid, business.id, int(time.time()) + 60)
            setup = await asyncio.to_thread(crm.claim_call, token, stream_sid, self.draft)
            if setup is None:
                await websocket.close(code=1011)
                return
            await websocket.accept()
            await websocket.send_text(
                json.dumps(
                    {
                        "event": "start",
                        "streamSid": stream_sid,
                        "start": {"callSid": call_sid, "callId": setup.context.call_id},
                    }
                )
            )

            def both(call_id: int, line: dict[str, Any]) -> None:
                crm.notify_line(self.heard, call_id, line)
                heard(call_id, line)

            services = CallServices(
                finalize=functools.partial(crm.finalize_call, self.events, spool=self.spool),
                hang_up=_no_phone_to_hang_up,
                tools=APPOINTMENT_TOOLS,
                heard=both,
            )
            await self._converse(websocket, setup, services, call_sid, stream_sid)
        finally:
            self.registry.release(call_sid)

    async def _converse(
        self,
        websocket: WebSocket,
        setup: crm.CallSetup,
        services: CallServices,
        call_sid: str,
        stream_sid: str,
    ) -> None:
        """The call itself, from the Realtime session's start to its finalize."""
        async with open_realtime(self.openai, self.config) as openai:
            session = CallSession(
                twilio=websocket,
                openai=openai,
                config=setup.call_config(self.config),
                services=services,
                context=setup.context,
                call_sid=call_sid,
                stream_sid=stream_sid,
                profile=setup.profile(self.config),
                greeting=setup.greeting,
            )
            async with self.registry.active(call_sid, session):
                await session.run()

    async def hang_up(self, call_sid: str) -> None:
        """End the phone call through Twilio's REST API."""
        await asyncio.to_thread(crm.hang_up, self.config, call_sid)

    @contextlib.asynccontextmanager
    async def lifespan(self) -> AsyncIterator[None]:
        """Replay spooled calls while serving, then drain: refuse new calls, finish the rest."""
        replayer = asyncio.get_running_loop().create_task(self.replay_spool_forever())
        try:
            yield
        finally:
            replayer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await replayer
            await self.registry.drain(self.config.drain_seconds)
            await self.openai.close()

    async def replay_spool_forever(self) -> None:
        """Write the calls the database missed, at start and every few seconds."""
        while True:
            try:
                await asyncio.to_thread(crm.replay_spool, self.events, self.spool)
            except Exception:  # the replayer must outlive any one bad try
                logger.exception("spool replay failed")
            await asyncio.sleep(self.config.spool_replay_seconds)


async def _no_phone_to_hang_up(call_sid: str) -> None:
    """A browser's call has no phone line: ending the session closes its socket."""


def create_bridge(
    config: BridgeConfig | None = None,
    *,
    events: crm.CallEvents = crm.no_events,
    heard: crm.CallLines = crm.no_lines,
    draft: AgentSettings | None = None,
) -> Starlette:
    """The bridge as a Starlette app (mounted by the CRM, or served alone).

    Without a config, settings are read when the first request arrives.
    ``events`` hears what happens to calls (the CRM queues its post-call work);
    ``heard`` hears each line of their transcripts as it is said; ``draft``, when
    given, answers every call instead of the business's saved agent.
    """
    holder: list[Bridge] = [Bridge(config, events, heard, draft)] if config is not None else []

    def get() -> Bridge:
        if not holder:
            holder.append(Bridge(events=events, heard=heard, draft=draft))
        return holder[0]

    async def voice(request: Request) -> Response:
        return await get().voice(request)

    async def status(request: Request) -> Response:
        return await get().status(request)

    async def recording(request: Request) -> Response:
        return await get().recording(request)

    async def text(request: Request) -> Response:
        return await get().text(request)

    async def media(websocket: WebSocket) -> None:
        await get().media(websocket)

    app = Starlette(
        routes=[
            Route("/voice", voice, methods=["POST"]),
            Route("/status", status, methods=["POST"]),
            Route("/recording", recording, methods=["POST"]),
            Route("/sms", text, methods=["POST"]),
            WebSocketRoute("/media", media),
        ]
    )
    app.state.bridge = get
    return app
