"""The pipeline editor on the settings page (owners and admins)."""

from __future__ import annotations

import reflex as rx

from crm_app.components.i18n import t
from crm_app.services.statuses import COLORS
from crm_app.state.settings import SettingsState

_CELL = {"flex": "0 0 auto"}


def _swatch(color: str) -> rx.Component:
    return rx.box(
        width="0.9em",
        height="0.9em",
        border_radius="50%",
        background=f"var(--{color}-9)",
        flex_shrink="0",
    )


def _color_select(default: rx.Var | str, name: rx.Var | str = "color") -> rx.Component:
    """A colour picker: a swatch and the colour's name in the user's language."""
    return rx.select.root(
        rx.select.trigger(width="9em", custom_attrs={"aria-label": t("settings.status.color")}),
        rx.select.content(
            *[
                rx.select.item(
                    rx.hstack(_swatch(c), t(f"color.{c}"), spacing="2", align="center"),
                    value=c,
                )
                for c in COLORS
            ]
        ),
        name=name,
        default_value=default,
    )


def _field(name: str, status: rx.Var) -> rx.Var:
    return name + "-" + status["id"].to_string()


def _status_row(status: rx.Var) -> rx.Component:
    label = rx.cond(SettingsState.is_en, status["label_en"], status["label_he"])
    return rx.hstack(
        rx.badge(label, color_scheme=status["color"], width="8em", style=_CELL),
        rx.input(
            name=_field("label_he", status),
            default_value=status["label_he"],
            dir="rtl",
            width="11em",
            custom_attrs={"aria-label": t("settings.status.label_he")},
        ),
        rx.input(
            name=_field("label_en", status),
            default_value=status["label_en"],
            dir="ltr",
            width="11em",
            custom_attrs={"aria-label": t("settings.status.label_en")},
        ),
        _color_select(status["color"], _field("color", status)),
        rx.el.label(
            rx.checkbox(
                name=_field("closed", status),
                default_checked=status["closed"],
                custom_attrs={"aria-label": t("settings.status.closed")},
            ),
            t("settings.status.closed"),
            style={"display": "flex", "gap": "0.3em", "width": "7em"},
        ),
        _row_buttons(status),
        align="center",
        spacing="2",
        wrap="wrap",
        custom_attrs={"data-testid": "status-row"},
    )


def _row_buttons(status: rx.Var) -> rx.Component:
    return rx.hstack(
        rx.icon_button(
            rx.icon("arrow-up", size=14),
            type="button",
            size="1",
            variant="ghost",
            on_click=SettingsState.move(status["id"], -1),
            custom_attrs={"aria-label": t("settings.status.move_up")},
        ),
        rx.icon_button(
            rx.icon("arrow-down", size=14),
            type="button",
            size="1",
            variant="ghost",
            on_click=SettingsState.move(status["id"], 1),
            custom_attrs={"aria-label": t("settings.status.move_down")},
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
                custom_attrs={"aria-label": t("settings.status.delete")},
            ),
        ),
        spacing="2",
        align="center",
    )


def _pipeline_form() -> rx.Component:
    """Every status in one form with one save."""
    return rx.form(
        rx.vstack(
            rx.foreach(SettingsState.pipeline, _status_row),
            rx.button(t("settings.status.save_all"), type="submit", id="save-statuses"),
            spacing="3",
        ),
        on_submit=SettingsState.save_pipeline,
        id="status-editor",
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
                custom_attrs={"aria-label": t("settings.status.label_he")},
            ),
            rx.input(
                name="label_en",
                placeholder=t("settings.status.label_en"),
                dir="ltr",
                id="new-status-en",
                width="11em",
                custom_attrs={"aria-label": t("settings.status.label_en")},
            ),
            _color_select("gray"),
            rx.el.label(
                rx.checkbox(
                    name="closed", custom_attrs={"aria-label": t("settings.status.closed")}
                ),
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
            _pipeline_form(),
            rx.divider(),
            _new_status(),
            spacing="3",
        ),
        width="100%",
    )
