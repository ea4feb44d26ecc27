"""Appointments as iCalendar (RFC 5545): one event's ``.ics`` file, and a calendar's feed."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from sqlmodel import Session, col, select

from crm_app.models import Appointment, AppointmentStatus, Calendar, Lead, utcnow

FEED_PAST = timedelta(days=30)
FEED_AHEAD = timedelta(days=366)
FEED_LIMIT = 5000
_STATUS = {
    AppointmentStatus.SCHEDULED.value: "TENTATIVE",
    AppointmentStatus.CONFIRMED.value: "CONFIRMED",
    AppointmentStatus.DONE.value: "CONFIRMED",
    AppointmentStatus.CANCELLED.value: "CANCELLED",
}


def escape(text: str) -> str:
    """A TEXT value: backslash, semicolon, comma and newlines escaped."""
    return (
        text.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
        .replace("\r", "\\n")
    )


def fold(line: str) -> str:
    """Fold a content line at 75 octets, never inside a UTF-8 character."""
    out: list[str] = []
    current = ""
    for char in line:
        limit = 75 if not out else 74  # a continuation line starts with a space
        if len((current + char).encode()) > limit:
            out.append(current)
            current = ""
        current += char
    out.append(current)
    return "\r\n ".join(out)


def _utc(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def event(appointment: Appointment, lead_name: str, host: str, now: datetime) -> list[str]:
    """The VEVENT lines of one appointment."""
    summary = " · ".join(part for part in (appointment.title, lead_name) if part)
    return [
        "BEGIN:VEVENT",
        f"UID:appointment-{appointment.id}@{host}",
        f"DTSTAMP:{_utc(now)}",
        f"DTSTART:{_utc(appointment.starts_at)}",
        f"DTEND:{_utc(appointment.ends_at)}",
        f"LAST-MODIFIED:{_utc(appointment.updated_at)}",
        f"SUMMARY:{escape(summary or 'Appointment')}",
        f"STATUS:{_STATUS.get(appointment.status, 'TENTATIVE')}",
        "END:VEVENT",
    ]


def document(name: str, events: Iterable[list[str]]) -> str:
    """A whole VCALENDAR with ``events``, CRLF line ends and folded lines."""
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//crm_app//appointments//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{escape(name)}",
    ]
    for lines_of_event in events:
        lines.extend(lines_of_event)
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + "\r\n" for line in lines)


def feed(session: Session, *, calendar: Calendar, host: str, now: datetime | None = None) -> str:
    """The calendar's appointments from a month ago to a year ahead (cancelled ones marked)."""
    now = now or utcnow()
    name = Lead.name
    rows = session.exec(
        select(Appointment, name)
        .outerjoin(Lead, col(Lead.id) == col(Appointment.lead_id))
        .where(
            col(Appointment.calendar_id) == calendar.id,
            col(Appointment.starts_at) >= now - FEED_PAST,
            col(Appointment.starts_at) < now + FEED_AHEAD,
        )
        .order_by(col(Appointment.starts_at))
        .limit(FEED_LIMIT)
    )
    return document(calendar.name, (event(a, n or "", host, now) for a, n in rows))
