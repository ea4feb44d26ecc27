"""The event socket as the CRM needs it: no token in the URL, no cookie in the state.

Reflex's frontend names its tab (the client token) in the socket's URL, where
proxies log it; ours sends it in the Socket.IO CONNECT packet instead (see
:mod:`crm_app.frontend`), and a connection without one is refused. The
handshake's ``Cookie`` header is turned into the session's key here and then
dropped, so the state (in memory or in Redis) never holds the cookie's secret,
and :mod:`crm_app.state.guard` checks the key on every event.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlencode

from reflex.app import App, EventNamespace
from reflex_base import constants
from socketio.exceptions import ConnectionRefusedError as Refused

from crm_app.state.guard import session_key_of
from crm_app.state.session import SESSION_KEY

_TOKEN = re.compile(r"^[A-Za-z0-9-]{8,64}$")  # Reflex's tokens are UUIDs


class SignedInNamespace(EventNamespace):
    """Reflex's event namespace, with the token from the CONNECT packet and no cookies kept."""

    async def on_connect(self, sid: str, environ: dict[str, Any], auth: Any = None) -> None:
        """Link the tab named in the CONNECT packet; refuse a connection that names none."""
        token = auth.get("token") if isinstance(auth, dict) else None
        if not isinstance(token, str) or not _TOKEN.match(token):
            raise Refused("no client token")
        # Reflex reads the token from the query string: hand it over there, never from the URL.
        await super().on_connect(
            sid, {**environ, "QUERY_STRING": urlencode({"token": token})}, auth
        )

    def _build_static_router_data(self, sid: str, environ: dict[str, Any]) -> dict[str, Any]:
        data = super()._build_static_router_data(sid, environ)
        headers = data[constants.RouteVar.HEADERS]
        data[SESSION_KEY] = session_key_of(headers.pop("cookie", ""))
        return data


def install(app: App) -> None:
    """Serve the app's event socket with :class:`SignedInNamespace`."""
    current = app.event_namespace
    if app.sio is None or current is None or isinstance(current, SignedInNamespace):
        return
    namespace = SignedInNamespace(current.namespace, app)
    app.sio.register_namespace(namespace)
    app._event_namespace = namespace
