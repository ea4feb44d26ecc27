"""Turn calls into the flat rows the calls page and the lead's Calls tab render (pure)."""

from __future__ import annotations

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


def call_list_row(call: Call, lead_name: str, locale: str, timezone: str) -> dict[str, str]:
    """A call in a list (the calls page and the lead's Calls tab)."""
    return {
        "id": str(call.id),
        "when": local_datetime(call.started_at or call.created_at, timezone),
        "direction": translate(f"calls.direction.{call.direction}", locale),
        "from": display_phone(call.from_number) if call.from_number else "",
        "lead_id": str(call.lead_id or ""),
        "lead_name": lead_name,
        "status": _known(f"calls.status.{call.status}", "calls.end.unknown", locale),
        "duration": duration_text(call.duration_sec),
        "has_recording": "1" if call.recording_storage_key else "",
        "summary": call.summary,
    }


def call_detail_view(
    call: Call, lead_name: str, locale: str, timezone: str, status_label: str
) -> dict[str, str]:
    """Everything the detail panel shows about a call, as text."""
    row = call_list_row(call, lead_name, locale, timezone)
    confidence = call.recommended_confidence or 0.0
    row |= {
        "sid": call.call_sid,
        "end_reason": _known(f"calls.end.{call.end_reason}", "calls.end.unknown", locale)
        if call.end_reason
        else "",
        "recording_url": f"/api/v1/calls/{call.id}/recording" if call.recording_storage_key else "",
        "audio_size": file_size(call.audio_bytes_len) if call.audio_bytes_len else "—",
        "audio_length": translate(
            "calls.detail.seconds", locale, seconds=f"{call.audio_duration_sec:.1f}"
        )
        if call.audio_duration_sec
        else "—",
        "transcript_source": translate(f"calls.source.{call.transcript_source or 'none'}", locale),
        "recommended": translate(
            "calls.detail.recommended",
            locale,
            status=status_label,
            confidence=f"{confidence:.0%}",
        )
        if status_label
        else "",
        "pipeline_state": str(call.pipeline.get("state", "")),
        "has_failed": "1" if _failed(call) else "",
    }
    return row


def _failed(call: Call) -> bool:
    steps = call.pipeline.get("steps", {})
    return any(steps.get(name, {}).get("state") == "failed" for name in STEPS)


def transcript_rows(call: Call, locale: str) -> list[dict[str, str]]:
    """The conversation, turn by turn, with each speaker and time."""
    rows = []
    for utterance in call.transcript:
        speaker = str(utterance.get("speaker", "call"))
        rows.append(
            {
                "speaker": speaker,
                "speaker_label": _known(f"calls.speaker.{speaker}", "calls.speaker.call", locale),
                "at": clock(int(utterance.get("start_ms", 0))),
                "text": str(utterance.get("text", "")),
                "interrupted": "1" if utterance.get("interrupted") else "",
            }
        )
    return rows


def step_rows(
    call: Call, locale: str, status_labels: dict[str, str] | None = None
) -> list[dict[str, str]]:
    """The post-call pipeline, step by step, each saying what happened in ``locale``."""
    steps: dict[str, Any] = call.pipeline.get("steps", {})
    rows = []
    for name in STEPS:
        step = steps.get(name, {})
        state = str(step.get("state", "pending"))
        said = Said.from_json(step.get("said"))
        rows.append(
            {
                "name": name,
                "label": translate(f"calls.step.{name}", locale),
                "state": state,
                "state_label": translate(f"calls.state.{state}", locale),
                "color": STATE_COLOR.get(state, "gray"),
                "message": said.text(locale, status_labels)
                if said
                else str(step.get("message", "")),
            }
        )
    return rows
