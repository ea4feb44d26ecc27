"""Who may talk to the bridge: Twilio's signature, and a short-lived call token.

Signatures are checked against the configured ``PUBLIC_BASE_URL`` (never the
Host header). The stream token is an HMAC over CallSid, business and expiry,
so the media socket learns its tenant from something only we could sign.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from twilio.request_validator import RequestValidator

TOKEN_TTL_SECONDS = 60


def public_url(base_url: str, path: str, *, websocket: bool = False) -> str:
    """The URL Twilio uses for ``path``: https, or wss for the media stream."""
    parts = urlsplit(base_url)
    scheme = parts.scheme
    if websocket:
        scheme = "wss" if parts.scheme == "https" else "ws"
    return f"{scheme}://{parts.netloc}{path}"


def valid_signature(
    auth_token: str, url: str, params: Mapping[str, str], signature: str | None
) -> bool:
    """Twilio's X-Twilio-Signature over ``url`` and the POST parameters."""
    if not auth_token or not signature:
        return False
    return bool(RequestValidator(auth_token).validate(url, dict(params), signature))


def sign_request(auth_token: str, url: str, params: Mapping[str, str]) -> str:
    """The signature Twilio would send (used by the fakes and tests)."""
    return str(RequestValidator(auth_token).compute_signature(url, dict(params)))


@dataclass(frozen=True)
class CallToken:
    """What a valid stream token says."""

    call_sid: str
    business_id: int
    expires_at: int


def _mac(secret: bytes, message: str) -> str:
    digest = hmac.new(secret, message.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def make_call_token(
    secret: bytes, call_sid: str, business_id: int, now: float | None = None
) -> str:
    """``business.expiry.mac`` for the ``<Parameter name="token">`` of the stream."""
    expires = int((now or time.time()) + TOKEN_TTL_SECONDS)
    return f"{business_id}.{expires}.{_mac(secret, f'{call_sid}|{business_id}|{expires}')}"


def verify_call_token(
    secret: bytes, token: str, call_sid: str, now: float | None = None
) -> CallToken | None:
    """The token's claims if it is ours, unexpired and for this CallSid; else None."""
    try:
        business, expires, mac = token.split(".", 2)
        business_id, expires_at = int(business), int(expires)
    except (AttributeError, ValueError):
        return None
    expected = _mac(secret, f"{call_sid}|{business_id}|{expires_at}")
    if not hmac.compare_digest(expected, mac) or expires_at < (now or time.time()):
        return None
    return CallToken(call_sid, business_id, expires_at)
