"""Turn calls into the typed rows the calls page and the lead's Calls tab render (pure)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from crm_app.i18n import MESSAGES, translate
from crm_app.i18n.formats import file_size, local_datetime
from crm_app.models import Call
from crm_app.services.call_pipeline import STEPS, Said
from crm_app.services.phones import display_phone
from crm_app.state.lead_views import duration_text

STATE_COLOR = {
    "done": "green",
    "skipped": "gray",
    "failed": "red",
    "running": "blue",
    "queued": "blue",
    "waiting": "amber",
    "pending": "gray",
}


def _known(key: str, fallback: str, locale: str) -> str:
    return translate(key if key in MESSAGES["en"] else fallback, locale)


def clock(ms: int) -> str:
    """``1:04`` for 64,000 ms."""
    return duration_text(ms // 1000)


@dataclass(frozen=True)
class CallRow:
    """A call in a list (the calls page and the lead's Calls tab)."""

    id: int = 0
    when: str = ""
    direction: str = ""
    caller: str = ""  # the caller's number, for display
    lead_id: int = 0
    lead_name: str = ""
    status: str = ""
    duration: str = ""
    has_recording: bool = False
    summary: str = ""


@dataclass(frozen=True)
class CallDetail(CallRow):
    """Everything the detail panel shows about a call, as text."""

    sid: str = ""
    end_reason: str = ""
    recording_url: str = ""
    audio_size: str = ""
    audio_length: str = ""
    transcript_source: str = ""
    recommended: str = ""
    pipeline_state: str = ""
    has_failed: bool = False
    agent_revision: str = ""  # the agent settings' revision that answered, "—" when unknown


@dataclass(frozen=True)
class TranscriptRow:
    """One turn of the conversation."""

    speaker: str
    speaker_label: str
    at: str
    text: str
    interrupted: bool


@dataclass(frozen=True)
class StepRow:
    """One post-call step and what it said."""

    name: str
    label: str
    state: str
    state_label: str
    color: str
    message: str


def _list_fields(call: Call, lead_name: str, locale: str, timezone: str) -> dict[str, Any]:
    return {
        "id": call.id or 0,
        "when": local_datetime(call.started_at or call.created_at, timezone),
        "direction": translate(f"calls.direction.{call.direction}", locale),
        "caller": display_phone(call.from_number) if call.from_number else "",
        "lead_id": call.lead_id or 0,
        "lead_name": lead_name,
        "status": _known(f"calls.status.{call.status}", "calls.end.unknown", locale),
        "duration": duration_text(call.duration_sec),
        "has_recording": bool(call.recording_storage_key),
        "summary": call.summary,
    }


def call_list_row(call: Call, lead_name: str, locale: str, timezone: str) -> CallRow:
    """A call in a list."""
    return CallRow(**_list_fields(call, lead_name, locale, timezone))


def call_detail_view(
    call: Call, lead_name: str, locale: str, timezone: str, status_label: str
) -> CallDetail:
    """Everything the detail panel shows about a call."""
    confidence = call.recommended_confidence or 0.0
    return CallDetail(
        **_list_fields(call, lead_name, locale, timezone),
        sid=call.call_sid,
        end_reason=_known(f"calls.end.{call.end_reason}", "calls.end.unknown", locale)
        if call.end_reason
        else "",
        recording_url=f"/api/v1/calls/{call.id}/recording" if call.recording_storage_key else "",
        audio_size=file_size(call.audio_bytes_len) if call.audio_bytes_len else "—",
        audio_length=translate(
            "calls.detail.seconds", locale, seconds=f"{call.audio_duration_sec:.1f}"
        )
        if call.audio_duration_sec
        else "—",
        transcript_source=translate(f"calls.source.{call.transcript_source or 'none'}", locale),
        recommended=translate(
            "calls.detail.recommended",
            locale,
            status=status_label,
            confidence=f"{confidence:.0%}",
        )
        if status_label
        else "",
        pipeline_state=str(call.pipeline.get("state", "")),
        has_failed=_failed(call),
        agent_revision=translate("calls.detail.revision_number", locale, number=call.agent_revision)
        if call.agent_revision
        else "—",
    )


def _failed(call: Call) -> bool:
    steps = call.pipeline.get("steps", {})
    return any(steps.get(name, {}).get("state") == "failed" for name in STEPS)


def transcript_rows(call: Call, locale: str) -> list[TranscriptRow]:
    """The conversation, turn by turn, with each speaker and time."""
    return [
        TranscriptRow(
            speaker=(speaker := str(utterance.get("speaker", "call"))),
            speaker_label=_known(f"calls.speaker.{speaker}", "calls.speaker.call", locale),
            at=clock(int(utterance.get("start_ms", 0))),
            text=str(utterance.get("text", "")),
            interrupted=bool(utterance.get("interrupted")),
        )
        for utterance in call.transcript
    ]


def step_rows(
    call: Call, locale: str, status_labels: dict[str, str] | None = None
) -> list[StepRow]:
    """The post-call pipeline, step by step, each saying what happened in ``locale``."""
    steps: dict[str, Any] = call.pipeline.get("steps", {})
    rows = []
    for name in STEPS:
        step = steps.get(name, {})
        state = str(step.get("state", "pending"))
        said = Said.from_json(step.get("said"))
        rows.append(
            StepRow(
                name=name,
                label=translate(f"calls.step.{name}", locale),
                state=state,
                state_label=translate(f"calls.state.{state}", locale),
                color=STATE_COLOR.get(state, "gray"),
                message=said.text(locale, status_labels) if said else str(step.get("message", "")),
            )
        )
    return rows
