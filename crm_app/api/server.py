"""The backend routes mounted beside Reflex on the one port.

Reflex mounts its own app inside this Starlette app, so these routes win over
Reflex's: that is how ``GET /_upload/...`` is closed (note files live in
private storage and are served only through the authenticated file route). Its
middleware therefore wraps every response, Reflex's pages and ``/_upload``
included: security headers outside, body limits inside them.
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Mount, Route, WebSocketRoute

from crm_app.api import browser_auth, feeds
from crm_app.api.app import create_api
from crm_app.api.headers import SecurityHeaders
from crm_app.api.limits import BodySizeLimit
from crm_app.api.talk import talk_endpoint
from voice_bridge.app import create_bridge  # the bridge never imports reflex


async def _no_public_uploads(_: Request) -> Response:
    return JSONResponse({"error": {"code": "not_found", "message": "not found"}}, status_code=404)


async def _not_found(request: Request, _: Exception) -> Response:
    """A path no route takes (a newline in it, say): under ``/api/`` the API's error body."""
    if request.url.path.startswith("/api/"):
        return await _no_public_uploads(request)
    return PlainTextResponse("Not Found", status_code=404)


def backend_routes(bridge: Starlette) -> list[BaseRoute]:
    """Every non-Reflex HTTP and WebSocket route of the server."""
    return [
        Route("/auth/login", browser_auth.login, methods=["POST"]),
        Route("/auth/logout", browser_auth.logout, methods=["POST"]),
        Route("/_upload/{path:path}", _no_public_uploads, methods=["GET", "HEAD"]),
        Mount("/api/v1", app=create_api()),
        Route("/feeds/{secret}.ics", feeds.calendar_feed, methods=["GET", "HEAD"]),
        Mount("/twilio", app=bridge),
        WebSocketRoute("/talk", talk_endpoint(bridge.state.bridge)),
    ]


def create_backend(bridge: Starlette | None = None) -> Starlette:
    """The Starlette app Reflex mounts itself into (``api_transformer``).

    ``app.state.bridge`` is the voice bridge, whose shutdown drain the server runs.
    """
    bridge = bridge or create_bridge()
    middleware = [Middleware(SecurityHeaders), Middleware(BodySizeLimit)]
    backend = Starlette(
        routes=backend_routes(bridge), middleware=middleware, exception_handlers={404: _not_found}
    )
    backend.state.bridge = bridge.state.bridge
    return backend
