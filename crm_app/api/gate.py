"""Credentials before the body: the API refuses an anonymous write before reading a byte.

FastAPI parses a multipart form before it resolves dependencies, so without
this an anonymous upload would be spooled to disk before its 401. The gate
resolves the request's bearer token or session cookie exactly as
:func:`crm_app.api.deps.resolve_request` does (the endpoints resolve it again
through their dependency) and answers 401, or 403 for a cookie write from a
foreign origin, while the body is still unread.
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from crm_app.api.deps import resolve_request
from crm_app.api.errors import error_response
from crm_app.api.limits import route_path
from crm_app.api.openapi import allowed_methods
from crm_app.services.errors import PermissionDenied

_BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_OPEN_PATHS = frozenset({"/health"})


class CredentialsFirst:
    """ASGI middleware in front of the API: no credentials, no body read."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Check the credentials of a request that carries a body, then pass it on."""
        if (
            scope["type"] == "http"
            and scope["method"] in _BODY_METHODS
            and route_path(scope) not in _OPEN_PATHS
            and scope["method"] in allowed_methods(scope["app"], scope)  # else the 405 says so
        ):
            try:
                principal = await run_in_threadpool(resolve_request, Request(scope))
            except PermissionDenied as exc:
                await _refuse(scope, receive, send, 403, exc.code, exc.message)
                return
            if principal is None:
                message = "sign in or send a valid API token"
                await _refuse(scope, receive, send, 401, "unauthenticated", message)
                return
        await self.app(scope, receive, send)


async def _refuse(
    scope: Scope, receive: Receive, send: Send, status: int, code: str, message: str
) -> None:
    headers = {"Connection": "close"}  # the unread body makes the connection unusable
    if status == 401:
        headers["WWW-Authenticate"] = "Bearer"
    await error_response(status, code, message, headers=headers)(scope, receive, send)
