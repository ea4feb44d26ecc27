"""Tasks: a row with its actions (done, snooze, reopen), and the form that adds one."""

from __future__ import annotations

import reflex as rx

from crm_app.components.i18n import t
from crm_app.state.task_views import SNOOZES


def _snooze_menu(state: type[rx.State], task: rx.Var) -> rx.Component:
    return rx.dropdown_menu.root(
        rx.dropdown_menu.trigger(
            rx.button(
                rx.icon("alarm-clock", size=14),
                t("tasks.snooze"),
                size="1",
                variant="soft",
                color_scheme="gray",
                custom_attrs={"data-testid": "task-snooze"},
            )
        ),
        rx.dropdown_menu.content(
            *[
                rx.dropdown_menu.item(
                    t(f"tasks.snooze.{choice}"),
                    on_click=state.snooze(task["id"], choice),  # type: ignore[attr-defined]
                    custom_attrs={"data-testid": f"task-snooze-{choice}"},
                )
                for choice in SNOOZES
            ]
        ),
    )


def task_item(state: type[rx.State], task: rx.Var) -> rx.Component:
    """A task: its title, due time, lead and actions (``state`` has the task actions)."""
    actions = rx.cond(
        task["done"],
        rx.button(
            t("tasks.reopen"),
            size="1",
            variant="ghost",
            on_click=state.reopen(task["id"]),  # type: ignore[attr-defined]
            custom_attrs={"data-testid": "task-reopen"},
        ),
        rx.hstack(
            rx.button(
                rx.icon("check", size=14),
                t("tasks.done"),
                size="1",
                on_click=state.finish(task["id"]),  # type: ignore[attr-defined]
                custom_attrs={"data-testid": "task-done"},
            ),
            _snooze_menu(state, task),
            spacing="2",
        ),
    )
    return rx.hstack(
        rx.icon(rx.cond(task["kind"] == "callback", "phone-forwarded", "square-check"), size=18),
        rx.vstack(
            rx.text(
                task["title"],
                weight="medium",
                text_decoration=rx.cond(task["done"], "line-through", "none"),
                dir="auto",
            ),
            rx.hstack(
                rx.text(
                    task["due"],
                    size="1",
                    color=rx.cond(task["overdue"], "var(--red-11)", "var(--gray-11)"),
                    class_name="nowrap",
                ),
                rx.cond(
                    task["lead_href"] != "",
                    rx.link(rx.el.bdi(task["lead_name"]), href=task["lead_href"], size="1"),
                ),
                rx.cond(task["assignee"] != "", rx.text(task["assignee"], size="1")),
                spacing="3",
                wrap="wrap",
            ),
            spacing="1",
            flex="1",
            min_width="0",
        ),
        actions,
        align="center",
        wrap="wrap",
        width="100%",
        padding_y="0.5em",
        border_bottom="1px solid var(--gray-a4)",
        custom_attrs={
            "data-testid": "task",
            "data-task-id": task["id"],
            "data-overdue": task["overdue"],
            "data-done": task["done"],
        },
    )


def task_form(on_submit: rx.EventHandler, error: rx.Var[str]) -> rx.Component:
    """Title, due date and time, Add."""
    return rx.form(
        rx.vstack(
            rx.hstack(
                rx.input(
                    name="title",
                    id="task-title",
                    placeholder=t("tasks.title_hint"),
                    custom_attrs={"aria-label": t("tasks.title")},
                    required=True,
                    flex="1",
                    min_width="12em",
                ),
                rx.input(
                    name="due_day",
                    id="task-due-day",
                    type="date",
                    required=True,
                    custom_attrs={"aria-label": t("tasks.due_day")},
                ),
                rx.input(
                    name="due_time",
                    id="task-due-time",
                    type="time",
                    default_value="09:00",
                    custom_attrs={"aria-label": t("tasks.due_time")},
                ),
                rx.button(rx.icon("plus", size=14), t("tasks.add"), type="submit", id="task-add"),
                wrap="wrap",
                width="100%",
                align="center",
            ),
            rx.cond(error != "", rx.text(error, color_scheme="red", size="2", id="task-error")),
            width="100%",
            spacing="2",
        ),
        on_submit=on_submit,
        width="100%",
    )
