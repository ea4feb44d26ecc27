"""Calls: the filter bar and the detail panel (player, transcript, summary)."""

from __future__ import annotations

import reflex as rx

from crm_app.components.i18n import ltr, t, tf
from crm_app.components.listing import date_filter
from crm_app.services.call_query import STATUSES
from crm_app.state.calls import ALL, SPEEDS, CallsState, CallViewState
from crm_app.state.session import SessionState


# ---- the list -------------------------------------------------------------------------------
def _select(
    value: rx.Var,
    handler: rx.EventHandler,
    id_: str,
    items: list[tuple[str, rx.Var]],
    name_key: str,
) -> rx.Component:
    return rx.select.root(
        rx.select.trigger(id=id_, custom_attrs={"aria-label": t(name_key)}),
        rx.select.content(*[rx.select.item(label, value=v) for v, label in items]),
        value=value,
        on_change=handler,
    )


def call_filters() -> rx.Component:
    """Phone search, direction, status, recording and dates; each rewrites the URL."""
    return rx.hstack(
        rx.input(
            rx.input.slot(rx.icon("search", size=16)),
            placeholder=t("calls.search"),
            value=CallsState.q,
            on_change=CallsState.search,
            debounce_timeout=400,
            id="call-search",
            type="search",
            dir="ltr",
            width="16em",
        ),
        _select(
            CallsState.direction,
            CallsState.set_direction,
            "call-direction",
            [
                (ALL, t("calls.filter.all_directions")),
                ("inbound", t("calls.direction.inbound")),
                ("outbound", t("calls.direction.outbound")),
            ],
            "calls.col.direction",
        ),
        _select(
            CallsState.status,
            CallsState.set_status,
            "call-status",
            [(ALL, t("calls.filter.all_statuses"))]
            + [(s, t(f"calls.status.{s}")) for s in STATUSES],
            "calls.col.status",
        ),
        _select(
            CallsState.recording,
            CallsState.set_recording,
            "call-recording",
            [
                (ALL, t("calls.filter.any_recording")),
                ("true", t("calls.filter.with_recording")),
                ("false", t("calls.filter.without_recording")),
            ],
            "calls.col.recording",
        ),
        date_filter(
            "calls.filter.from", CallsState.date_from, CallsState.set_date_from, "call-from"
        ),
        date_filter("calls.filter.to", CallsState.date_to, CallsState.set_date_to, "call-to"),
        rx.cond(
            CallsState.lead_id != "",
            rx.badge(
                tf("calls.filter.lead", name=CallsState.lead_name),
                rx.icon("x", size=12, on_click=CallsState.clear_lead, cursor="pointer"),
                size="2",
                id="call-lead-filter",
            ),
        ),
        rx.cond(
            CallsState.has_filters,
            rx.button(
                t("calls.filter.clear"),
                on_click=CallsState.clear_filters,
                variant="ghost",
                id="call-clear-filters",
            ),
        ),
        spacing="3",
        wrap="wrap",
        align="center",
        width="100%",
    )


# ---- one call -------------------------------------------------------------------------------
def _fact(label_key: str, value: rx.Var, id_: str) -> rx.Component:
    return rx.vstack(
        rx.text(t(label_key), size="1", color_scheme="gray"),
        rx.text(value, size="2", id=id_),
        spacing="0",
    )


def _player() -> rx.Component:
    call = CallViewState.call
    return rx.cond(
        call["recording_url"] != "",
        rx.hstack(
            rx.el.audio(
                src=call["recording_url"],
                controls=True,
                preload="metadata",
                id="call-audio",
                key=call["id"],
                style={"width": "100%", "max_width": "32em"},
            ),
            rx.select.root(
                rx.select.trigger(id="call-speed", aria_label=t("calls.detail.speed")),
                rx.select.content(*[rx.select.item(f"{s}×", value=s) for s in SPEEDS]),
                value=CallViewState.speed,
                on_change=CallViewState.set_speed,
            ),
            rx.el.a(
                rx.icon("download", size=16),
                href=call["recording_url"],
                download="",
                target="_blank",
                aria_label=t("calls.detail.download"),
                id="call-download",
            ),
            align="center",
            spacing="3",
            wrap="wrap",
            width="100%",
        ),
        rx.text(t("calls.detail.no_recording"), color_scheme="gray", size="2"),
    )


def _utterance(turn: rx.Var) -> rx.Component:
    agent = turn["speaker"] == "agent"
    return rx.hstack(
        rx.text(turn["at"], size="1", color_scheme="gray", dir="ltr", min_width="3em"),
        rx.vstack(
            rx.hstack(
                rx.text(turn["speaker_label"], size="1", weight="bold"),
                rx.cond(
                    turn["interrupted"],
                    rx.badge(t("calls.detail.interrupted"), color_scheme="amber", size="1"),
                ),
                spacing="2",
            ),
            rx.text(turn["text"], size="2", dir="auto"),
            spacing="1",
            padding="0.5em 0.8em",
            border_radius="0.6em",
            background=rx.cond(agent, "var(--accent-a3)", "var(--gray-a3)"),
            max_width="80%",
        ),
        justify=rx.cond(agent, "start", "end"),
        align="start",
        width="100%",
        custom_attrs={
            "data-testid": "utterance",
            "data-speaker": turn["speaker"],
            "data-interrupted": rx.cond(turn["interrupted"], "1", ""),
        },
    )


def _step(step: rx.Var) -> rx.Component:
    return rx.hstack(
        rx.badge(step["state_label"], color_scheme=step["color"], min_width="6em"),
        rx.text(step["label"], size="2", weight="medium"),
        rx.text(step["message"], size="1", color_scheme="gray", dir="auto"),
        align="center",
        spacing="3",
        custom_attrs={"data-testid": "pipeline-step", "data-state": step["state"]},
    )


def call_detail(on_close: rx.EventHandler | None = None) -> rx.Component:
    """The open call: facts, player, summary, transcript and the post-call steps.

    ``on_close`` is what the close button does (by default, hide the panel).
    """
    call = CallViewState.call
    return rx.cond(
        CallViewState.is_open,
        rx.card(
            rx.vstack(
                rx.hstack(
                    rx.heading(
                        call["direction"] + " · " + call["when"],
                        size="4",
                        id="call-heading",
                        tab_index=-1,
                    ),
                    rx.badge(call["status"]),
                    rx.spacer(),
                    rx.cond(
                        call["lead_id"] != 0,
                        rx.hstack(
                            rx.button(
                                rx.icon("list-plus", size=14),
                                t("tasks.follow_up"),
                                size="1",
                                variant="soft",
                                on_click=CallViewState.follow_up,
                                id="call-follow-up",
                            ),
                            rx.link(
                                t("calls.detail.open_lead"),
                                href="/leads/" + call["lead_id"].to_string(),
                                id="call-open-lead",
                            ),
                            align="center",
                        ),
                    ),
                    rx.icon_button(
                        rx.icon("x", size=16),
                        on_click=on_close or CallViewState.close,
                        variant="ghost",
                        aria_label=t("calls.detail.close"),
                        id="call-close",
                    ),
                    width="100%",
                    align="center",
                ),
                rx.hstack(
                    _fact("calls.col.from", ltr(call["caller"]), "call-from-number"),
                    _fact("calls.detail.duration", call["duration"], "call-duration"),
                    _fact("calls.detail.end_reason", call["end_reason"], "call-end-reason"),
                    _fact("calls.detail.audio_length", call["audio_length"], "call-audio-length"),
                    _fact("calls.detail.audio_size", ltr(call["audio_size"]), "call-audio-size"),
                    _fact(
                        "calls.detail.transcript_source",
                        call["transcript_source"],
                        "call-transcript-source",
                    ),
                    _fact(
                        "calls.detail.agent_revision", call["agent_revision"], "call-agent-revision"
                    ),
                    spacing="5",
                    wrap="wrap",
                ),
                _player(),
                rx.heading(t("calls.detail.summary"), size="3"),
                rx.cond(
                    call["summary"] != "",
                    rx.text(call["summary"], size="2", dir="auto", id="call-summary"),
                    rx.text(t("calls.detail.no_summary"), size="2", color_scheme="gray"),
                ),
                rx.cond(
                    call["recommended"] != "",
                    rx.text(call["recommended"], size="1", color_scheme="gray"),
                ),
                rx.heading(t("calls.detail.transcript"), size="3"),
                rx.cond(
                    CallViewState.transcript.length() > 0,
                    rx.vstack(
                        rx.foreach(CallViewState.transcript, _utterance),
                        width="100%",
                        spacing="2",
                        id="call-transcript",
                    ),
                    rx.text(t("calls.detail.no_transcript"), size="2", color_scheme="gray"),
                ),
                rx.hstack(
                    rx.heading(t("calls.detail.pipeline"), size="3"),
                    rx.button(
                        rx.icon("refresh-cw", size=14),
                        t("calls.detail.refresh"),
                        on_click=CallViewState.refresh,
                        variant="ghost",
                        size="1",
                    ),
                    align="center",
                ),
                rx.vstack(rx.foreach(CallViewState.steps, _step), spacing="1"),
                rx.cond(
                    call["has_failed"] & SessionState.is_manager,
                    rx.button(
                        t("calls.detail.rerun"),
                        on_click=CallViewState.rerun,
                        variant="soft",
                        id="pipeline-retry",
                    ),
                ),
                rx.cond(
                    CallViewState.notice != "",
                    rx.text(CallViewState.notice, size="2", id="call-notice"),
                ),
                spacing="3",
                width="100%",
            ),
            width="100%",
            id="call-detail",
            custom_attrs={"data-call-id": call["id"]},
        ),
        rx.cond(
            CallViewState.notice != "",
            rx.callout(CallViewState.notice, color_scheme="red", id="call-notice"),
        ),
    )
