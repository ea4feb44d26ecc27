"""The lead's Details card (what the caller wants, the business's own fields), and its inputs."""

from __future__ import annotations

import reflex as rx

from crm_app.components.fields import NATIVE_SELECT
from crm_app.components.i18n import bidi_text, t
from crm_app.state.lead import LeadState

URGENCIES = ("none", "low", "normal", "high")


def _detail(row: rx.Var) -> rx.Component:
    return rx.vstack(
        rx.text(row["label"], size="1", color_scheme="gray"),
        bidi_text(row["runs"], size="2"),
        spacing="1",
        min_width="10em",
        custom_attrs={"data-testid": "lead-detail", "data-key": row["key"]},
    )


def _suggestion(row: rx.Var) -> rx.Component:
    return rx.hstack(
        rx.icon("sparkles", size=16, color="var(--accent-9)"),
        rx.text(
            rx.text.strong(row["label"]),
            ": ",
            rx.el.bdi(row["value"]),
            rx.cond(
                row["current"] != "",
                rx.text.span(
                    " (",
                    t("lead.suggestion_now"),
                    " ",
                    rx.el.bdi(row["current"]),
                    ")",
                    color_scheme="gray",
                ),
            ),  # fmt: skip
            size="2",
        ),
        rx.spacer(),
        rx.button(
            t("lead.accept"),
            size="1",
            on_click=LeadState.resolve_suggestion(row["key"], True),
            custom_attrs={"data-testid": "suggestion-accept"},
        ),
        rx.button(
            t("lead.dismiss"),
            size="1",
            variant="soft",
            color_scheme="gray",
            on_click=LeadState.resolve_suggestion(row["key"], False),
            custom_attrs={"data-testid": "suggestion-dismiss"},
        ),
        wrap="wrap",
        align="center",
        width="100%",
        custom_attrs={"data-testid": "suggestion", "data-key": row["key"]},
    )


def details_card() -> rx.Component:
    """What the caller wants and the business's fields; the AI's suggestions to accept."""
    return rx.cond(
        (LeadState.details.length() > 0) | (LeadState.suggestions.length() > 0),
        rx.card(
            rx.vstack(
                rx.cond(
                    LeadState.details.length() > 0,
                    rx.hstack(rx.foreach(LeadState.details, _detail), wrap="wrap", spacing="5"),
                ),
                rx.cond(
                    LeadState.suggestions.length() > 0,
                    rx.vstack(
                        rx.text(t("lead.suggestions"), size="2", weight="medium"),
                        rx.foreach(LeadState.suggestions, _suggestion),
                        spacing="2",
                        width="100%",
                    ),
                ),
                spacing="3",
                width="100%",
            ),
            width="100%",
            id="lead-details",
        ),
    )


def _labelled(label: rx.Var | str, control: rx.Component, html_for: str) -> rx.Component:
    return rx.vstack(
        rx.el.label(label, html_for=html_for, font_size="var(--font-size-2)", font_weight="500"),
        control,
        spacing="1",
        width="100%",
    )


def _custom_input(item: rx.Var) -> rx.Component:
    control_id = "edit-" + item["name"].to(str)
    choice = rx.el.select(
        rx.el.option("—", value=""),
        rx.foreach(item["choices"].to(list[str]), lambda c: rx.el.option(c, value=c)),
        name=item["name"],
        default_value=item["value"],
        id=control_id,
        class_name=NATIVE_SELECT,
    )
    kind = item["kind"]
    plain = rx.input(
        name=item["name"],
        default_value=item["value"],
        type=rx.cond(kind == "number", "number", rx.cond(kind == "date", "date", "text")),
        step="any",
        id=control_id,
        width="100%",
    )
    return _labelled(item["label"], rx.cond(kind == "choice", choice, plain), control_id)


def call_inputs() -> list[rx.Component]:
    """The edit dialog's inputs for what the caller wants and the business's own fields."""
    lead = LeadState.lead
    urgency = rx.el.select(
        *[rx.el.option(t(f"lead.urgency.{u}"), value=u) for u in URGENCIES],
        name="urgency",
        default_value=lead["urgency"],
        id="edit-urgency",
        class_name=NATIVE_SELECT,
    )
    return [
        _labelled(
            t("lead.field.reason"),
            rx.text_area(
                name="reason", default_value=lead["reason"], id="edit-reason", width="100%"
            ),
            "edit-reason",
        ),  # fmt: skip
        _labelled(
            t("lead.field.service"),
            rx.input(
                name="service", default_value=lead["service"], id="edit-service", width="100%"
            ),
            "edit-service",
        ),  # fmt: skip
        _labelled(t("lead.field.urgency"), urgency, "edit-urgency"),
        rx.foreach(LeadState.field_inputs, _custom_input),
    ]
