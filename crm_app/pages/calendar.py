"""``/calendar``: a day or a week of appointments (an agenda on phones); book, move, cancel."""

from __future__ import annotations

import reflex as rx

from crm_app.components.booking_dialog import appointment_dialog, booking_dialog, native_select
from crm_app.components.calendar_grid import calendar_agenda, calendar_grid
from crm_app.components.i18n import ltr, t
from crm_app.components.layout import page_frame
from crm_app.state.calendar import CalendarState as S


def _views() -> rx.Component:
    return rx.hstack(
        rx.link(
            rx.button(t("calendar.day_view"), variant=rx.cond(S.view == "day", "solid", "soft")),
            href=S.day_href,
            id="view-day",
        ),
        rx.link(
            rx.button(t("calendar.week_view"), variant=rx.cond(S.view == "week", "solid", "soft")),
            href=S.week_href,
            id="view-week",
        ),
        spacing="1",
    )


def _toolbar() -> rx.Component:
    return rx.flex(
        rx.hstack(
            rx.link(rx.icon_button(rx.icon("chevron-right", size=16), variant="soft",
                                   custom_attrs={"aria-label": t("calendar.previous")}),
                    href=S.prev_href, id="calendar-prev", class_name="flip-rtl"),
            rx.link(rx.button(t("calendar.today"), variant="soft"), href=S.today_href,
                    id="calendar-today"),
            rx.link(rx.icon_button(rx.icon("chevron-left", size=16), variant="soft",
                                   custom_attrs={"aria-label": t("calendar.next")}),
                    href=S.next_href, id="calendar-next", class_name="flip-rtl"),
            rx.heading(ltr(S.title), size="4", id="calendar-title"),
            align="center",
            spacing="2",
            wrap="wrap",
        ),
        rx.spacer(),
        rx.hstack(
            _views(),
            rx.box(native_select("calendar-filter", S.calendar, S.calendars, S.pick_calendar,
                                 name=t("calendar.calendar")), max_width="14em"),
            rx.button(rx.icon("plus", size=16), t("calendar.book"), id="calendar-book",
                      on_click=S.open_booking(S.day, "")),
            align="center",
            spacing="2",
            wrap="wrap",
        ),
        gap="2",
        wrap="wrap",
        width="100%",
        align="center",
    )  # fmt: skip


def calendar_page() -> rx.Component:
    """The toolbar, then the grid (desktop) or the agenda (phone), and the two dialogs."""
    return page_frame(
        rx.vstack(
            _toolbar(),
            calendar_grid(),
            calendar_agenda(),
            booking_dialog(S),
            appointment_dialog(S),
            spacing="3",
            width="100%",
        ),
        title=t("calendar.title"),
    )
