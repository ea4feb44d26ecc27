"""Alerts in words (the bell and the e-mail say the same), and the e-mail sender's outbox.

:func:`send_pending` claims the alerts waiting for an e-mail, sends each
outside any transaction, and records how it went; a failed send stays
pending for the next run (at most :data:`MAX_ATTEMPTS`), so a mail server
that is down for a while loses nothing. The worker runs it after every call's
alerts and once a minute.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from email.message import EmailMessage

import sqlalchemy as sa
from sqlmodel import col, select

from crm_app.db import unit_of_work
from crm_app.i18n import translate
from crm_app.models import Notification, User, utcnow
from crm_app.services import mail
from crm_app.settings import get_settings

logger = logging.getLogger(__name__)
MAX_ATTEMPTS = 5
STALE_CLAIM = timedelta(minutes=10)  # a claim older than this was a worker that died


@dataclass(frozen=True)
class AlertWords:
    """An alert as a person reads it, and where it leads."""

    title: str
    href: str


def words(notification: Notification, locale: str) -> AlertWords:
    """The alert's sentence in ``locale`` and the page it opens."""
    data = notification.data
    name = str(data.get("name") or data.get("title") or "")
    kind = notification.kind
    if kind == "assigned" and data.get("task_id"):
        kind = "assigned_task"
    elif kind == "assigned" and data.get("count"):
        kind, name = "assigned_leads", str(data["count"])
    href = f"/leads/{data['lead_id']}" if data.get("lead_id") else "/tasks"
    if kind == "missed_call" and data.get("call_id"):
        href = f"/calls/{data['call_id']}"
    return AlertWords(translate(f"alerts.{kind}", locale, name=name), href)


def _message(notification: Notification, user: User, sender: str) -> EmailMessage:
    said = words(notification, user.locale)
    base = get_settings().public_base_url.rstrip("/")
    message = EmailMessage()
    message["From"] = sender
    message["To"] = user.email
    message["Subject"] = said.title
    body = translate("alerts.mail_body", user.locale, title=said.title, url=base + said.href)
    message.set_content(body)
    return message


def _claim(limit: int) -> list[int]:
    """Mark up to ``limit`` pending alerts as being sent (no other worker takes them)."""
    now = utcnow()
    with unit_of_work() as session:
        waiting = (
            col(Notification.email_state) == "pending",
            (col(Notification.email_state) == "sending")
            & (col(Notification.created_at) < now - STALE_CLAIM),
        )
        rows = session.exec(
            select(Notification)
            .where(sa.or_(*waiting), col(Notification.email_attempts) < MAX_ATTEMPTS)
            .order_by(col(Notification.created_at))
            .limit(limit)
            .with_for_update(skip_locked=True)
        ).all()
        for row in rows:
            row.email_state, row.email_attempts = "sending", row.email_attempts + 1
            session.add(row)
        return [row.id for row in rows if row.id is not None]


def _send_one(notification_id: int) -> str:
    with unit_of_work(read_only=True) as session:
        row = session.get(Notification, notification_id)
        user = session.get(User, row.user_id) if row else None
    if row is None or user is None or not user.is_active:
        return "skipped"
    outcome = mail.send(lambda sender: _message(row, user, sender), what=f"alert.{row.kind}")
    if outcome == "failed":
        return "failed" if row.email_attempts >= MAX_ATTEMPTS else "pending"
    return "sent" if outcome == "sent" else "skipped"


def send_pending(limit: int = 50) -> int:
    """Send the alerts waiting for an e-mail; returns how many were sent."""
    sent = 0
    for notification_id in _claim(limit):
        state = _send_one(notification_id)
        with unit_of_work() as session:
            row = session.get(Notification, notification_id)
            if row is not None:
                row.email_state = state
                session.add(row)
        sent += state == "sent"
    return sent
