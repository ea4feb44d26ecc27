"""Per-business lead statuses and their defaults."""

from __future__ import annotations

import re
from typing import NamedTuple

from sqlmodel import Session, col, select

from crm_app.models import Lead, LeadStatus, LeadStatusChange
from crm_app.services.errors import Conflict, InvalidInput


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


COLORS = (
    "gray",
    "blue",
    "cyan",
    "teal",
    "green",
    "amber",
    "orange",
    "red",
    "crimson",
    "pink",
    "purple",
    "violet",
    "indigo",
    "brown",
)


def get_status(session: Session, *, business_id: int, status_id: int) -> LeadStatus:
    """A status of this business.

    Raises:
        InvalidInput: when the id is unknown or another business's.
    """
    status = session.get(LeadStatus, status_id)
    if status is None or status.business_id != business_id:
        raise InvalidInput("no such status", field="status", key="errors.status_unknown")
    return status


def status_by_key(session: Session, *, business_id: int, key: str) -> LeadStatus:
    """A status of this business by its key (``new``, ``lost`` ...)."""
    query = select(LeadStatus).where(
        col(LeadStatus.business_id) == business_id, col(LeadStatus.key) == key
    )
    status = session.exec(query).first()
    if status is None:
        raise InvalidInput(f"no status {key!r}", field="status", key="errors.status_unknown")
    return status


def _validated(label_he: str, label_en: str, color: str) -> tuple[str, str, str]:
    label_he, label_en = label_he.strip(), label_en.strip()
    if not label_he or not label_en:
        raise InvalidInput(
            "a status needs a Hebrew and an English label",
            field="label",
            key="errors.status_labels",
        )
    if len(label_he) > 80 or len(label_en) > 80:
        raise InvalidInput("labels are 80 characters at most", field="label")
    if color not in COLORS:
        raise InvalidInput(f"color must be one of {', '.join(COLORS)}", field="color")
    return label_he, label_en, color


def _key_for(session: Session, business_id: int, label_en: str) -> str:
    base = re.sub(r"[^a-z0-9]+", "_", label_en.lower()).strip("_")[:30] or "status"
    taken = {s.key for s in list_statuses(session, business_id=business_id)}
    key, n = base, 2
    while key in taken:
        key, n = f"{base}_{n}", n + 1
    return key


def add_status(
    session: Session,
    *,
    business_id: int,
    label_he: str,
    label_en: str,
    color: str = "gray",
    is_closed: bool = False,
) -> LeadStatus:
    """Add a status at the end of the pipeline."""
    label_he, label_en, color = _validated(label_he, label_en, color)
    position = len(list_statuses(session, business_id=business_id))
    status = LeadStatus(
        business_id=business_id,
        key=_key_for(session, business_id, label_en),
        label_he=label_he,
        label_en=label_en,
        color=color,
        is_closed=is_closed,
        position=position,
    )
    session.add(status)
    session.flush()
    return status


def update_status(
    session: Session,
    *,
    business_id: int,
    status_id: int,
    label_he: str,
    label_en: str,
    color: str,
    is_closed: bool,
) -> LeadStatus:
    """Rename, recolour or open/close a status (its key stays: filters and the API use it)."""
    status = get_status(session, business_id=business_id, status_id=status_id)
    status.label_he, status.label_en, status.color = _validated(label_he, label_en, color)
    if is_closed and status.is_default:
        raise InvalidInput("the status new leads get cannot be closed", field="is_closed")
    status.is_closed = is_closed
    session.add(status)
    return status


def move_status(session: Session, *, business_id: int, status_id: int, offset: int) -> None:
    """Move a status up (-1) or down (+1) in the pipeline."""
    statuses = list_statuses(session, business_id=business_id)
    index = next((i for i, s in enumerate(statuses) if s.id == status_id), None)
    if index is None:
        raise InvalidInput("no such status", field="status", key="errors.status_unknown")
    target = max(0, min(len(statuses) - 1, index + offset))
    statuses.insert(target, statuses.pop(index))
    for position, status in enumerate(statuses):
        status.position = position
        session.add(status)


def delete_status(session: Session, *, business_id: int, status_id: int) -> None:
    """Delete a status no lead uses (the default status cannot be deleted)."""
    status = get_status(session, business_id=business_id, status_id=status_id)
    if status.is_default:
        raise InvalidInput("the status new leads get cannot be deleted", field="status")
    in_use = session.exec(select(Lead.id).where(col(Lead.status_id) == status_id).limit(1)).first()
    used_in_history = session.exec(
        select(LeadStatusChange.id)
        .where(
            (col(LeadStatusChange.to_status_id) == status_id)
            | (col(LeadStatusChange.from_status_id) == status_id)
        )
        .limit(1)
    ).first()
    if in_use is not None or used_in_history is not None:
        raise Conflict("leads use this status; move them first", key="errors.status_in_use")
    session.delete(status)
    session.flush()
    move_status_positions(session, business_id=business_id)


def move_status_positions(session: Session, *, business_id: int) -> None:
    """Renumber positions 0..n-1 after a deletion."""
    for position, status in enumerate(list_statuses(session, business_id=business_id)):
        status.position = position
        session.add(status)
