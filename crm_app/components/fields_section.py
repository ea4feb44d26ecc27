"""Settings: the business's own lead fields (text, number, date or a choice), and adding one."""

from __future__ import annotations

import reflex as rx

from crm_app.components.fields import NATIVE_SELECT, field, hint
from crm_app.components.i18n import t
from crm_app.state.fields import FieldsState

KINDS = ("text", "number", "date", "choice")


def _row(row: rx.Var) -> rx.Component:
    return rx.hstack(
        rx.vstack(
            rx.text(row["label_he"], " · ", row["label_en"], weight="medium"),
            rx.text(
                row["kind"],
                rx.cond(row["choices"] != "", ": " + row["choices"].to(str), ""),
                size="1",
                color_scheme="gray",
            ),
            spacing="1",
        ),  # fmt: skip
        rx.spacer(),
        rx.code(row["key"], size="1"),
        width="100%",
        align="center",
        padding_y="0.5em",
        border_bottom="1px solid var(--gray-a4)",
        custom_attrs={"data-testid": "lead-field", "data-key": row["key"]},
    )


def _form() -> rx.Component:
    kind = rx.el.select(
        *[rx.el.option(t(f"fields.kind.{k}"), value=k) for k in KINDS],
        name="kind",
        id="field-kind",
        class_name=NATIVE_SELECT,
    )
    return rx.form(
        rx.vstack(
            field("fields.label_he", rx.input(name="label_he", id="field-label-he", dir="rtl")),
            field("fields.label_en", rx.input(name="label_en", id="field-label-en", dir="ltr")),
            rx.el.label(t("fields.kind"), html_for="field-kind", font_weight="500"),
            kind,
            field(
                "fields.choices",
                rx.input(name="choices", id="field-choices"),
                "fields.choices_hint",
            ),
            rx.cond(
                FieldsState.field_error != "",
                rx.callout(FieldsState.field_error, color_scheme="red", id="field-error"),
            ),
            rx.button(t("fields.add"), type="submit", id="field-add"),
            spacing="3",
            width="100%",
            max_width="30em",
        ),  # fmt: skip
        on_submit=FieldsState.add,
    )


def fields_section() -> rx.Component:
    """The list of fields and the form that adds one."""
    return rx.vstack(
        rx.heading(t("settings.section.fields"), size="4"),
        hint("fields.hint"),
        rx.cond(
            FieldsState.lead_fields.length() > 0,
            rx.vstack(rx.foreach(FieldsState.lead_fields, _row), width="100%", spacing="0"),
            rx.text(t("fields.none"), color_scheme="gray", size="2"),
        ),
        _form(),
        spacing="4",
        width="100%",
    )
