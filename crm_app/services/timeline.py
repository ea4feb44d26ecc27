"""A lead's activity: status changes, notes, calls, appointments and texts, newest first."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from crm_app.models import (
    Appointment,
    Call,
    LeadStatus,
    LeadStatusChange,
    Note,
    TextMessage,
    User,
)
from crm_app.services.auth import Principal
from crm_app.services.leads import get_lead

PER_KIND = 100


@dataclass(frozen=True)
class TimelineItem:
    """One event on the lead's timeline."""

    kind: str  # status | note | call | appointment | text | created
    at: datetime
    actor: str = ""
    entity_id: int | None = None
    data: dict[str, Any] = field(default_factory=dict)


def _names(session: Session, user_ids: set[int | None]) -> dict[int, str]:
    ids = {i for i in user_ids if i is not None}
    if not ids:
        return {}
    return {u.id: u.name for u in session.exec(select(User).where(col(User.id).in_(ids))) if u.id}


def _status_items(session: Session, lead_id: int) -> list[TimelineItem]:
    changes = list(
        session.exec(
            select(LeadStatusChange)
            .where(col(LeadStatusChange.lead_id) == lead_id)
            .order_by(col(LeadStatusChange.created_at).desc())
            .limit(PER_KIND)
        )
    )
    status_ids = {c.to_status_id for c in changes} | {c.from_status_id for c in changes}
    statuses = {
        s.id: s
        for s in session.exec(
            select(LeadStatus).where(col(LeadStatus.id).in_([i for i in status_ids if i]))
        )
    }
    names = _names(session, {c.changed_by_id for c in changes})
    items = []
    for change in changes:
        to, frm = statuses.get(change.to_status_id), statuses.get(change.from_status_id or -1)
        items.append(
            TimelineItem(
                kind="status",
                at=change.created_at,
                entity_id=change.id,
                actor=names.get(change.changed_by_id or -1, ""),
                data={
                    "to_he": to.label_he if to else "",
                    "to_en": to.label_en if to else "",
                    "from_he": frm.label_he if frm else "",
                    "from_en": frm.label_en if frm else "",
                    "reason": change.reason,
                    "ai": change.is_ai,
                    "confidence": change.confidence,
                },
            )
        )
    return items


def _note_items(session: Session, lead_id: int) -> list[TimelineItem]:
    notes = list(
        session.exec(
            select(Note)
            .where(col(Note.lead_id) == lead_id)
            .order_by(col(Note.created_at).desc())
            .limit(PER_KIND)
        )
    )
    names = _names(session, {n.author_id for n in notes})
    return [
        TimelineItem(
            kind="note",
            at=n.created_at,
            entity_id=n.id,
            actor=names.get(n.author_id or -1, ""),
            data={"text": n.text, "attachments": list(n.attachments), "note_kind": n.kind},
        )
        for n in notes
    ]


def _call_items(session: Session, lead_id: int) -> list[TimelineItem]:
    calls = session.exec(
        select(Call)
        .where(col(Call.lead_id) == lead_id)
        .order_by(col(Call.created_at).desc())
        .limit(PER_KIND)
    )
    return [
        TimelineItem(
            kind="call",
            at=c.started_at or c.created_at,
            entity_id=c.id,
            data={
                "direction": c.direction,
                "status": c.status,
                "duration": c.duration_sec or 0,
                "summary": c.summary,
            },
        )
        for c in calls
    ]


def _appointment_items(session: Session, lead_id: int) -> list[TimelineItem]:
    appointments = session.exec(
        select(Appointment)
        .where(col(Appointment.lead_id) == lead_id)
        .order_by(col(Appointment.created_at).desc())
        .limit(PER_KIND)
    )
    return [
        TimelineItem(
            kind="appointment",
            at=a.created_at,
            entity_id=a.id,
            data={"starts_at": a.starts_at, "title": a.title, "status": a.status},
        )
        for a in appointments
    ]


def _text_items(session: Session, lead_id: int) -> list[TimelineItem]:
    sent = session.exec(
        select(TextMessage)
        .where(col(TextMessage.lead_id) == lead_id)
        .order_by(col(TextMessage.created_at).desc())
        .limit(PER_KIND)
    )
    return [
        TimelineItem(
            kind="text",
            at=t.sent_at or t.created_at,
            entity_id=t.id,
            data={"direction": t.direction, "text_kind": t.kind, "body": t.body, "state": t.state},
        )
        for t in sent
        if t.state != "skipped"
    ]


def lead_timeline(session: Session, *, principal: Principal, lead_id: int) -> list[TimelineItem]:
    """Every kind of event on the lead, merged newest first (``NotFound`` for others' leads)."""
    lead = get_lead(session, principal=principal, lead_id=lead_id)
    assert lead.id is not None
    items = [
        *_status_items(session, lead.id),
        *_note_items(session, lead.id),
        *_call_items(session, lead.id),
        *_appointment_items(session, lead.id),
        *_text_items(session, lead.id),
    ]
    created = TimelineItem(kind="created", at=lead.created_at, data={"source": lead.source})
    return sorted([*items, created], key=lambda item: item.at, reverse=True)
