"""Per-business lead statuses and their defaults."""

from __future__ import annotations

from typing import NamedTuple

from sqlmodel import Session, col, select

from crm_app.models import LeadStatus


class DefaultStatus(NamedTuple):
    """A status every new business starts with."""

    key: str
    label_he: str
    label_en: str
    color: str
    is_closed: bool


DEFAULT_STATUSES: tuple[DefaultStatus, ...] = (
    DefaultStatus("new", "חדש", "New", "blue", False),
    DefaultStatus("attempting", "בניסיון קשר", "Attempting", "amber", False),
    DefaultStatus("contacted", "נוצר קשר", "Contacted", "cyan", False),
    DefaultStatus("qualified", "מתאים", "Qualified", "violet", False),
    DefaultStatus("won", "נסגר בהצלחה", "Won", "green", True),
    DefaultStatus("lost", "אבד", "Lost", "red", True),
    DefaultStatus("unqualified", "לא מתאים", "Unqualified", "gray", True),
)


def seed_default_statuses(session: Session, *, business_id: int) -> list[LeadStatus]:
    """Create the default pipeline for a new business; ``new`` is the default."""
    rows = [
        LeadStatus(
            business_id=business_id,
            key=d.key,
            label_he=d.label_he,
            label_en=d.label_en,
            color=d.color,
            is_closed=d.is_closed,
            is_default=d.key == "new",
            position=i,
        )
        for i, d in enumerate(DEFAULT_STATUSES)
    ]
    session.add_all(rows)
    session.flush()
    return rows


def list_statuses(session: Session, *, business_id: int) -> list[LeadStatus]:
    """A business's statuses in pipeline order."""
    query = (
        select(LeadStatus)
        .where(LeadStatus.business_id == business_id)
        .order_by(col(LeadStatus.position), col(LeadStatus.id))
    )
    return list(session.exec(query))


def default_status(session: Session, *, business_id: int) -> LeadStatus:
    """The status new leads get."""
    statuses = list_statuses(session, business_id=business_id)
    return next((s for s in statuses if s.is_default), statuses[0])


def status_label(status: LeadStatus, locale: str) -> str:
    """The label of ``status`` in ``locale`` (Hebrew unless English)."""
    return status.label_en if locale == "en" else status.label_he
