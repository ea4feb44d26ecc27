"""Security headers on every HTTP response of the server, Reflex's pages included.

No page may be framed (``frame-ancestors 'none'``, and ``X-Frame-Options`` for
older browsers); responses are never MIME-sniffed, and the Referer carries our
URLs only to our own origin. A response that sets its own
``X-Content-Type-Options`` or ``Referrer-Policy`` keeps it; one with its own
``Content-Security-Policy`` (file downloads) gets ``frame-ancestors`` added.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

_FRAME_ANCESTORS = "frame-ancestors 'none'"
_DEFAULTS = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin"}


def add_security_headers(headers: MutableHeaders) -> None:
    """Add the frame, sniffing and referrer headers to a response's headers."""
    headers["X-Frame-Options"] = "DENY"
    policy = headers.get("Content-Security-Policy")
    if policy is None:
        headers["Content-Security-Policy"] = _FRAME_ANCESTORS
    elif "frame-ancestors" not in policy:
        headers["Content-Security-Policy"] = f"{policy.rstrip('; ')}; {_FRAME_ANCESTORS}"
    for name, value in _DEFAULTS.items():
        headers.setdefault(name, value)


class SecurityHeaders:
    """ASGI middleware: :func:`add_security_headers` on each HTTP response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on, adding the headers when the response starts."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = list(message.get("headers", []))
                add_security_headers(MutableHeaders(scope=message))
            await send(message)

        await self.app(scope, receive, send_with_headers)
