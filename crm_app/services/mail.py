"""E-mail: invitations, password links and alerts, through the SMTP server ``SMTP_URL`` names.

Sending is synchronous with a short timeout (``SMTP_TIMEOUT_SECONDS``): the
admin who made the link is told at once whether it went out, and is shown the
link either way. Nothing is sent when ``SMTP_URL`` is empty. ``file:///dir``
is a local mailbox instead: each message is written to ``dir`` as an ``.eml``
file a mail program opens (what ``make run`` uses when no server is set).
"""

from __future__ import annotations

import logging
import os
import smtplib
import ssl
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Literal
from urllib.parse import unquote, urlsplit

from crm_app.i18n import translate
from crm_app.i18n.formats import local_datetime
from crm_app.settings import Settings, get_settings

logger = logging.getLogger("crm_app.mail")
Outcome = Literal["sent", "failed", "off"]


@dataclass(frozen=True)
class SmtpServer:
    """Where and how to send, as ``SMTP_URL`` says."""

    host: str
    port: int
    tls: bool  # TLS from the start (smtps); otherwise STARTTLS when the server offers it
    username: str
    password: str


def parse_smtp_url(url: str) -> SmtpServer | None:
    """``smtp://user:pass@host:587`` or ``smtps://host``; None when empty or not SMTP."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        return None
    tls = parts.scheme == "smtps"
    return SmtpServer(
        host=parts.hostname,
        port=parts.port or (465 if tls else 25),
        tls=tls,
        username=unquote(parts.username or ""),
        password=unquote(parts.password or ""),
    )


@dataclass(frozen=True)
class LinkMail:
    """A one-time password link to e-mail to the user it belongs to."""

    to: str
    name: str
    url: str
    purpose: str  # invite | reset
    business: str
    expires_at: datetime
    locale: str
    timezone: str


def link_message(mail: LinkMail, sender: str) -> EmailMessage:
    """The e-mail, in the user's language, with the link and when it expires."""
    params = {
        "name": mail.name or mail.to,
        "business": mail.business,
        "url": mail.url,
        "expires": local_datetime(mail.expires_at, mail.timezone),
    }
    message = EmailMessage()
    message["From"] = sender
    message["To"] = mail.to
    message["Subject"] = translate(f"mail.{mail.purpose}.subject", mail.locale, **params)
    message.set_content(translate(f"mail.{mail.purpose}.body", mail.locale, **params))
    return message


def _sender(settings: Settings) -> str:
    host = urlsplit(settings.public_base_url).hostname or "localhost"
    return settings.smtp_from or f"crm@{host}"


def mailbox_dir(url: str) -> Path | None:
    """The directory of a ``file:///dir`` mailbox; None for anything else."""
    parts = urlsplit(url.strip())
    if parts.scheme != "file" or not parts.path:
        return None
    return Path(unquote(parts.path))


def _drop(directory: Path, message: EmailMessage) -> Path:
    """Write ``message`` into the mailbox whole (a reader never sees half a file)."""
    directory.mkdir(parents=True, exist_ok=True)
    name = f"{datetime.now().strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:8]}.eml"
    partial = directory / f".{name}.part"
    partial.write_bytes(message.as_bytes())
    os.replace(partial, directory / name)
    return directory / name


def _deliver(server: SmtpServer, message: EmailMessage, timeout: float) -> None:
    context = ssl.create_default_context()
    client: smtplib.SMTP
    if server.tls:
        client = smtplib.SMTP_SSL(server.host, server.port, timeout=timeout, context=context)
    else:
        client = smtplib.SMTP(server.host, server.port, timeout=timeout)
    with client:
        client.ehlo()
        if not server.tls and client.has_extn("starttls"):
            client.starttls(context=context)
            client.ehlo()
        if server.username:
            client.login(server.username, server.password)
        client.send_message(message)


def send_link(mail: LinkMail) -> Outcome:
    """E-mail a password link: ``sent``, ``failed`` (logged, never raised) or ``off``."""
    return send(lambda sender: link_message(mail, sender), what=mail.purpose)


def send(build: Callable[[str], EmailMessage], *, what: str) -> Outcome:
    """Build a message for the configured sender and send it: ``sent``, ``failed`` or ``off``.

    ``what`` names the kind of mail in the log line (never the address or the text).
    """
    settings = get_settings()
    url = settings.smtp_url.get_secret_value()
    if (directory := mailbox_dir(url)) is not None:
        try:
            _drop(directory, build(_sender(settings)))
        except OSError as exc:
            logger.warning("mail not written purpose=%s error=%s", what, type(exc).__name__)
            return "failed"
        logger.info("mail written to the local mailbox purpose=%s dir=%s", what, directory)
        return "sent"
    server = parse_smtp_url(url)
    if server is None:
        return "off"
    message = build(_sender(settings))
    try:
        _deliver(server, message, settings.smtp_timeout_seconds)
    except (OSError, smtplib.SMTPException) as exc:
        logger.warning(
            "mail not sent purpose=%s host=%s error=%s", what, server.host, type(exc).__name__
        )
        return "failed"
    logger.info("mail sent purpose=%s host=%s", what, server.host)
    return "sent"
