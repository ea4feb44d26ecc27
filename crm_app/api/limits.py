"""Refuse oversized request bodies before reading them (a clear 413, nothing stored)."""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Receive, Scope, Send

from crm_app.settings import get_settings

_MULTIPART_OVERHEAD = 1024 * 1024


class BodySizeLimit:
    """A 413 for uploads whose declared size exceeds what any note may carry."""

    def __init__(self, app: ASGIApp, prefixes: tuple[str, ...] = ("/api/", "/_upload")) -> None:
        self.app, self.prefixes = app, prefixes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer 413 at once when ``Content-Length`` is over the limit."""
        if scope["type"] == "http" and scope["path"].startswith(self.prefixes):
            settings = get_settings()
            limit = settings.max_upload_bytes * settings.max_files_per_note + _MULTIPART_OVERHEAD
            length = dict(scope["headers"]).get(b"content-length", b"0")
            if length.isdigit() and int(length) > limit:
                await _too_large(send, settings.max_upload_mb)
                return
        await self.app(scope, receive, send)


async def _too_large(send: Send, max_mb: int) -> None:
    body = json.dumps(
        {
            "error": {
                "code": "too_large",
                "message": f"the upload is larger than allowed ({max_mb} MB per file)",
            }
        }
    )
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [(b"content-type", b"application/json"), (b"connection", b"close")],
        }
    )
    await send({"type": "http.response.body", "body": body.encode()})
