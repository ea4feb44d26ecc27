"""Request bodies are limited while they stream, chunked or not (a clear 413, nothing stored).

Each route has a limit (:func:`body_rule`). A ``Content-Length`` over it is
refused before a byte is read; otherwise the bytes are counted as the app
reads them, and the read that passes the limit fails: the app's own answer to
that failure is dropped and the client gets the 413 instead (or, if the app had
already started its response, the connection is ended). The sign-in routes and
Twilio's webhooks take only urlencoded forms, which are parsed in memory, so
nothing is ever spooled to disk for an anonymous client there.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from crm_app.api.errors import error_response
from crm_app.settings import Settings, get_settings

logger = logging.getLogger("crm_app.api")

KIB = 1024
MIB = 1024 * KIB
MULTIPART_OVERHEAD = MIB
_UPLOAD_ROUTES = re.compile(r"^(/api/v1/leads/[^/]+/notes|/api/v1/notes/.*|/_upload(/.*)?)$")
_FORM = "application/x-www-form-urlencoded"


@dataclass(frozen=True)
class BodyRule:
    """How large a route's body may be, and whether it must be an urlencoded form."""

    limit: int
    form_only: bool = False
    what: str = "1 MB"  # the limit, in the words of the 413's message


def body_rule(path: str, settings: Settings) -> BodyRule:
    """The body rule of the route at ``path`` (1 MiB unless it is named here)."""
    if _UPLOAD_ROUTES.match(path):
        files = settings.max_upload_bytes * settings.max_files_per_note
        return BodyRule(files + MULTIPART_OVERHEAD, what=f"{settings.max_upload_mb} MB per file")
    if path.startswith("/auth/"):
        return BodyRule(16 * KIB, form_only=True, what="16 KB")
    if path.startswith("/twilio/"):
        return BodyRule(64 * KIB, form_only=True, what="64 KB")
    return BodyRule(MIB)


def route_path(scope: Scope) -> str:
    """The request's path below the app's ``root_path``."""
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    return path[len(root) :] if root and path.startswith(root) else path


class BodyTooLarge(Exception):
    """The request body passed its route's limit while it was being read."""


class BodySizeLimit:
    """ASGI middleware: each route's :class:`BodyRule`, enforced while the body streams."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Refuse what the headers already show; count the rest as it is read."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = route_path(scope)
        rule = body_rule(path, get_settings())
        headers = Headers(scope=scope)
        if rule.form_only and not _is_form_or_none(headers.get("content-type")):
            await _refuse(scope, receive, send, 415, "unsupported_media_type", f"send {_FORM}")
            return
        length = headers.get("content-length", "")
        if length.isdigit() and int(length) > rule.limit:
            await _too_large(scope, receive, send, path, rule)
            return
        guard = _Guard(receive, send, rule.limit)
        try:
            await self.app(scope, guard.receive, guard.send)
        except Exception:
            if not guard.tripped:  # else: the app's failure to read past the limit
                raise
        if guard.tripped:
            if guard.started:  # too late for a 413: end the connection
                logger.warning("body_refused path=%s reason=too_large_mid_response", path)
                raise BodyTooLarge(path)
            await _too_large(scope, receive, send, path, rule)


class _Guard:
    """Counts the body as the app reads it; after the limit, reads fail and answers are held."""

    def __init__(self, receive: Receive, send: Send, limit: int) -> None:
        self._receive, self._send, self.limit = receive, send, limit
        self.read = 0
        self.tripped = False
        self.started = False

    async def receive(self) -> Message:
        if self.tripped:
            raise BodyTooLarge
        message = await self._receive()
        if message["type"] == "http.request":
            self.read += len(message.get("body", b""))
            if self.read > self.limit:
                self.tripped = True
                raise BodyTooLarge
        return message

    async def send(self, message: Message) -> None:
        if self.tripped:
            if self.started:
                raise BodyTooLarge
            return  # the app's answer to the failed read; the 413 replaces it
        if message["type"] == "http.response.start":
            self.started = True
        await self._send(message)


def _is_form_or_none(content_type: str | None) -> bool:
    return content_type is None or content_type.split(";")[0].strip().lower() == _FORM


async def _too_large(scope: Scope, receive: Receive, send: Send, path: str, rule: BodyRule) -> None:
    logger.warning("body_refused path=%s reason=too_large limit=%d", path, rule.limit)
    message = f"the request body is larger than allowed ({rule.what})"
    await _refuse(scope, receive, send, 413, "too_large", message)


async def _refuse(
    scope: Scope, receive: Receive, send: Send, status: int, code: str, message: str
) -> None:
    response = error_response(status, code, message, headers={"Connection": "close"})
    await response(scope, receive, send)
