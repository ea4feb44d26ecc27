"""``/tasks``: "my day" (overdue, today, upcoming), finishing, snoozing and adding tasks."""

from __future__ import annotations

from typing import Any

import reflex as rx
from sqlmodel import Session, col, select

from crm_app.db import unit_of_work
from crm_app.models import Lead, Task, User
from crm_app.services import tasks
from crm_app.services.auth import Principal
from crm_app.services.errors import DomainError
from crm_app.state.lead import LeadState
from crm_app.state.session import SessionState
from crm_app.state.task_views import TaskRow, due_from_form, snoozed_until, task_row


def task_rows(
    session: Session, found: list[Task], principal: Principal, locale: str
) -> list[TaskRow]:
    """Rows for ``found``, with their leads' and assignees' names read in one query each."""
    lead_ids = {t.lead_id for t in found if t.lead_id}
    user_ids = {t.assignee_id for t in found if t.assignee_id}
    lead_names: dict[int, str] = {}
    user_names: dict[int, str] = {}
    if lead_ids:
        query = select(Lead.id, Lead.name, Lead.phone_e164).where(col(Lead.id).in_(lead_ids))
        lead_names = {int(i or 0): name or phone for i, name, phone in session.exec(query)}
    if user_ids:
        people = select(User.id, User.name, User.email).where(col(User.id).in_(user_ids))
        user_names = {int(i or 0): name or email for i, name, email in session.exec(people)}
    return [
        task_row(t, locale=locale, timezone=principal.timezone, lead_names=lead_names,
                 user_names=user_names)
        for t in found
    ]  # fmt: skip


class TaskActions(SessionState, mixin=True):
    """Finishing, reopening, snoozing and adding tasks; each page refreshes in :meth:`_reload`.

    A state that uses it names a real state among its bases too: a class whose
    state bases are all mixins is a mixin itself.
    """

    task_error: str = ""

    def _reload(self, principal: Principal) -> None:
        """Read the page's tasks again (each page has its own)."""

    def _change(self, task_id: int, changes: tasks.TaskChanges, said: str) -> Any:
        principal = self._me()
        try:
            with unit_of_work() as session:
                tasks.update_task(session, principal=principal, task_id=task_id, changes=changes)
        except DomainError as exc:
            return rx.toast.error(self._say(exc))
        self._reload(principal)
        return rx.toast.success(self._t(said))

    @rx.event
    def finish(self, task_id: int) -> Any:
        """Mark a task done."""
        return self._change(task_id, tasks.TaskChanges(state="done"), "tasks.finished")

    @rx.event
    def reopen(self, task_id: int) -> Any:
        """Open a finished task again."""
        return self._change(task_id, tasks.TaskChanges(state="open"), "tasks.reopened")

    @rx.event
    def snooze(self, task_id: int, choice: str) -> Any:
        """Move a task to later (an hour, tomorrow morning, next week)."""
        until = snoozed_until(choice, timezone=self._me().timezone)
        changes = tasks.TaskChanges(state="snoozed", due_at=until)
        return self._change(task_id, changes, "tasks.snoozed")

    def _add(self, form: dict[str, Any], lead_id: int | None) -> bool:
        """Create a task from the form; False (with ``task_error`` set) when it is refused."""
        principal = self._me()
        self.task_error = ""
        try:
            due = due_from_form(
                form.get("due_day", ""), form.get("due_time", ""), principal.timezone
            )
            with unit_of_work() as session:
                tasks.create_task(
                    session,
                    principal=principal,
                    title=form.get("title", ""),
                    due_at=due,
                    lead_id=lead_id,
                )
        except DomainError as exc:
            self.task_error = self._say(exc)
            return False
        self._reload(principal)
        return True


class TasksState(TaskActions, SessionState):
    """The signed-in user's day."""

    overdue: list[TaskRow] = []
    today: list[TaskRow] = []
    upcoming: list[TaskRow] = []

    def _reload(self, principal: Principal) -> None:
        with unit_of_work(read_only=True) as session:
            day = tasks.my_day(session, principal=principal)
            rows = task_rows(
                session, [*day.overdue, *day.today, *day.upcoming], principal, self.locale
            )
        counts = (len(day.overdue), len(day.today))
        self.overdue = rows[: counts[0]]
        self.today = rows[counts[0] : sum(counts)]
        self.upcoming = rows[sum(counts) :]

    @rx.event
    def load(self) -> Any:
        """Read the day."""
        self._reload(self._me())
        return self._language_script()

    @rx.event
    def add(self, form: dict[str, Any]) -> Any:
        """Add a task for myself."""
        if self._add(form, None):
            return [rx.set_value("task-title", ""), rx.toast.success(self._t("tasks.added"))]
        return None


class LeadTasksState(TaskActions, LeadState):
    """The lead page's tasks: open ones first, then the finished."""

    lead_tasks: list[TaskRow] = []

    def _reload(self, principal: Principal) -> None:
        filters = tasks.TaskFilters(lead_id=self.lead_id)
        with unit_of_work(read_only=True) as session:
            found = tasks.list_tasks(session, principal=principal, filters=filters, limit=100)
            rows = task_rows(session, found, principal, self.locale)
        self.lead_tasks = sorted(rows, key=lambda r: r.done)

    @rx.event
    def load_tasks(self) -> None:
        """Read the lead's tasks (after the lead itself is read)."""
        self.lead_tasks = []
        if self.found and self.lead_id:
            self._reload(self._me())

    @rx.event
    def add_for_lead(self, form: dict[str, Any]) -> Any:
        """Add a task about this lead."""
        if self._add(form, self.lead_id):
            return [rx.set_value("task-title", ""), rx.toast.success(self._t("tasks.added"))]
        return None
