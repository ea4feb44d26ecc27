"""A week of opening hours to edit, for any state built on ``HoursEditor``."""

from __future__ import annotations

from typing import Any

import reflex as rx

from crm_app.components.i18n import t


def _range(S: Any, day: rx.Var, time_range: rx.Var, index: rx.Var) -> rx.Component:  # noqa: N803
    def time_input(which: str) -> rx.Component:
        return rx.input(
            type="time",
            value=time_range[which],
            on_change=lambda value: S.set_time(day["key"], index, which, value),
            dir="ltr",
            width="8em",
            custom_attrs={"aria-label": t(f"business.range_{which}")},
        )

    return rx.hstack(
        time_input("start"),
        rx.text("–"),
        time_input("end"),
        rx.icon_button(
            rx.icon("x", size=14),
            type="button",
            size="1",
            variant="ghost",
            color_scheme="red",
            on_click=S.remove_range(day["key"], index),
            custom_attrs={"aria-label": t("business.remove_range")},
        ),
        align="center",
        spacing="1",
    )


def _day(S: Any, day: rx.Var) -> rx.Component:  # noqa: N803
    return rx.flex(
        rx.text(day["label"], weight="medium", min_width="6em"),
        rx.flex(
            rx.cond(
                day["ranges"].length() > 0,
                rx.foreach(day["ranges"], lambda r, i: _range(S, day, r, i)),
                rx.badge(t("business.closed"), color_scheme="gray"),
            ),
            rx.button(
                rx.icon("plus", size=14),
                t("business.add_range"),
                type="button",
                size="1",
                variant="ghost",
                on_click=S.add_range(day["key"]),
            ),
            gap="2",
            wrap="wrap",
            align="center",
        ),
        gap="3",
        align="center",
        wrap="wrap",
        padding_y="0.4em",
        border_bottom="1px solid var(--gray-a3)",
        custom_attrs={"data-testid": "hours-day", "data-day": day["key"]},
    )


def hours_editor(S: Any) -> rx.Component:  # noqa: N803 - the state class, as pages name it
    """Each weekday with its ranges, a range to add, a range to remove (none: closed)."""
    return rx.vstack(rx.foreach(S.week, lambda d: _day(S, d)), width="100%", spacing="0")
