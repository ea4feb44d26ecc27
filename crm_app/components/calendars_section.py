"""Settings: the calendars (each with the business's hours or its own), their feeds, and types."""

from __future__ import annotations

import reflex as rx

from crm_app.components.fields import field, hint
from crm_app.components.hours_editor import hours_editor
from crm_app.components.i18n import t
from crm_app.state.calendar_settings import CalendarSettingsState as S


def _feed(row: rx.Var) -> rx.Component:
    return rx.cond(
        (S.feed_for == row["id"]) & (S.feed_url != ""),
        rx.callout(
            rx.vstack(
                rx.text(t("calendars.feed_once")),
                rx.hstack(
                    rx.el.bdi(S.feed_url, dir="ltr", id="feed-url", class_name="file-name"),
                    rx.icon_button(
                        rx.icon("copy", size=14),
                        size="1",
                        variant="ghost",
                        on_click=[rx.set_clipboard(S.feed_url),
                                  rx.toast.info(t("calendars.copied"))],
                        custom_attrs={"aria-label": t("calendars.copy")},
                    ),
                    align="center",
                    wrap="wrap",
                ),
                spacing="1",
            ),
            width="100%",
        ),
    )  # fmt: skip


def _calendar(row: rx.Var) -> rx.Component:
    actions = rx.hstack(
        rx.button(t("calendars.edit"), size="1", variant="soft", on_click=S.edit(row["id"])),
        rx.button(t("calendars.new_feed"), size="1", variant="soft",
                  on_click=S.new_feed(row["id"])),
        rx.cond(S.calendar_rows.length() > 1, rx.button(
            t("calendars.retire"), size="1", variant="ghost", color_scheme="red",
            on_click=S.retire(row["id"]))),
        wrap="wrap",
    )  # fmt: skip
    return rx.vstack(
        rx.flex(
            rx.text(row["name"], weight="medium"),
            rx.badge(rx.cond(row["own_hours"], t("calendars.own_hours"),
                             t("calendars.business_hours")), color_scheme="gray"),
            rx.cond(row["has_feed"], rx.badge(t("calendars.has_feed"))),
            rx.spacer(),
            actions,
            gap="2",
            align="center",
            wrap="wrap",
            width="100%",
        ),
        _feed(row),
        rx.cond(S.editing == row["id"], _editor()),
        width="100%",
        padding_y="0.5em",
        border_bottom="1px solid var(--gray-a4)",
        custom_attrs={"data-testid": "calendar-row"},
    )  # fmt: skip


def _editor() -> rx.Component:
    return rx.vstack(
        field("calendars.name", rx.input(id="calendar-edit-name", value=S.edit_name,
                                         on_change=S.set_edit_name, max_length=100)),
        rx.el.label(
            rx.checkbox(checked=S.edit_own_hours, on_change=S.set_edit_own_hours,
                        id="calendar-own-hours",
                        custom_attrs={"aria-label": t("calendars.use_own_hours")}),
            t("calendars.use_own_hours"),
            style={"display": "flex", "gap": "0.5rem", "align_items": "center"},
        ),
        rx.cond(S.edit_own_hours, hours_editor(S)),
        rx.hstack(
            rx.button(t("calendars.save"), on_click=S.save_calendar, id="calendar-save"),
            rx.button(t("calendars.cancel"), variant="soft", on_click=S.stop_editing),
        ),
        width="100%",
        spacing="3",
        padding="0.75em",
        border="1px solid var(--gray-a5)",
        border_radius="var(--radius-3)",
    )  # fmt: skip


def _type(row: rx.Var) -> rx.Component:
    return rx.hstack(
        rx.text(row["name"], weight="medium"),
        rx.badge(row["minutes"].to(str) + "′"),
        rx.spacer(),
        rx.button(t("calendars.remove_type"), size="1", variant="ghost", color_scheme="red",
                  on_click=S.remove_type(row["id"])),
        width="100%",
        align="center",
        padding_y="0.4em",
        border_bottom="1px solid var(--gray-a4)",
        custom_attrs={"data-testid": "type-row"},
    )  # fmt: skip


def _add_row(form_id: str, *controls: rx.Component, on_submit: rx.EventHandler) -> rx.Component:
    return rx.form(
        rx.flex(*controls, gap="2", align="end", wrap="wrap", width="100%"),
        on_submit=on_submit,
        id=form_id,
        width="100%",
    )


def _texts() -> rx.Component:
    return rx.vstack(
        rx.heading(t("calendars.texts"), size="3", padding_top="1em"),
        hint("calendars.texts_hint"),
        rx.el.label(
            rx.checkbox(checked=S.texts_on, on_change=S.set_texts_on, id="texts-on",
                        custom_attrs={"aria-label": t("calendars.texts_on")}),
            t("calendars.texts_on"),
            style={"display": "flex", "gap": "0.5rem", "align_items": "center"},
        ),
        rx.flex(
            rx.box(field("calendars.remind_hours", rx.input(
                id="remind-hours", value=S.remind_hours, on_change=S.set_remind_hours,
                dir="ltr", width="10em"), "calendars.remind_hours_hint")),
            rx.button(t("calendars.save"), on_click=S.save_texts, id="texts-save"),
            gap="2",
            align="center",
            wrap="wrap",
        ),
        width="100%",
        spacing="2",
    )  # fmt: skip


def calendars_section() -> rx.Component:
    """Calendars (rename, hours, feed link, retire, add) and appointment types (add, remove)."""
    return rx.vstack(
        rx.heading(t("settings.section.calendars"), size="4"),
        hint("calendars.hint"),
        rx.cond(S.calendar_error != "",
                rx.callout(S.calendar_error, color_scheme="red", id="calendar-error")),
        rx.vstack(rx.foreach(S.calendar_rows, _calendar), width="100%", spacing="0"),
        _add_row(
            "calendar-add-form",
            rx.box(field("calendars.new_name", rx.input(name="name", id="calendar-name",
                                                        required=True)), flex="1"),
            rx.button(t("calendars.add"), type="submit", id="calendar-add"),
            on_submit=S.add_calendar,
        ),
        rx.heading(t("calendars.types"), size="3", padding_top="1em"),
        hint("calendars.types_hint"),
        rx.vstack(rx.foreach(S.type_rows, _type), width="100%", spacing="0"),
        _add_row(
            "type-add-form",
            rx.box(field("calendars.type_name", rx.input(name="name", id="type-name",
                                                         required=True)), flex="1"),
            field("calendars.minutes", rx.input(name="minutes", id="type-minutes", type="number",
                                                min=5, max=480, default_value="30", width="6em")),
            rx.button(t("calendars.add_type"), type="submit", id="type-add"),
            on_submit=S.add_type,
        ),
        _texts(),
        spacing="3",
        width="100%",
    )  # fmt: skip
