"""Tasks as the pages show them, and the due times a form or a snooze gives (pure functions)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from crm_app.i18n import translate
from crm_app.i18n.formats import local_datetime
from crm_app.models import Task, TaskState, utcnow
from crm_app.services.errors import InvalidInput

SNOOZES = ("hour", "tomorrow", "week")


@dataclass(frozen=True)
class TaskRow:
    """A task in a list: what, when, for whom, about which lead."""

    id: int
    title: str
    due: str
    overdue: bool
    done: bool
    kind: str
    state_label: str
    lead_href: str
    lead_name: str
    assignee: str


def task_row(
    task: Task,
    *,
    locale: str,
    timezone: str,
    lead_names: dict[int, str],
    user_names: dict[int, str],
    now: datetime | None = None,
) -> TaskRow:
    """One task as a row (``lead_names``/``user_names`` resolve its ids)."""
    now = now or utcnow()
    done = task.state == TaskState.DONE
    return TaskRow(
        id=task.id or 0,
        title=task.title,
        due=local_datetime(task.due_at, timezone),
        overdue=not done and task.due_at < now,
        done=done,
        kind=task.kind,
        state_label=translate(f"tasks.state.{task.state}", locale),
        lead_href=f"/leads/{task.lead_id}" if task.lead_id else "",
        lead_name=lead_names.get(task.lead_id or 0, "") if task.lead_id else "",
        assignee=user_names.get(task.assignee_id or 0, ""),
    )


def due_from_form(day: str, clock: str, timezone: str) -> datetime:
    """The instant of a form's local date (``YYYY-MM-DD``) and time (``HH:MM``, default 09:00).

    Raises:
        InvalidInput: no date, or a date or time that does not read.
    """
    try:
        local_day = date.fromisoformat(day.strip())
        local_time = time.fromisoformat(clock.strip()) if clock.strip() else time(9, 0)
    except ValueError as exc:
        raise InvalidInput("choose a due date", field="due", key="errors.task_due") from exc
    return datetime.combine(local_day, local_time, tzinfo=ZoneInfo(timezone))


def snoozed_until(choice: str, *, timezone: str, now: datetime | None = None) -> datetime:
    """An hour from now, tomorrow at 09:00, or a week from today at 09:00 (local time)."""
    now = now or utcnow()
    local = now.astimezone(ZoneInfo(timezone))
    if choice == "hour":
        return now + timedelta(hours=1)
    days = 7 if choice == "week" else 1
    return datetime.combine(local.date() + timedelta(days=days), time(9, 0), local.tzinfo)
