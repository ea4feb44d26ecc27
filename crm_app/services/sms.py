"""Text messages through Twilio's Messaging API (``TWILIO_API_BASE_URL``).

``TWILIO_API_BASE_URL=file:///dir`` keeps texts in a local outbox instead, one
JSON file each (what ``make run`` does when no Twilio account is set), so a
business tried out on a laptop shows what its customers would receive.
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.rest import Client

from crm_app.settings import Settings, get_settings

# Twilio's codes for a text that will never go: not a number, not a mobile, opted out.
REFUSED_CODES = frozenset({21211, 21408, 21610, 21612, 21614})
LIST_SIZE = 50


class SmsError(Exception):
    """Twilio did not take the text; ``permanent`` when trying again cannot help."""

    def __init__(self, message: str, *, permanent: bool) -> None:
        super().__init__(message)
        self.permanent = permanent


@dataclass(frozen=True)
class SmsConfig:
    """Where texts go."""

    account_sid: str
    auth_token: str
    api_base_url: str

    @classmethod
    def from_settings(cls, settings: Settings | None = None) -> SmsConfig:
        """Build from ``crm_app.settings``."""
        s = settings or get_settings()
        return cls(
            account_sid=s.twilio_account_sid,
            auth_token=s.twilio_auth_token.get_secret_value(),
            api_base_url=s.twilio_api_base_url.rstrip("/"),
        )

    def outbox(self) -> Path | None:
        """The local outbox of a ``file:///dir`` base URL; None for Twilio."""
        parts = urlsplit(self.api_base_url)
        return Path(unquote(parts.path)) if parts.scheme == "file" and parts.path else None


@dataclass(frozen=True)
class Sent:
    """A text Twilio has."""

    sid: str
    to: str
    from_: str
    body: str


def _client(config: SmsConfig) -> Client:
    client = Client(config.account_sid, config.auth_token, environment={})
    client.api.base_url = config.api_base_url
    return client


def _drop(outbox: Path, to: str, from_: str, body: str) -> Sent:
    """Write the text into the outbox whole (a reader never sees half a file)."""
    outbox.mkdir(parents=True, exist_ok=True)
    sent = Sent("SM" + secrets.token_hex(16), to, from_, body)
    partial = outbox / f".{sent.sid}.part"
    kept = {"sid": sent.sid, "to": to, "from": from_, "body": body}
    partial.write_text(json.dumps(kept, ensure_ascii=False), encoding="utf-8")
    os.replace(partial, outbox / f"{sent.sid}.json")
    return sent


def send(config: SmsConfig, *, to: str, from_: str, body: str) -> Sent:
    """Send one text.

    Raises:
        SmsError: Twilio refused it (``permanent``) or could not be reached.
    """
    outbox = config.outbox()
    if outbox is not None:
        return _drop(outbox, to, from_, body)
    try:
        message = _client(config).messages.create(to=to, from_=from_, body=body)
    except TwilioRestException as exc:
        permanent = exc.status < 500 and exc.code in REFUSED_CODES
        raise SmsError(f"twilio {exc.status} {exc.code}", permanent=permanent) from exc
    except (TwilioException, OSError) as exc:
        raise SmsError(type(exc).__name__, permanent=False) from exc
    return Sent(str(message.sid), to, from_, body)


def find(config: SmsConfig, *, to: str, from_: str, body: str) -> Sent | None:
    """The text Twilio already has with exactly this body, if any (newest first).

    Raises:
        SmsError: Twilio could not be asked.
    """
    outbox = config.outbox()
    if outbox is not None:
        for path in sorted(outbox.glob("SM*.json")):
            kept = json.loads(path.read_text(encoding="utf-8"))
            if (kept["to"], kept["from"], kept["body"]) == (to, from_, body):
                return Sent(kept["sid"], to, from_, body)
        return None
    try:
        messages = _client(config).messages.list(to=to, from_=from_, limit=LIST_SIZE)
    except (TwilioException, OSError) as exc:
        raise SmsError(type(exc).__name__, permanent=False) from exc
    for message in messages:
        if message.body == body:
            return Sent(str(message.sid), to, from_, body)
    return None
