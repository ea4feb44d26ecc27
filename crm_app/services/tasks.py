"""Tasks: creating, listing ("my day" and by filters), finishing and snoozing them.

Every task belongs to the business of whoever made it; its assignee and its
lead must be of the same business. The call pipeline makes callback tasks
with :func:`create_callback`, at most one per call.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from crm_app.models import (
    AlertKind,
    Business,
    Lead,
    Notification,
    Role,
    Task,
    TaskKind,
    TaskState,
    User,
    utcnow,
)
from crm_app.services import audit, notifications
from crm_app.services.auth import Principal
from crm_app.services.errors import InvalidInput, NotFound
from crm_app.services.leads import check_owner, get_lead

MAX_PAGE = 200
UNFINISHED = (TaskState.OPEN.value, TaskState.SNOOZED.value)


@dataclass(frozen=True)
class TaskFilters:
    """What a task list is narrowed to; None leaves a filter out."""

    assignee_id: int | None = None
    lead_id: int | None = None
    due_from: datetime | None = None
    due_to: datetime | None = None
    state: str | None = None


@dataclass(frozen=True)
class TaskChanges:
    """An edit of a task; None leaves a field as it is."""

    title: str | None = None
    details: str | None = None
    due_at: datetime | None = None
    assignee_id: int | None = None
    state: str | None = None


@dataclass(frozen=True)
class MyDay:
    """One person's unfinished tasks, split by their due time in the business's zone."""

    overdue: list[Task]
    today: list[Task]
    upcoming: list[Task]


def _title(title: str) -> str:
    title = " ".join(title.split())
    if not title:
        raise InvalidInput("a task needs a title", field="title", key="errors.task_title")
    return title[:200]


def _due(due_at: datetime) -> datetime:
    if due_at.tzinfo is None:
        raise InvalidInput("the due time needs its time zone", field="due_at")
    return due_at


def create_task(
    session: Session,
    *,
    principal: Principal,
    title: str,
    due_at: datetime,
    assignee_id: int | None = None,
    lead_id: int | None = None,
    details: str = "",
) -> Task:
    """A task for ``assignee_id`` (default: whoever creates it), maybe about a lead.

    Raises:
        InvalidInput: no title, a naive due time, an assignee from elsewhere.
        NotFound: the lead is not one of the business's.
    """
    assignee = principal.user_id if assignee_id is None else assignee_id
    check_owner(session, principal.business_id, assignee)
    if lead_id is not None:
        get_lead(session, principal=principal, lead_id=lead_id)
    task = Task(
        business_id=principal.business_id,
        title=_title(title),
        details=details.strip()[:4000],
        due_at=_due(due_at),
        assignee_id=assignee,
        lead_id=lead_id,
        created_by_id=principal.user_id,
    )
    session.add(task)
    session.flush()
    _record(session, principal, task, "task.create", {"assignee_id": assignee})
    tell_assignee(session, principal, task)
    return task


def tell_assignee(session: Session, principal: Principal | None, task: Task) -> list[Notification]:
    """An alert for a task given to someone other than whoever gave it."""
    if task.assignee_id is None or (principal and task.assignee_id == principal.user_id):
        return []
    return notifications.notify(
        session,
        business_id=task.business_id,
        user_ids={task.assignee_id},
        kind=AlertKind.ASSIGNED,
        data={"task_id": task.id, "title": task.title, "lead_id": task.lead_id},
    )


def _record(
    session: Session, principal: Principal, task: Task, action: str, details: dict[str, object]
) -> None:
    audit.record(
        session,
        principal=principal,
        business_id=task.business_id,
        action=action,
        entity="task",
        entity_id=task.id,
        details=details,
    )


def get_task(session: Session, *, principal: Principal, task_id: int) -> Task:
    """One of the business's tasks (another business's is not found)."""
    task = session.get(Task, task_id)
    if task is None or task.business_id != principal.business_id:
        raise NotFound("no such task", key="errors.not_found")
    return task


def update_task(
    session: Session, *, principal: Principal, task_id: int, changes: TaskChanges
) -> Task:
    """Edit, finish, reopen or snooze a task (snoozing moves its due time in the same change).

    Raises:
        InvalidInput: an unknown state, a snooze without a new due time, a bad assignee.
        NotFound: not one of the business's tasks.
    """
    task = get_task(session, principal=principal, task_id=task_id)
    before = {"state": task.state, "due_at": task.due_at.isoformat()}
    if changes.title is not None:
        task.title = _title(changes.title)
    if changes.details is not None:
        task.details = changes.details.strip()[:4000]
    reassigned = changes.assignee_id is not None and changes.assignee_id != task.assignee_id
    if changes.assignee_id is not None:
        check_owner(session, task.business_id, changes.assignee_id)
        task.assignee_id = changes.assignee_id
    if changes.due_at is not None:
        task.due_at = _due(changes.due_at)
        task.alerted_at = None  # due again later: tell its assignee again then
    if changes.state is not None:
        _set_state(task, changes.state, moved=changes.due_at is not None)
    task.updated_at = utcnow()
    session.add(task)
    session.flush()
    _record(session, principal, task, "task.update", {"before": before, "state": task.state})
    if reassigned:
        tell_assignee(session, principal, task)
    return task


def _set_state(task: Task, state: str, *, moved: bool) -> None:
    if state not in {s.value for s in TaskState}:
        raise InvalidInput(f"unknown state {state!r}", field="state")
    if state == TaskState.SNOOZED and not moved:
        raise InvalidInput(
            "snoozing needs the time it is due again", field="due_at", key="errors.task_snooze"
        )
    task.state = state
    task.done_at = utcnow() if state == TaskState.DONE else None


def list_tasks(
    session: Session, *, principal: Principal, filters: TaskFilters, limit: int = 50
) -> list[Task]:
    """The business's tasks matching ``filters``, soonest due first."""
    query = select(Task).where(col(Task.business_id) == principal.business_id)
    if filters.assignee_id is not None:
        query = query.where(col(Task.assignee_id) == filters.assignee_id)
    if filters.lead_id is not None:
        query = query.where(col(Task.lead_id) == filters.lead_id)
    if filters.due_from is not None:
        query = query.where(col(Task.due_at) >= filters.due_from)
    if filters.due_to is not None:
        query = query.where(col(Task.due_at) < filters.due_to)
    if filters.state == "unfinished":
        query = query.where(col(Task.state).in_(UNFINISHED))
    elif filters.state is not None:
        query = query.where(col(Task.state) == filters.state)
    limit = max(1, min(limit, MAX_PAGE))
    return list(session.exec(query.order_by(col(Task.due_at), col(Task.id)).limit(limit)))


def my_day(session: Session, *, principal: Principal, now: datetime | None = None) -> MyDay:
    """The principal's unfinished tasks: overdue, due today (their zone), and the next ones."""
    now = now or utcnow()
    zone = ZoneInfo(principal.timezone)
    tomorrow = datetime.combine(now.astimezone(zone).date() + timedelta(days=1), time(), zone)
    tasks = list_tasks(
        session,
        principal=principal,
        filters=TaskFilters(assignee_id=principal.user_id, state="unfinished"),
        limit=MAX_PAGE,
    )
    return MyDay(
        overdue=[t for t in tasks if t.due_at < now],
        today=[t for t in tasks if now <= t.due_at < tomorrow],
        upcoming=[t for t in tasks if t.due_at >= tomorrow],
    )


def default_assignee(session: Session, *, lead: Lead, fallback: int | None) -> int | None:
    """Who a follow-up about ``lead`` goes to: its owner, the business's choice, or an owner."""
    for candidate in (lead.owner_id, fallback):
        user = session.get(User, candidate) if candidate is not None else None
        if user is not None and user.is_active and user.business_id == lead.business_id:
            return user.id
    return session.exec(
        select(User.id)
        .where(col(User.business_id) == lead.business_id, col(User.is_active))
        .where(col(User.role) == Role.OWNER.value)
        .order_by(col(User.id))
    ).first()


def create_callback(
    session: Session, *, lead: Lead, call_id: int, due_at: datetime, title: str, details: str
) -> Task | None:
    """The pipeline's "call back" task for a call (None when the call already has one)."""
    existing = session.exec(
        select(Task).where(col(Task.call_id) == call_id, col(Task.kind) == TaskKind.CALLBACK.value)
    ).first()
    if existing is not None:
        return None
    business = session.get(Business, lead.business_id)
    fallback = business.default_assignee_id if business else None
    task = Task(
        business_id=lead.business_id,
        title=_title(title),
        details=details[:4000],
        due_at=due_at,
        kind=TaskKind.CALLBACK.value,
        assignee_id=default_assignee(session, lead=lead, fallback=fallback),
        lead_id=lead.id,
        call_id=call_id,
    )
    session.add(task)
    session.flush()
    return task  # the pipeline's alert step tells the assignee
