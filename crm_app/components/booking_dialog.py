"""The booking dialog and the appointment dialog, for any state built on ``BookingActions``."""

from __future__ import annotations

from typing import Any

import reflex as rx

from crm_app.components.i18n import label, ltr, t

SELECT_STYLE = {
    "padding": "0.35rem 0.5rem",
    "border": "1px solid var(--gray-a7)",
    "border_radius": "var(--radius-2)",
    "background": "var(--color-surface)",
    "color": "var(--gray-12)",
    "min_height": "2rem",
    "width": "100%",
}


def native_select(
    select_id: str, value: rx.Var, options: rx.Var, on_change: Any, name: rx.Var | None = None
) -> rx.Component:
    """A native ``<select>`` of ``options`` (``value``/``label``); ``name`` when no label has it."""
    return rx.el.select(
        rx.foreach(options, lambda o: rx.el.option(o["label"], value=o["value"])),
        id=select_id,
        value=value,
        on_change=on_change,
        style=SELECT_STYLE,
        custom_attrs={"aria-label": name} if name is not None else {},
    )


def _times(select_id: str, value: rx.Var, options: rx.Var, on_change: Any) -> rx.Component:
    return rx.el.select(
        rx.el.option(t("calendar.pick_time"), value=""),
        rx.foreach(options, lambda o: rx.el.option(o, value=o)),
        id=select_id,
        value=value,
        on_change=on_change,
        style=SELECT_STYLE,
    )


def _field(key: str, control_id: str, control: rx.Component) -> rx.Component:
    return rx.vstack(label(key, control_id), control, spacing="1", width="100%")


def _lead_picker(S: Any) -> rx.Component:  # noqa: N803 - the state class, as pages name it
    chosen = rx.hstack(
        rx.icon("user", size=16),
        rx.text(S.book_lead, weight="medium", id="book-lead-chosen"),
        align="center",
    )
    search = rx.vstack(
        rx.input(
            id="book-lead",
            value=S.lead_search,
            on_change=S.search_leads.debounce(250),
            placeholder=t("calendar.lead_search"),
            width="100%",
        ),
        rx.foreach(
            S.lead_matches,
            lambda m: rx.button(
                m["label"],
                variant="ghost",
                type="button",
                on_click=S.pick_lead(m["value"]),
                custom_attrs={"data-testid": "book-lead-match"},
            ),
        ),
        width="100%",
        spacing="1",
        align="start",
    )
    return rx.vstack(
        label("calendar.lead", "book-lead"),
        rx.cond(S.book_lead_id != 0, chosen, search),
        spacing="1",
        width="100%",
    )


def booking_dialog(S: Any) -> rx.Component:  # noqa: N803
    """Lead, day, calendar, type, a free time and what it is for; Book."""
    body = rx.vstack(
        _lead_picker(S),
        rx.hstack(
            _field("calendar.day", "book-day", rx.input(
                id="book-day", type="date", value=S.book_day, on_change=S.set_book_day)),
            _field("calendar.time", "book-time",
                   _times("book-time", S.book_time, S.time_options, S.set_book_time)),
            width="100%",
        ),
        _field("calendar.calendar", "book-calendar", native_select(
            "book-calendar", S.book_calendar, S.calendar_options, S.set_book_calendar)),
        _field("calendar.type", "book-type", native_select(
            "book-type", S.book_type, S.type_options, S.set_book_type)),
        rx.cond(S.time_options.length() == 0,
                rx.text(t("calendar.no_free_times"), size="2", color_scheme="gray")),
        _field("calendar.what_for", "book-title", rx.input(
            id="book-title", value=S.book_title, on_change=S.set_book_title, max_length=200)),
        rx.cond(S.booking_error != "",
                rx.callout(S.booking_error, color_scheme="red", id="book-error", width="100%")),
        rx.hstack(
            rx.dialog.close(rx.button(t("calendar.close"), variant="soft", type="button")),
            rx.button(t("calendar.book"), id="book-submit", on_click=S.submit_booking,
                      disabled=(S.book_time == "") | (S.book_lead_id == 0)),
            justify="end",
            width="100%",
        ),
        spacing="3",
        width="100%",
    )  # fmt: skip
    return rx.dialog.root(
        rx.dialog.content(rx.dialog.title(t("calendar.book_title")), body, max_width="30em"),
        open=S.booking_open,
        on_open_change=S.close_booking,
    )


def _move(S: Any) -> rx.Component:  # noqa: N803
    return rx.vstack(
        rx.text(t("calendar.move_to"), weight="medium"),
        rx.hstack(
            rx.input(id="move-day", type="date", value=S.move_day, on_change=S.set_move_day,
                     custom_attrs={"aria-label": t("calendar.day")}),
            _times("move-time", S.move_time, S.move_options, S.set_move_time),
            rx.button(t("calendar.move"), id="move-submit", on_click=S.move_appointment,
                      variant="soft", disabled=S.move_time == ""),
            width="100%",
            wrap="wrap",
        ),
        width="100%",
        spacing="1",
    )  # fmt: skip


def appointment_dialog(S: Any) -> rx.Component:  # noqa: N803
    """Who and when, its status; confirm, finish, move, cancel, and the ``.ics`` file."""
    d = S.detail
    lead = rx.cond(d.lead_href != "", rx.link(d.lead, href=d.lead_href, id="detail-lead"),
                   rx.text(d.lead))  # fmt: skip
    body = rx.vstack(
        rx.hstack(ltr(d.when, font_weight="500"), rx.badge(d.status_label, id="detail-status"),
                  align="center", wrap="wrap"),
        lead,
        rx.text(d.title),
        rx.cond(d.calendar != "", rx.text(d.calendar, size="2", color_scheme="gray")),
        rx.cond(d.movable, _move(S)),
        rx.cond(S.detail_error != "",
                rx.callout(S.detail_error, color_scheme="red", id="detail-error", width="100%")),
        rx.hstack(
            rx.cond(d.status == "scheduled", rx.button(
                t("calendar.confirm"), on_click=S.confirm_appointment, variant="soft",
                color_scheme="grass", id="detail-confirm")),
            rx.cond(d.movable, rx.button(
                t("calendar.done"), on_click=S.finish_appointment, variant="soft",
                id="detail-done")),
            rx.cond(d.movable, rx.button(
                t("calendar.cancel"), on_click=S.cancel_appointment, variant="soft",
                color_scheme="red", id="detail-cancel")),
            rx.link(t("calendar.ics"), href="/api/v1/appointments/" + d.id.to(str) + ".ics",
                    size="2", id="detail-ics"),
            wrap="wrap",
            align="center",
            width="100%",
        ),
        rx.hstack(rx.dialog.close(rx.button(t("calendar.close"), variant="soft")),
                  justify="end", width="100%"),
        spacing="3",
        width="100%",
    )  # fmt: skip
    return rx.dialog.root(
        rx.dialog.content(rx.dialog.title(t("calendar.appointment")), body, max_width="30em"),
        open=S.detail_open,
        on_open_change=S.close_detail,
    )
