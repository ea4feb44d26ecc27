"""The Voice agent section of the settings page (owners and admins)."""

from __future__ import annotations

import reflex as rx

from crm_app.components.fields import NATIVE_SELECT, field, hint
from crm_app.components.i18n import label, t, tf
from crm_app.services.agent_templates import TEMPLATES
from crm_app.state.agent import VOICES, AgentState

S = AgentState


def _templates() -> rx.Component:
    options = [
        rx.el.option(
            rx.cond(S.is_en, TEMPLATES[kind]["en"].title, TEMPLATES[kind]["he"].title), value=kind
        )
        for kind in TEMPLATES
    ]
    return rx.form(
        rx.flex(
            label("agent.template", "agent-template"),
            rx.el.select(*options, name="template", id="agent-template", class_name=NATIVE_SELECT),
            rx.button(
                t("agent.use_template"), type="submit", variant="soft", id="agent-use-template"
            ),
            gap="2",
            align="center",
            wrap="wrap",
        ),
        hint("agent.template_hint"),
        on_submit=S.use_template,
    )


def _number(name: str, value: rx.Var, low: int, high: int, **props: object) -> rx.Component:
    return rx.input(
        name=name,
        id=f"agent-{name.replace('_', '-')}",
        type="number",
        min=low,
        max=high,
        default_value=value.to(str),
        dir="ltr",
        width="8em",
        **props,
    )


def _collect() -> rx.Component:
    def row(field: rx.Var) -> rx.Component:
        return rx.hstack(
            rx.cond(
                field["builtin"],
                rx.el.label(
                    rx.checkbox(
                        checked=field["on"],
                        on_change=lambda _: S.toggle_field(field["key"]),
                        custom_attrs={"aria-label": field["label"]},
                    ),
                    field["label"],
                    style={"display": "flex", "gap": "0.4em", "alignItems": "center"},
                ),
                rx.hstack(
                    rx.badge(field["label"], size="2"),
                    rx.icon_button(
                        rx.icon("x", size=12),
                        type="button",
                        size="1",
                        variant="ghost",
                        color_scheme="red",
                        on_click=S.remove_field(field["key"]),
                        custom_attrs={"aria-label": t("agent.remove_field")},
                    ),
                    align="center",
                    spacing="1",
                ),
            ),
            custom_attrs={"data-testid": "collect-field"},
        )

    return rx.vstack(
        rx.heading(t("agent.collect"), size="3"),
        hint("agent.collect_hint"),
        rx.flex(rx.foreach(S.asked, row), gap="3", wrap="wrap"),
        rx.hstack(
            rx.input(
                value=S.new_field,
                on_change=S.set_new_field,
                placeholder=t("agent.new_field"),
                id="agent-new-field",
                name="new_field",  # submitted with the form, which reads its own fields
                max_length=80,
            ),
            rx.button(
                t("agent.add_field"),
                type="button",
                variant="soft",
                on_click=S.add_own_field,
                id="agent-add-field",
            ),
            spacing="2",
            align="center",
        ),
        spacing="2",
        width="100%",
    )


def _booking() -> rx.Component:
    return rx.vstack(
        rx.heading(t("agent.booking"), size="3"),
        rx.el.label(
            rx.checkbox(
                name="books_appointments",
                default_checked=S.books_appointments,
                id="agent-books",
                custom_attrs={"aria-label": t("agent.books_appointments")},
            ),
            t("agent.books_appointments"),
            style={"display": "flex", "gap": "0.4em", "alignItems": "center"},
        ),
        rx.flex(
            field("agent.slot_minutes", _number("slot_minutes", S.slot_minutes, 5, 240)),
            field(
                "agent.booking_window_days",
                _number("booking_window_days", S.booking_window_days, 1, 365),
            ),
            field(
                "agent.min_notice_minutes",
                _number("min_notice_minutes", S.min_notice_minutes, 0, 10080),
            ),
            gap="4",
            wrap="wrap",
        ),
        spacing="2",
        width="100%",
    )


def _limits() -> rx.Component:
    return rx.vstack(
        rx.heading(t("agent.limits"), size="3"),
        hint("agent.limits_hint"),
        rx.flex(
            field(
                "agent.silence_seconds",
                _number(
                    "silence_seconds", S.silence_seconds, 5, 600, placeholder=S.default_silence
                ),
            ),
            field(
                "agent.max_call_seconds",
                _number(
                    "max_call_seconds", S.max_call_seconds, 30, 3600, placeholder=S.default_max_call
                ),
            ),
            gap="4",
            wrap="wrap",
        ),
        spacing="2",
        width="100%",
    )


def _settings_form() -> rx.Component:
    return rx.form(
        rx.vstack(
            rx.card(
                rx.vstack(
                    field(
                        "agent.instructions",
                        rx.text_area(
                            name="instructions",
                            default_value=S.instructions,
                            id="agent-instructions",
                            dir="auto",
                            rows="10",
                            width="100%",
                            max_length=8000,
                        ),
                        "agent.instructions_hint",
                    ),
                    field(
                        "agent.greeting",
                        rx.text_area(
                            name="greeting",
                            default_value=S.greeting,
                            id="agent-greeting",
                            dir="auto",
                            rows="2",
                            width="100%",
                            max_length=500,
                        ),
                    ),
                    rx.flex(
                        field(
                            "agent.voice",
                            rx.el.select(
                                *[rx.el.option(v, value=v) for v in VOICES],
                                name="voice",
                                default_value=S.voice,
                                id="agent-voice",
                                class_name=NATIVE_SELECT,
                            ),
                        ),
                        field(
                            "agent.language",
                            rx.el.select(
                                rx.el.option(t("agent.language_business"), value=""),
                                rx.el.option(t("language.he"), value="he"),
                                rx.el.option(t("language.en"), value="en"),
                                name="locale",
                                default_value=S.agent_locale,
                                id="agent-language",
                                class_name=NATIVE_SELECT,
                            ),
                        ),
                        gap="4",
                        wrap="wrap",
                    ),
                    spacing="3",
                    width="100%",
                ),
                width="100%",
            ),
            rx.card(_collect(), width="100%"),
            rx.card(_booking(), width="100%"),
            rx.card(_limits(), width="100%"),
            rx.cond(S.error != "", rx.callout(S.error, color_scheme="red", id="agent-error")),
            rx.hstack(
                rx.button(t("agent.save"), type="submit", id="agent-save"),
                rx.text(tf("agent.current_revision", number=S.revision), size="2"),
                align="center",
                spacing="3",
            ),
            rx.card(_test_call(), width="100%"),
            spacing="3",
            width="100%",
        ),
        on_submit=S.save,
        key=S.version,
        width="100%",
    )


def _diff_line(line: rx.Var) -> rx.Component:
    return rx.el.div(
        rx.text(rx.match(line["sign"], ("+", "+ "), ("-", "− "), ""), as_="span", weight="bold"),
        line["text"],
        style={
            "whiteSpace": "pre-wrap",
            "fontSize": "0.85em",
            "padding": "0 0.4em",
            "background": rx.match(
                line["sign"], ("+", "var(--green-a3)"), ("-", "var(--red-a3)"), "transparent"
            ),
        },
    )


def _revision(row: rx.Var) -> rx.Component:
    return rx.box(
        rx.flex(
            rx.badge(tf("agent.revision_number", number=row["number"]), size="2"),
            rx.text(row["author"], size="2", weight="medium"),
            rx.text(row["when"], size="2", color_scheme="gray"),
            rx.cond(
                row["restored_from"] > 0,
                rx.badge(tf("agent.restored_from", number=row["restored_from"]), variant="soft"),
            ),
            rx.cond(
                row["current"],
                rx.badge(t("agent.current"), color_scheme="green"),
                rx.button(
                    t("agent.restore"),
                    size="1",
                    variant="soft",
                    on_click=S.restore(row["number"]),
                    custom_attrs={"data-testid": "restore-revision"},
                ),
            ),
            gap="2",
            align="center",
            wrap="wrap",
        ),
        rx.foreach(
            row["changes"],
            lambda change: rx.box(
                rx.text(change["field"], size="1", weight="medium", color_scheme="gray"),
                rx.foreach(change["lines"], _diff_line),
                padding_top="0.3em",
            ),
        ),
        padding_y="0.6em",
        border_bottom="1px solid var(--gray-a4)",
        custom_attrs={"data-testid": "agent-revision", "data-number": row["number"]},
    )


def _test_call() -> rx.Component:
    line = lambda row: rx.hstack(  # noqa: E731
        rx.text(row["speaker"], weight="bold", size="2", min_width="5em"),
        rx.text(row["text"], size="2", dir="auto"),
        align="start",
        custom_attrs={"data-testid": "test-line"},
    )
    return rx.vstack(
        rx.heading(t("agent.test_call"), size="3"),
        hint("agent.test_call_hint"),
        rx.button(
            rx.cond(S.test_running, rx.spinner(size="1"), rx.icon("phone-call", size=14)),
            rx.cond(S.test_running, t("agent.test_running"), t("agent.test_call_start")),
            type="submit",  # the form, as it is now, answers the test call (not saved)
            on_click=S.mark_test,
            disabled=S.test_running,
            variant="outline",
            id="agent-test-call",
        ),
        rx.box(
            rx.foreach(S.test_lines, line),
            id="test-call-lines",
            width="100%",
            custom_attrs={"aria-live": "polite"},
        ),
        rx.cond(
            S.test_call_id > 0,
            rx.link(
                t("agent.test_open_call"),
                href="/calls?call=" + S.test_call_id.to_string(),
                id="test-call-link",
            ),
        ),
        rx.cond(
            S.test_error != "", rx.callout(S.test_error, color_scheme="red", id="test-call-error")
        ),
        spacing="2",
        width="100%",
    )


def _talk() -> rx.Component:
    labels = {
        "data-agent": t("calls.speaker.agent"),
        "data-caller": t("calls.speaker.caller"),
        "data-connecting": t("agent.talk_connecting"),
        "data-live": t("agent.talk_live"),
        "data-ended": t("agent.talk_ended"),
        "data-nomic": t("agent.talk_no_microphone"),
    }
    return rx.vstack(
        rx.script(src="/talk.js"),
        rx.heading(t("agent.talk"), size="3"),
        hint("agent.talk_hint"),
        rx.hstack(
            rx.button(
                rx.icon("mic", size=14),
                t("agent.talk_start"),
                on_click=rx.call_script("window.crmTalk.start()"),
                variant="outline",
                id="talk-start",
            ),
            rx.button(
                rx.icon("phone-off", size=14),
                t("agent.talk_stop"),
                on_click=rx.call_script("window.crmTalk.stop()"),
                variant="soft",
                color_scheme="red",
                id="talk-stop",
            ),
            rx.text("", id="talk-status", size="2", custom_attrs={"aria-live": "polite"}),
            align="center",
            wrap="wrap",
            spacing="2",
        ),
        rx.box(id="talk-lines", width="100%", custom_attrs=labels),
        rx.el.a(
            t("agent.test_open_call"), id="talk-call-link", href="#", custom_attrs={"hidden": True}
        ),
        spacing="2",
        width="100%",
    )


def _history() -> rx.Component:
    return rx.vstack(
        rx.heading(t("agent.history"), size="3"),
        hint("agent.history_hint"),
        rx.box(rx.foreach(S.history, _revision), width="100%"),
        spacing="2",
        width="100%",
    )


def agent_section() -> rx.Component:
    """The agent's instructions, voice, fields, booking and limits; its revisions."""
    return rx.vstack(
        rx.card(_templates(), width="100%"),
        _settings_form(),
        rx.card(_talk(), width="100%"),
        rx.card(_history(), width="100%"),
        spacing="4",
        max_width="48em",
        width="100%",
    )
