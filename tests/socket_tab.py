"""A browser tab as the event socket sees it, driven from Python.

It speaks what Reflex's frontend speaks (Socket.IO on ``/_event``, the tab's
token and first event in the CONNECT packet, ``event`` messages both ways),
with whatever token, cookie and Origin a test chooses: the cases a browser
would never produce are the ones the tests are about.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import socketio

from crm_app.state.leads import LeadsState
from crm_app.state.session import SessionState

HYDRATE = "reflex___state____state.hydrate_and_load"
NAMESPACE = "/_event"


def handler_name(state: type[SessionState], handler: str) -> str:
    """The event name the frontend sends for ``state.handler``."""
    return f"{state.get_full_name()}.{handler}"


@dataclass
class Tab:
    """One tab: its token (kept across connections, like sessionStorage) and what came back."""

    base_url: str
    token: str = field(default_factory=lambda: str(uuid.uuid4()))
    received: list[dict[str, Any]] = field(default_factory=list)
    arrived: list[float] = field(default_factory=list)  # perf_counter() of each received
    _sio: socketio.AsyncClient | None = None

    def text(self) -> str:
        """Everything the server sent, as one string (for "nothing of A's came back" checks)."""
        return json.dumps(self.received, ensure_ascii=False)

    def redirects(self) -> list[str]:
        """The pages the server sent the tab to."""
        return [
            str(event["payload"].get("path", ""))
            for message in self.received
            for event in message.get("events", [])
            if event.get("name") == "_redirect"
        ]

    async def open(
        self,
        path: str,
        *,
        cookie: str = "",
        origin: str | None = None,
        token_in_auth: bool = True,
        query: str = "",
    ) -> None:
        """Connect as a page load does (the hydration rides in the CONNECT packet)."""
        self.received, self.arrived = [], []
        self._sio = socketio.AsyncClient(reconnection=False)

        @self._sio.on("event", namespace=NAMESPACE)  # type: ignore[untyped-decorator]
        async def on_event(data: dict[str, Any]) -> None:
            self.arrived.append(time.perf_counter())
            self.received.append(data)

        boot = {"name": HYDRATE, "payload": {}, "router_data": _router(path)}
        auth: dict[str, Any] = {"event": boot}
        if token_in_auth:
            auth["token"] = self.token
        headers = {"Origin": origin if origin is not None else self.base_url}
        if cookie:
            headers["Cookie"] = cookie
        await self._sio.connect(
            self.base_url + (f"?{query}" if query else ""),
            socketio_path=NAMESPACE,
            transports=["websocket"],
            namespaces=[NAMESPACE],
            headers=headers,
            auth=auth,
            wait_timeout=10,
        )

    async def send(self, event: str, path: str, **payload: Any) -> None:
        """Send one event, as a click does."""
        assert self._sio is not None
        message = {"name": event, "payload": payload, "router_data": _router(path)}
        await self._sio.emit("event", message, namespace=NAMESPACE)

    async def until(self, condition: Any, *, within: float = 20.0, what: str = "") -> None:
        """Wait until ``condition(self)`` holds (checked as messages arrive)."""
        async with asyncio.timeout(within):
            while not condition(self):
                await asyncio.sleep(0.02)

    async def hydrated(self, within: float = 20.0) -> None:
        """Until the page's on_load events have finished (the frontend's own signal)."""
        await self.until(lambda tab: '"is_hydrated_rx_state_": true' in tab.text(), within=within)

    async def close(self) -> None:
        """Disconnect (the tab's token stays, as a reload keeps it)."""
        if self._sio is not None:
            await self._sio.disconnect()
            self._sio = None


def _router(path: str) -> dict[str, Any]:
    return {"pathname": path.split("?")[0], "query": {}, "asPath": path}


LEADS_LOAD = handler_name(LeadsState, "load")
