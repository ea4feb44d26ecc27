"""``/tasks``: my day: overdue tasks, today's, and the upcoming ones."""

from __future__ import annotations

import reflex as rx

from crm_app.components.i18n import t
from crm_app.components.layout import page_frame
from crm_app.components.tasks import task_form, task_item
from crm_app.state.tasks import TasksState


def _section(name: str, rows: rx.Var) -> rx.Component:
    return rx.vstack(
        rx.heading(t(f"tasks.{name}"), size="4"),
        rx.cond(
            rows.length() > 0,
            rx.vstack(
                rx.foreach(rows, lambda r: task_item(TasksState, r)), width="100%", spacing="0"
            ),
            rx.text(t(f"tasks.none_{name}"), color_scheme="gray", size="2"),
        ),  # fmt: skip
        width="100%",
        spacing="2",
        id=f"tasks-{name}",
    )


def tasks_page() -> rx.Component:
    """My day."""
    return page_frame(
        rx.vstack(
            task_form(TasksState.add, TasksState.task_error),
            _section("overdue", TasksState.overdue),
            _section("today", TasksState.today),
            _section("upcoming", TasksState.upcoming),
            spacing="5",
            width="100%",
        ),
        title=t("tasks.my_day"),
    )
