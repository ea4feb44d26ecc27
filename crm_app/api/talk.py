"""``WS /talk``: "Talk to it", the browser's microphone speaking to the voice agent.

The voice agent page opens this socket and streams as Twilio's Media Streams
does (8 kHz mu-law ``media`` frames, ``mark`` echoes, ``stop``); the bridge
answers the same way, so an owner hears the agent exactly as a caller would
before the number goes live. Only a signed-in owner or admin of the business,
from one of our origins, gets a call; anyone else's handshake is refused
before it is accepted. Each line of the conversation also comes to the page as
``{"event": "line", "line": {...}}``.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.websockets import WebSocket

from crm_app.db import unit_of_work
from crm_app.models import Business, Role
from crm_app.services import auth
from crm_app.settings import get_settings
from voice_bridge.app import Bridge

POLICY_VIOLATION = 1008


def _business_of(cookie: str | None) -> Business | None:
    """The business of a signed-in owner or admin, or None."""
    with unit_of_work() as session:
        principal = auth.resolve_session(session, cookie)
        if principal is None or principal.role not in (Role.OWNER, Role.ADMIN):
            return None
        business = session.get(Business, principal.business_id)
        if business is not None:
            session.expunge(business)
        return business


def talk_endpoint(bridge: Callable[[], Bridge]) -> Callable[[WebSocket], Awaitable[None]]:
    """The ``/talk`` handler for the bridge that ``bridge()`` returns."""

    async def talk(websocket: WebSocket) -> None:
        origin = websocket.headers.get("origin", "")
        business = None
        if origin.lower() in get_settings().origins:
            business = await run_in_threadpool(
                _business_of, websocket.cookies.get(auth.SESSION_COOKIE)
            )
        if business is None:
            await websocket.close(code=POLICY_VIOLATION)
            return
        sending: set[asyncio.Task[None]] = set()

        def heard(call_id: int, line: dict[str, Any]) -> None:
            task = asyncio.get_running_loop().create_task(
                websocket.send_text(json.dumps({"event": "line", "line": line}))
            )
            sending.add(task)
            task.add_done_callback(_sent)

        def _sent(task: asyncio.Task[None]) -> None:
            sending.discard(task)
            if not task.cancelled():
                task.exception()  # the page went away: the call ends on its own

        await bridge().talk(websocket, business, heard)

    return talk
