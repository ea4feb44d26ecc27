"""Alerts: who is told what, the bell's list and count, and the signal open pages wait for.

:func:`notify` writes one row per recipient inside the caller's transaction
and issues ``NOTIFY crm_alerts`` with the recipients' ids: PostgreSQL delivers
it when (and only if) the transaction commits, to every server listening, so
an open page learns of its user's alert at once without polling.
Rows a recipient wants by e-mail start ``pending``; the e-mail job sends them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, func, select

from crm_app.models import AlertKind, Lead, Notification, Role, Task, TaskState, User, utcnow
from crm_app.services.auth import Principal

CHANNEL = "crm_alerts"
PAGE = 30


@dataclass(frozen=True)
class Bell:
    """What the bell shows: the unread count and the newest alerts."""

    unread: int
    items: list[Notification]


def notify(
    session: Session,
    *,
    business_id: int,
    user_ids: set[int],
    kind: AlertKind,
    data: dict[str, Any],
    email: bool = True,
) -> list[Notification]:
    """One alert per active recipient of the business, signalled when the transaction commits."""
    if not user_ids:
        return []
    users = session.exec(
        select(User).where(
            col(User.id).in_(user_ids), col(User.business_id) == business_id, col(User.is_active)
        )
    ).all()
    made = [
        Notification(
            business_id=business_id,
            user_id=user.id or 0,
            kind=kind.value,
            data=data,
            email_state="pending" if email and kind.value in user.email_alerts else "skipped",
        )
        for user in users
    ]
    session.add_all(made)
    session.flush()
    if made:
        payload = json.dumps({"users": sorted(n.user_id for n in made)})
        session.execute(sa.select(func.pg_notify(CHANNEL, payload)))
    return made


def managers(session: Session, business_id: int) -> set[int]:
    """The business's owners and admins."""
    found = session.exec(
        select(User.id).where(
            col(User.business_id) == business_id,
            col(User.is_active),
            col(User.role).in_([Role.OWNER.value, Role.ADMIN.value]),
        )
    ).all()
    return {i for i in found if i is not None}


def about_lead(lead: Lead, **more: Any) -> dict[str, Any]:
    """What an alert keeps of a lead: its id and what to call it."""
    return {"lead_id": lead.id, "name": lead.name or lead.phone_e164, **more}


def bell(session: Session, *, user_id: int, limit: int = PAGE) -> Bell:
    """The user's unread count and newest alerts."""
    unread = session.exec(
        select(func.count())
        .select_from(Notification)
        .where(col(Notification.user_id) == user_id, col(Notification.read_at).is_(None))
    ).one()
    items = session.exec(
        select(Notification)
        .where(col(Notification.user_id) == user_id)
        .order_by(col(Notification.created_at).desc(), col(Notification.id).desc())
        .limit(limit)
    ).all()
    return Bell(unread=int(unread), items=list(items))


def mark_read(session: Session, *, principal: Principal, ids: list[int] | None = None) -> int:
    """Mark the principal's alerts read (``ids``, or all of them); how many changed."""
    query = sa.update(Notification).where(
        col(Notification.user_id) == principal.user_id, col(Notification.read_at).is_(None)
    )
    if ids is not None:
        query = query.where(col(Notification.id).in_(ids))
    result = session.execute(query.values(read_at=utcnow()))
    return int(getattr(result, "rowcount", 0) or 0)


def alert_due_tasks(session: Session, *, now: datetime | None = None, limit: int = 500) -> int:
    """Tell assignees about their tasks that came due since the last look; how many."""
    now = now or utcnow()
    due = session.exec(
        select(Task)
        .where(
            col(Task.due_at) <= now,
            col(Task.alerted_at).is_(None),
            col(Task.state).in_([TaskState.OPEN.value, TaskState.SNOOZED.value]),
            col(Task.assignee_id).is_not(None),
        )
        .order_by(col(Task.due_at))
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    for task in due:
        data = {"task_id": task.id, "title": task.title, "lead_id": task.lead_id}
        notify(
            session,
            business_id=task.business_id,
            user_ids={task.assignee_id or 0},
            kind=AlertKind.TASK_DUE,
            data=data,
        )
        task.alerted_at = now
        session.add(task)
    return len(due)


def email_choices(session: Session, *, principal: Principal) -> list[str]:
    """The alert kinds the principal also gets by e-mail."""
    user = session.get(User, principal.user_id)
    return list(user.email_alerts) if user else []


def set_email_choices(session: Session, *, principal: Principal, kinds: list[str]) -> list[str]:
    """Choose which alerts the principal also gets by e-mail (unknown kinds are dropped)."""
    user = session.get(User, principal.user_id)
    if user is None:
        return []
    user.email_alerts = [k.value for k in AlertKind if k.value in kinds]
    session.add(user)
    return list(user.email_alerts)
