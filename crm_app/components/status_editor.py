"""The pipeline editor on the settings page (owners and admins)."""

from __future__ import annotations

import reflex as rx

from crm_app.components.i18n import t
from crm_app.state.settings import SettingsState


def _color_select(default: rx.Var | str) -> rx.Component:
    return rx.select.root(
        rx.select.trigger(),
        rx.select.content(
            rx.foreach(
                SettingsState.colors, lambda c: rx.select.item(rx.badge(c, color_scheme=c), value=c)
            )
        ),
        name="color",
        default_value=default,
    )


def _status_row(status: rx.Var) -> rx.Component:
    return rx.form(
        rx.hstack(
            rx.el.input(type="hidden", name="id", value=status["id"]),
            rx.badge(status["key"], color_scheme=status["color"], min_width="8em"),
            rx.input(name="label_he", default_value=status["label_he"], dir="rtl", width="11em"),
            rx.input(name="label_en", default_value=status["label_en"], dir="ltr", width="11em"),
            _color_select(status["color"]),
            rx.el.label(
                rx.checkbox(name="closed", default_checked=status["closed"]),
                t("settings.status.closed"),
                style={"display": "flex", "gap": "0.3em"},
            ),
            rx.button(t("lead.save"), type="submit", size="1", variant="soft"),
            rx.icon_button(
                rx.icon("arrow-up", size=14),
                type="button",
                size="1",
                variant="ghost",
                on_click=SettingsState.move(status["id"], -1),
            ),
            rx.icon_button(
                rx.icon("arrow-down", size=14),
                type="button",
                size="1",
                variant="ghost",
                on_click=SettingsState.move(status["id"], 1),
            ),
            rx.cond(
                ~status["default"],
                rx.icon_button(
                    rx.icon("trash-2", size=14),
                    type="button",
                    size="1",
                    color_scheme="red",
                    variant="ghost",
                    on_click=SettingsState.delete(status["id"]),
                ),
            ),
            align="center",
            spacing="2",
            wrap="wrap",
        ),
        on_submit=SettingsState.save_status,
        custom_attrs={"data-testid": "status-row"},
    )


def _new_status() -> rx.Component:
    return rx.form(
        rx.hstack(
            rx.input(
                name="label_he",
                placeholder=t("settings.status.label_he"),
                dir="rtl",
                id="new-status-he",
                width="11em",
            ),
            rx.input(
                name="label_en",
                placeholder=t("settings.status.label_en"),
                dir="ltr",
                id="new-status-en",
                width="11em",
            ),
            _color_select("gray"),
            rx.el.label(
                rx.checkbox(name="closed"),
                t("settings.status.closed"),
                style={"display": "flex", "gap": "0.3em"},
            ),
            rx.button(t("settings.status.add"), type="submit", id="add-status"),
            align="center",
            spacing="2",
            wrap="wrap",
        ),
        on_submit=SettingsState.add_status,
        reset_on_submit=True,
    )


def status_editor() -> rx.Component:
    """Add, rename, recolour, reorder, open/close and delete statuses."""
    return rx.card(
        rx.vstack(
            rx.heading(t("settings.statuses"), size="4"),
            rx.text(t("settings.statuses_hint"), size="2", color_scheme="gray"),
            rx.cond(
                SettingsState.status_error != "",
                rx.callout(SettingsState.status_error, color_scheme="red", id="status-error"),
            ),
            rx.foreach(SettingsState.pipeline, _status_row),
            rx.divider(),
            _new_status(),
            spacing="3",
        ),
        width="100%",
    )
