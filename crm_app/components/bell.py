"""The header's bell: an unread count on a button, and the newest alerts in a popover."""

from __future__ import annotations

import reflex as rx

from crm_app.components.i18n import t, tf
from crm_app.state.bell import BellState


def _alert(row: rx.Var) -> rx.Component:
    return rx.box(
        rx.text(row["title"], size="2", weight=rx.cond(row["unread"], "bold", "regular"),
                dir="auto"),
        rx.text(row["when"], size="1", color_scheme="gray"),
        on_click=BellState.open_alert(row["id"], row["href"]),
        cursor="pointer",
        padding="0.5em",
        border_radius="var(--radius-2)",
        _hover={"background": "var(--gray-a3)"},
        width="100%",
        custom_attrs={"data-testid": "alert", "data-kind": row["kind"],
                      "data-unread": row["unread"], "role": "link"},
    )  # fmt: skip


def bell() -> rx.Component:
    """The bell, shown on every signed-in page (it asks to be told of new alerts)."""
    count = rx.cond(
        BellState.unread > 0,
        rx.badge(
            rx.cond(BellState.unread > 99, "99+", BellState.unread.to_string()),
            color_scheme="red",
            variant="solid",
            radius="full",
            size="1",
            position="absolute",
            top="-6px",
            inset_inline_end="-8px",
            pointer_events="none",
            id="bell-count",
            custom_attrs={"aria-hidden": "true"},
        ),
    )
    button = rx.icon_button(
        rx.icon("bell", size=18),
        variant="ghost",
        size="2",
        id="bell",
        custom_attrs={"aria-label": tf("alerts.unread", count=BellState.unread)},
    )
    popover = rx.popover.root(
        rx.popover.trigger(button),
        rx.popover.content(
            rx.vstack(
                rx.hstack(
                    rx.text(t("alerts.title"), weight="bold"),
                    rx.spacer(),
                    rx.button(
                        t("alerts.mark_all"),
                        size="1",
                        variant="ghost",
                        on_click=BellState.mark_all_read,
                        id="bell-mark-all",
                    ),
                    width="100%",
                    align="center",
                ),  # fmt: skip
                rx.cond(
                    BellState.alerts.length() > 0,
                    rx.vstack(
                        rx.foreach(BellState.alerts, _alert),
                        spacing="1",
                        width="100%",
                        max_height="60vh",
                        overflow_y="auto",
                    ),
                    rx.text(t("alerts.none"), size="2", color_scheme="gray"),
                ),  # fmt: skip
                width="100%",
            ),
            width="min(22em, 92vw)",
            id="bell-list",
        ),
    )
    # The count sits beside the trigger, not inside it: the button's name already says it.
    return rx.box(popover, count, position="relative", on_mount=BellState.watch)
