"""The lead page's tabs: Activity, Notes, Calls, Tasks, Files, Appointments."""

from __future__ import annotations

import reflex as rx

from crm_app.components.calls import call_detail
from crm_app.components.i18n import bidi_text, t
from crm_app.components.notes import attachment_chip
from crm_app.state.calls import CallViewState
from crm_app.state.lead import LeadState


def _timeline_entry(item: rx.Var) -> rx.Component:
    return rx.hstack(
        rx.icon(item["icon"], size=18, color="var(--accent-9)"),
        rx.vstack(
            rx.hstack(
                rx.text(item["title"], weight="medium"),
                rx.spacer(),
                rx.text(item["when"], size="1", color_scheme="gray"),
                width="100%",
            ),
            rx.cond(
                item["detail"] != "",
                bidi_text(item["runs"], size="2", custom_attrs={"data-testid": "timeline-text"}),
            ),
            rx.cond(
                item["files"].to(list[dict[str, str]]).length() > 0,
                rx.hstack(
                    rx.foreach(
                        item["files"].to(list[dict[str, str]]), lambda f: attachment_chip(f)
                    ),
                    wrap="wrap",
                    spacing="2",
                    custom_attrs={"data-testid": "timeline-files"},
                ),
            ),
            rx.cond(item["actor"] != "", rx.text(item["actor"], size="1", color_scheme="gray")),
            spacing="1",
            width="100%",
        ),
        align="start",
        spacing="3",
        width="100%",
        padding_y="0.6em",
        border_bottom="1px solid var(--gray-a4)",
        custom_attrs={"data-testid": "timeline-item", "data-kind": item["kind"]},
    )


def activity_tab(quick_add: rx.Component | None = None) -> rx.Component:
    """Everything that happened to the lead, newest first, under a quick-add composer."""
    return rx.vstack(
        quick_add or rx.fragment(),
        rx.foreach(LeadState.timeline, _timeline_entry),
        width="100%",
        spacing="2",
    )


def _call_row(call: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(call["when"]),
        rx.table.cell(call["direction"]),
        rx.table.cell(call["status"]),
        rx.table.cell(call["duration"]),
        rx.table.cell(
            rx.cond(call["has_recording"], rx.icon("audio-lines", size=16), rx.fragment())
        ),
        rx.table.cell(rx.text(call["summary"], dir="auto", size="2", trim="both")),
        on_click=CallViewState.open_call(call["id"]),
        cursor="pointer",
        custom_attrs={"data-testid": "lead-call", "data-call-id": call["id"]},
    )


def calls_tab() -> rx.Component:
    """The lead's calls; a click opens one (player, transcript, summary) below."""
    return rx.cond(
        LeadState.calls.length() > 0,
        rx.vstack(
            rx.box(_calls_table(), overflow_x="auto", width="100%"),  # scrolls alone on a phone
            call_detail(),
            width="100%",
            spacing="3",
        ),
        rx.text(t("lead.no_calls"), color_scheme="gray"),
    )


def _calls_table() -> rx.Component:
    return rx.table.root(
        rx.table.header(
            rx.table.row(
                *[
                    rx.table.column_header_cell(t(f"calls.col.{c}"))
                    for c in ("when", "direction", "status", "duration", "recording")
                ],
                rx.table.column_header_cell(t("calls.col.summary")),
            )
        ),
        rx.table.body(rx.foreach(LeadState.calls, _call_row)),
        width="100%",
    )


def notes_tab() -> rx.Component:
    """Notes (the composer arrives with the notes feature)."""
    return rx.vstack(
        rx.foreach(LeadState.timeline, lambda i: rx.cond(i["kind"] == "note", _timeline_entry(i))),
        width="100%",
    )


def lead_tabs(
    notes: rx.Component | None = None,
    files: rx.Component | None = None,
    tasks: rx.Component | None = None,
    appointments: rx.Component | None = None,
    quick_add: rx.Component | None = None,
    on_change: rx.EventHandler | None = None,
) -> rx.Component:
    """The tab strip; the notes, tasks and booking features supply their panels and quick-add."""
    return rx.tabs.root(
        rx.tabs.list(
            *[
                rx.tabs.trigger(t(f"lead.tab.{name}"), value=name, id=f"tab-{name}")
                for name in ("activity", "notes", "calls", "tasks", "files", "appointments")
            ],
            overflow_x="auto",  # a phone scrolls the tab strip, never the page
            overflow_y="hidden",
            max_width="100%",
        ),
        rx.tabs.content(activity_tab(quick_add), value="activity", padding_top="1em"),
        rx.tabs.content(notes or notes_tab(), value="notes", padding_top="1em"),
        rx.tabs.content(calls_tab(), value="calls", padding_top="1em"),
        rx.tabs.content(tasks or rx.fragment(), value="tasks", padding_top="1em"),
        rx.tabs.content(files or rx.fragment(), value="files", padding_top="1em"),
        rx.tabs.content(appointments or rx.fragment(), value="appointments", padding_top="1em"),
        value=LeadState.tab,
        on_change=on_change or LeadState.set_tab,
        width="100%",
    )
