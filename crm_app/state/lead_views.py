"""Turn a lead's records into the typed rows the lead page renders (pure functions)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from crm_app.i18n import translate
from crm_app.i18n.formats import local_datetime
from crm_app.models import Appointment
from crm_app.services.timeline import TimelineItem
from crm_app.state.file_chips import FileChip, file_view
from crm_app.state.text_runs import TextRun, text_runs


@dataclass(frozen=True)
class TimelineRow:
    """One entry of the lead's activity: icon, title, detail (and its runs), files, who, when."""

    kind: str
    icon: str
    title: str
    detail: str
    actor: str
    when: str
    runs: list[TextRun] = field(default_factory=list)
    files: list[FileChip] = field(default_factory=list)


@dataclass(frozen=True)
class AppointmentRow:
    """An appointment on the lead's Appointments tab."""

    id: int
    when: str
    title: str
    status: str


def duration_text(seconds: int | None) -> str:
    """``3:05`` for 185 seconds."""
    seconds = seconds or 0
    return f"{seconds // 60}:{seconds % 60:02d}"


def _status_text(item: TimelineItem, locale: str) -> str:
    data = item.data
    to = data["to_en"] if locale == "en" else data["to_he"]
    frm = data["from_en"] if locale == "en" else data["from_he"]
    text = translate("timeline.status", locale, frm=frm or "—", to=to)
    if data.get("ai"):
        text += " · " + translate("timeline.by_ai", locale)
    return text


def timeline_row(item: TimelineItem, locale: str, timezone: str) -> TimelineRow:
    """One timeline entry: icon, title, detail, who and when."""
    data: dict[str, Any] = item.data
    title, detail, icon = "", "", "circle"
    if item.kind == "status":
        title, detail, icon = _status_text(item, locale), data.get("reason", ""), "flag"
    elif item.kind == "note":
        kind = data.get("note_kind", "manual")
        title = translate(
            "timeline.call_summary" if kind == "call_summary" else "timeline.note", locale
        )
        detail, icon = data.get("text", ""), "sticky-note"
    elif item.kind == "call":
        title = translate(
            f"timeline.call.{data['direction']}",
            locale,
            duration=duration_text(data.get("duration")),
        )
        detail, icon = data.get("summary", ""), "phone"
    elif item.kind == "appointment":
        title = translate(
            "timeline.appointment", locale, when=local_datetime(data["starts_at"], timezone)
        )
        detail, icon = data.get("title", ""), "calendar"
    elif item.kind == "text":
        title = translate(f"timeline.text.{data['direction']}.{data['text_kind']}", locale)
        if data["state"] == "failed":
            title += " · " + translate("timeline.text.failed", locale)
        detail, icon = data.get("body", ""), "message-square"
    elif item.kind == "created":
        title = translate(
            "timeline.created", locale, source=translate(f"source.{data['source']}", locale)
        )
        icon = "user-plus"
    return TimelineRow(
        kind=item.kind,
        icon=icon,
        title=title,
        detail=detail,
        actor=item.actor,
        when=local_datetime(item.at, timezone),
        runs=text_runs(detail),
        files=[file_view(a) for a in data.get("attachments", [])],
    )


def appointment_row(appointment: Appointment, locale: str, timezone: str) -> AppointmentRow:
    """An appointment on the lead's Appointments tab."""
    return AppointmentRow(
        id=appointment.id or 0,
        when=local_datetime(appointment.starts_at, timezone),
        title=appointment.title,
        status=translate(f"appointments.status.{appointment.status}", locale),
    )
