"""REST API v1: calls (list, detail), their recordings, and re-running the pipeline."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field

from crm_app.api.deps import MAX_ID, CurrentPrincipal, IsoDate, RowId
from crm_app.api.downloads import download_headers, file_answer
from crm_app.api.leads import CURSOR
from crm_app.db import unit_of_work
from crm_app.jobs.queue import enqueue_pipeline
from crm_app.models import Call, Lead
from crm_app.services import call_query, calls, storage
from crm_app.services.call_pipeline import STEPS, reset_failed
from crm_app.services.errors import NotFound

router = APIRouter(prefix="/calls", tags=["calls"])
_STATUS = "|".join(call_query.STATUSES)
STATUSES_PATTERN = f"^(({_STATUS})(,({_STATUS}))*)?$"
PHONE_PATTERN = r"^([0-9+()\-. ]*[0-9][0-9+()\-. ]*)?$"


class Utterance(BaseModel):
    """One turn of a call."""

    speaker: str = Field(description="caller, agent, or call (one mixed channel)")
    text: str
    start_ms: int
    end_ms: int
    interrupted: bool = Field(default=False, description="an agent turn the caller cut short")


class Step(BaseModel):
    """One post-call pipeline step."""

    name: str
    state: str = Field(description="pending, running, waiting, done, skipped or failed")
    message: str
    attempts: int


class CallOut(BaseModel):
    """A call as listed."""

    id: int
    call_sid: str
    direction: str
    from_number: str
    to_number: str
    status: str
    lead_id: int | None
    lead_name: str
    started_at: datetime | None
    answered_at: datetime | None
    ended_at: datetime | None
    duration_sec: int | None
    end_reason: str
    has_recording: bool
    summary: str
    created_at: datetime


class CallDetail(CallOut):
    """A call with its recording metadata, transcript and pipeline state."""

    recording_url: str | None = Field(description="the authenticated recording (Range)")
    audio_bytes_len: int | None
    audio_duration_sec: float | None
    transcript_source: str | None = Field(description="recording, realtime or failed")
    transcript: list[Utterance]
    recommended_status: str | None
    recommended_confidence: float | None
    pipeline_state: str
    pipeline: list[Step]


class CallList(BaseModel):
    """One page of calls, newest first; pass ``next_cursor`` back as ``cursor``."""

    items: list[CallOut]
    total: int
    total_exact: bool
    next_cursor: str | None
    prev_cursor: str | None


class RerunOut(BaseModel):
    """The steps queued to run again."""

    steps: list[str]


def _listed(call: Call, lead_name: str) -> dict[str, Any]:
    assert call.id is not None
    return {
        "id": call.id,
        "call_sid": call.call_sid,
        "direction": call.direction,
        "from_number": call.from_number,
        "to_number": call.to_number,
        "status": call.status,
        "lead_id": call.lead_id,
        "lead_name": lead_name,
        "started_at": call.started_at,
        "answered_at": call.answered_at,
        "ended_at": call.ended_at,
        "duration_sec": call.duration_sec,
        "end_reason": call.end_reason,
        "has_recording": call.recording_storage_key is not None,
        "summary": call.summary,
        "created_at": call.created_at,
    }


def call_detail(call: Call, lead_name: str) -> CallDetail:
    """Everything the call page shows."""
    steps = call.pipeline.get("steps", {})
    return CallDetail(
        **_listed(call, lead_name),
        recording_url=f"/api/v1/calls/{call.id}/recording" if call.recording_storage_key else None,
        audio_bytes_len=call.audio_bytes_len,
        audio_duration_sec=call.audio_duration_sec,
        transcript_source=call.transcript_source,
        transcript=[Utterance.model_validate(u) for u in call.transcript],
        recommended_status=call.recommended_status,
        recommended_confidence=call.recommended_confidence,
        pipeline_state=str(call.pipeline.get("state", "")),
        pipeline=[
            Step(
                name=name,
                state=steps.get(name, {}).get("state", "pending"),
                message=steps.get(name, {}).get("message", ""),
                attempts=int(steps.get(name, {}).get("attempts", 0)),
            )
            for name in STEPS
        ],
    )


@router.get("", response_model=CallList)
def list_calls(
    principal: CurrentPrincipal,
    q: Annotated[
        str,
        Query(max_length=40, pattern=PHONE_PATTERN, description="a phone number or part of one"),
    ] = "",
    lead_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    direction: Literal["inbound", "outbound"] | None = None,
    status: Annotated[
        str, Query(pattern=STATUSES_PATTERN, description="call statuses, comma separated")
    ] = "",
    from_: Annotated[IsoDate | None, Query(alias="from", description="first day")] = None,
    to: Annotated[IsoDate | None, Query(description="last day")] = None,
    has_recording: bool | None = None,
    outcome: Annotated[
        Literal["answered", "missed"] | None,
        Query(description="answered: the agent talked with the caller; missed: nothing was said"),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=call_query.MAX_LIMIT)] = call_query.DEFAULT_LIMIT,
    cursor: Annotated[str, CURSOR] = "",
) -> CallList:
    """The business's calls, newest first, filtered and paged in the database."""
    params = {
        "q": q,
        "lead_id": "" if lead_id is None else str(lead_id),
        "direction": direction or "",
        "status": status,
        "from": from_.isoformat() if from_ else "",
        "to": to.isoformat() if to else "",
        "has_recording": "" if has_recording is None else str(has_recording).lower(),
        "outcome": outcome or "",
    }
    filters = call_query.parse_filters(params)
    with unit_of_work(read_only=True) as session:
        page = call_query.fetch_page(
            session, principal=principal, filters=filters, cursor=cursor or None, limit=limit
        )
    return CallList(
        items=[CallOut(**_listed(call, name)) for call, name in page.rows],
        total=page.total,
        total_exact=page.total_exact,
        next_cursor=page.next_cursor,
        prev_cursor=page.prev_cursor,
    )


def _lead_name(call: Call) -> str:
    if call.lead_id is None:
        return ""
    with unit_of_work(read_only=True) as session:
        lead = session.get(Lead, call.lead_id)
        return lead.name if lead else ""


@router.get("/{call_id}", response_model=CallDetail)
def get_call(call_id: RowId, principal: CurrentPrincipal) -> CallDetail:
    """One call: times, recording metadata, transcript, summary, pipeline steps."""
    with unit_of_work(read_only=True) as session:
        call = calls.get_call(session, principal=principal, call_id=call_id)
    return call_detail(call, _lead_name(call))


@router.get(
    "/{call_id}/recording",
    response_class=FileResponse,
    responses=file_answer("audio/wav", description="the recording (Range supported)"),
)
def recording(call_id: RowId, principal: CurrentPrincipal) -> FileResponse:
    """The call's recording (WAV; ``Range`` for seeking), from private storage."""
    with unit_of_work(read_only=True) as session:
        call = calls.get_call(session, principal=principal, call_id=call_id)
    if not call.recording_storage_key or not storage.exists(call.recording_storage_key):
        raise NotFound("this call has no recording", key="errors.recording_not_found")
    headers = download_headers(f"call-{call.call_sid}.wav", inline=True)
    headers["Content-Security-Policy"] = "sandbox; default-src 'none'"
    return FileResponse(
        storage.path_for(call.recording_storage_key), media_type="audio/wav", headers=headers
    )


@router.post("/{call_id}/pipeline/retry", response_model=RerunOut, status_code=202)
def rerun_failed(call_id: RowId, principal: CurrentPrincipal) -> RerunOut:
    """Run the failed post-call steps again (owners and admins)."""
    with unit_of_work() as session:
        steps = reset_failed(session, principal=principal, call_id=call_id)
    if steps:
        enqueue_pipeline(call_id)
    return RerunOut(steps=steps)
