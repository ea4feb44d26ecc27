"""The calendar's grid (a desktop's day or week) and its agenda (the same days, on a phone)."""

from __future__ import annotations

import reflex as rx

from crm_app.components.i18n import ltr, t
from crm_app.state.calendar import CalendarState as S


def _block(block: rx.Var) -> rx.Component:
    return rx.el.button(
        rx.el.span(ltr(block["time"]), " ", block["lead"], class_name="clip", font_weight="500"),
        rx.el.span(block["title"], class_name="clip"),
        rx.el.span(block["calendar"], class_name="clip gray-label"),
        type="button",
        class_name="cal-block",
        top=block["top"],
        height=block["height"],
        inset_inline_start=block["left"],
        width=block["width"],
        on_click=S.open_appointment(block["id"]),
        custom_attrs={
            "data-testid": "calendar-appointment",
            "data-status": block["status"],
            "data-id": block["id"],
        },
    )


def _free(day: rx.Var, band: rx.Var) -> rx.Component:
    return rx.el.button(
        type="button",
        class_name="cal-free",
        top=band["top"],
        height=band["height"],
        on_click=S.open_booking(day["iso"], band["time"]),
        custom_attrs={
            "data-testid": "calendar-free",
            "data-day": day["iso"],
            "data-time": band["time"],
            "aria-label": t("calendar.book_at").to(str) + " " + day["label"].to(str) + " "
            + band["time"].to(str),
        },
    )  # fmt: skip


def _column(day: rx.Var) -> rx.Component:
    return rx.box(
        rx.foreach(day["open_bands"], lambda b: rx.box(class_name="cal-open", top=b["top"],
                                                        height=b["height"])),
        rx.foreach(day["free"], lambda b: _free(day, b)),
        rx.foreach(day["blocks"], _block),
        class_name="cal-day",
        height=S.grid_height,
        custom_attrs={"data-day": day["iso"], "data-closed": day["closed"]},
    )  # fmt: skip


def _head(day: rx.Var) -> rx.Component:
    return rx.box(
        rx.text(day["label"]),
        rx.cond(day["closed"], rx.badge(t("calendar.closed"), color_scheme="gray", size="1")),
        class_name="cal-head",
        custom_attrs={"data-today": day["today"], "data-testid": "calendar-day"},
    )


def calendar_grid() -> rx.Component:
    """Hours down the side, a column a day: opening hours shaded, free cells, appointments."""
    return rx.box(
        rx.box(class_name="cal-head"),
        rx.foreach(S.days, _head),
        rx.box(
            rx.foreach(S.hours, lambda h: rx.box(ltr(h["label"]), class_name="cal-hour",
                                                 top=h["top"])),
            class_name="cal-gutter",
            height=S.grid_height,
        ),
        rx.foreach(S.days, _column),
        class_name="cal-grid desktop-only",
        id="calendar-grid",
        style={"--cal-days": S.days.length()},
    )  # fmt: skip


def _agenda_item(block: rx.Var) -> rx.Component:
    return rx.el.button(
        ltr(block["time"], font_weight="500"),
        rx.vstack(
            rx.text(block["lead"], weight="medium", class_name="list-card-name"),
            rx.text(block["title"], size="1"),
            spacing="0",
            flex="1",
            min_width="0",
            align="start",
        ),
        rx.badge(block["status_label"]),
        type="button",
        class_name="agenda-item",
        on_click=S.open_appointment(block["id"]),
        custom_attrs={"data-testid": "agenda-appointment", "data-status": block["status"]},
    )


def _agenda_day(day: rx.Var) -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.text(day["label"], weight="bold"),
            rx.cond(day["closed"], rx.badge(t("calendar.closed"), color_scheme="gray")),
            rx.spacer(),
            rx.cond(
                ~day["closed"],
                rx.icon_button(
                    rx.icon("plus", size=16),
                    size="2",
                    variant="soft",
                    on_click=S.open_booking(day["iso"], ""),
                    custom_attrs={"aria-label": t("calendar.book_at").to(str) + " "
                                  + day["label"].to(str)},
                ),
            ),
            width="100%",
            align="center",
        ),
        rx.cond(
            day["blocks"].length() > 0,
            rx.vstack(rx.foreach(day["blocks"], _agenda_item), width="100%", spacing="2"),
            rx.text(t("calendar.nothing_booked"), size="2", color_scheme="gray"),
        ),
        class_name="agenda-day",
        spacing="2",
        custom_attrs={"data-testid": "agenda-day", "data-day": day["iso"]},
    )  # fmt: skip


def calendar_agenda() -> rx.Component:
    """The same days as a list: each day's appointments in time order, and a book button."""
    return rx.vstack(
        rx.foreach(S.days, _agenda_day),
        class_name="phone-only",
        id="calendar-agenda",
        width="100%",
        spacing="1",
        flex_direction="column",
    )
