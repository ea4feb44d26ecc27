"""The post-call pipeline: from a finished call to a recording, transcript, summary and note.

Steps run in order and each records its state on the call
(``call.pipeline["steps"][name]``): ``running``, ``done``, ``skipped``,
``failed`` or ``waiting``. A run skips the steps that are done, so running the
pipeline again (a retry, a duplicate job, the recording callback after the
bridge's finalize) repeats nothing that succeeded; the summary note is unique
per call in the schema as well.

Outside services are called between units of work, never inside one: a slow
OpenAI answer holds no lock and no connection, and a failed call leaves the
call row consistent. Unexpected errors (the database going away, a worker
being killed) propagate, so the job runner retries the run.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, select

from crm_app.db import unit_of_work
from crm_app.jobs import ai, audio, recording
from crm_app.jobs.config import PipelineConfig
from crm_app.jobs.errors import StepFailed, StepSkipped, Waiting
from crm_app.models import Business, Call, Lead, Role, utcnow
from crm_app.services import leads, notes, statuses, storage
from crm_app.services.auth import Principal, require_role
from crm_app.services.calls import get_call

logger = logging.getLogger("crm_app.jobs")
STEPS = ("download", "metadata", "transcribe", "summarize", "note", "status")
FINISHED = ("done", "skipped")
RECORDING_GONE = ("absent", "failed", "deleted")


# ---- state on the call ----------------------------------------------------------------------
def _locked_call(session: Session, call_id: int) -> Call | None:
    return session.exec(select(Call).where(col(Call.id) == call_id).with_for_update()).first()


def _write(call_id: int, change: Callable[[Call, dict[str, Any]], None]) -> None:
    """Apply ``change`` to the call and a copy of its pipeline state, in one unit of work."""
    with unit_of_work() as session:
        call = _locked_call(session, call_id)
        if call is None:
            return
        state = {**call.pipeline, "steps": dict(call.pipeline.get("steps", {}))}
        change(call, state)
        state["updated_at"] = utcnow().isoformat()
        call.pipeline = state  # a new dict: the JSON column sees the change
        session.add(call)


def _set_step(call_id: int, step: str, state: str, message: str = "") -> None:
    def change(call: Call, pipeline: dict[str, Any]) -> None:
        previous = pipeline["steps"].get(step, {})
        attempts = int(previous.get("attempts", 0)) + (state == "running")
        pipeline["steps"][step] = {
            "state": state,
            "message": message[:300],
            "attempts": attempts,
            "at": utcnow().isoformat(),
        }

    _write(call_id, change)


def _set_state(call_id: int, state: str) -> None:
    def change(call: Call, pipeline: dict[str, Any]) -> None:
        pipeline["state"] = state

    _write(call_id, change)


def step_states(call: Call) -> dict[str, str]:
    """Each step's state, ``pending`` for steps that have not run."""
    steps = call.pipeline.get("steps", {})
    return {name: steps.get(name, {}).get("state", "pending") for name in STEPS}


def mark_queued(call_id: int) -> None:
    """Note that a run is on its way (shown in the UI; found again after a restart)."""

    def change(call: Call, pipeline: dict[str, Any]) -> None:
        if pipeline.get("state") != "running":
            pipeline["state"] = "queued"

    _write(call_id, change)


# ---- one run --------------------------------------------------------------------------------
@dataclass(frozen=True)
class Run:
    """What the steps share during one run."""

    call_id: int
    config: PipelineConfig
    final: bool

    def call(self) -> Call:
        """A fresh read of the call (each step sees the previous steps' writes)."""
        with unit_of_work(read_only=True) as session:
            call = session.get(Call, self.call_id)
            if call is None:
                raise StepSkipped("the call was deleted")
            return call

    def update(self, **values: Any) -> None:
        """Write columns of the call."""

        def change(call: Call, pipeline: dict[str, Any]) -> None:
            for name, value in values.items():
                setattr(call, name, value)

        _write(self.call_id, change)


def run_pipeline(call_id: int, *, final: bool = False, config: PipelineConfig | None = None) -> str:
    """Run every step that is not finished; returns the pipeline's state afterwards.

    ``final`` is the last chance for a recording that never arrived: the run
    goes on without it instead of waiting. Until the bridge has written the
    call (or ``final``), there is nothing to do yet.
    """
    run = Run(call_id, config or PipelineConfig.from_settings(), final)
    try:
        call = run.call()
    except StepSkipped:
        return "gone"
    if not call.end_reason and not final:
        return str(call.pipeline.get("state", "not-ready"))
    states = step_states(call)
    if all(state in FINISHED for state in states.values()):
        if call.pipeline.get("state") != "done":
            _set_state(call_id, "done")
        return "done"  # a duplicate or late run: nothing to repeat
    _set_state(call_id, "running")
    for name in STEPS:
        if step_states(run.call())[name] in FINISHED:
            continue
        _set_step(call_id, name, "running")
        try:
            message = STEP_FUNCTIONS[name](run)
        except Waiting as wait:
            _set_step(call_id, name, "waiting", str(wait))
            _set_state(call_id, "waiting")
            return "waiting"
        except StepSkipped as skip:
            _set_step(call_id, name, "skipped", str(skip))
        except (StepFailed, audio.UnreadableAudio) as failure:
            logger.warning("pipeline_step_failed call_id=%s step=%s: %s", call_id, name, failure)
            _set_step(call_id, name, "failed", str(failure))
        except BaseException:
            _set_step_quietly(call_id, name)
            raise
        else:
            _set_step(call_id, name, "done", message)
    failed = "failed" in step_states(run.call()).values()
    state = "failed" if failed else "done"
    _set_state(call_id, state)
    return state


def _set_step_quietly(call_id: int, step: str) -> None:
    """Best effort: the run is about to be retried; say so if the database still answers."""
    try:
        _set_step(call_id, step, "failed", "interrupted by an unexpected error; retrying")
    except Exception:  # the original error is what matters; it propagates
        logger.exception("could not record the step failure call_id=%s", call_id)


# ---- the steps ------------------------------------------------------------------------------
def _download(run: Run) -> str:
    call = run.call()
    if call.recording_status == "completed" and call.recording_sid:
        key = f"recordings/{call.business_id}/{call.call_sid}.wav"
        size = recording.download(run.config, recording_sid=call.recording_sid, key=key)
        try:
            run.update(recording_storage_key=key)
        except BaseException:
            storage.delete(key)  # no file without the row that points at it
            raise
        return f"{size} bytes"
    if call.recording_status in RECORDING_GONE:
        raise StepSkipped(f"Twilio reports the recording {call.recording_status}")
    if not call.recording_status:
        raise StepSkipped("the call was not recorded")
    if run.final:
        raise StepFailed(
            f"no finished recording arrived within {run.config.recording_wait_seconds} s"
        )
    raise Waiting("waiting for Twilio to finish the recording")


def _metadata(run: Run) -> str:
    call = run.call()
    if not call.recording_storage_key:
        raise StepSkipped("no recording")
    path = storage.path_for(call.recording_storage_key)
    info = audio.probe(path)
    run.update(audio_bytes_len=path.stat().st_size, audio_duration_sec=round(info.duration_sec, 3))
    return f"{info.kind}, {info.channels} channel(s), {info.duration_sec:.1f} s"


def _keep_realtime(run: Run, call: Call) -> str:
    source = "realtime" if call.realtime_transcript else "failed"
    run.update(transcript=list(call.realtime_transcript), transcript_source=source)
    return "the realtime transcript is kept" if source == "realtime" else "no transcript"


def _transcribe(run: Run) -> str:
    call = run.call()
    if not call.recording_storage_key:
        raise StepSkipped(f"no recording: {_keep_realtime(run, call)}")
    business = _business(call)
    try:
        utterances = ai.transcribe_recording(
            run.config,
            storage.path_for(call.recording_storage_key),
            language=business.locale,
            name=call.call_sid,
        )
    except (StepFailed, audio.UnreadableAudio) as failure:
        raise StepFailed(f"{failure}; {_keep_realtime(run, call)}") from failure
    if not utterances and call.realtime_transcript:
        return f"the recording holds no speech; {_keep_realtime(run, call)}"
    run.update(transcript=utterances, transcript_source="recording")
    return f"{len(utterances)} utterances"


def _business(call: Call) -> Business:
    with unit_of_work(read_only=True) as session:
        business = session.get(Business, call.business_id)
        assert business is not None
        return business


def _summarize(run: Run) -> str:
    call = run.call()
    if not call.transcript:
        raise StepSkipped("nothing was said")
    business = _business(call)
    with unit_of_work(read_only=True) as session:
        keys = [s.key for s in statuses.list_statuses(session, business_id=call.business_id)]
    facts = ai.CallFacts(
        business_name=business.name,
        locale=business.locale,
        duration_sec=call.duration_sec or 0,
        end_reason=call.end_reason,
        transcript=list(call.transcript),
        status_keys=keys,
    )
    answer = ai.summarize(run.config, facts)
    run.update(
        summary=answer.summary,
        recommended_status=answer.recommended_status,
        recommended_confidence=answer.confidence if answer.recommended_status else None,
    )
    return f"{len(answer.summary.split())} words"


def _note(run: Run) -> str:
    call = run.call()
    if call.lead_id is None:
        raise StepSkipped("the caller is not a lead")
    if not call.summary:
        raise StepSkipped("no summary")
    with unit_of_work() as session:
        note = notes.upsert_call_summary(session, call=call, text=call.summary)
        session.flush()
        return f"note {note.id}"


def _status(run: Run) -> str:
    call = run.call()
    key, confidence = call.recommended_status, call.recommended_confidence or 0.0
    threshold = run.config.status_min_confidence
    if call.lead_id is None or not key:
        raise StepSkipped("no recommendation")
    if confidence < threshold:
        raise StepSkipped(f"{key} recommended at {confidence:.2f}, below {threshold:.2f}")
    with unit_of_work() as session:
        lead = session.exec(
            select(Lead).where(col(Lead.id) == call.lead_id).with_for_update()
        ).first()
        if lead is None:
            raise StepSkipped("the lead was deleted")
        if leads.status_of(session, lead).is_closed:
            raise StepSkipped("the lead's status is closed; left as it is")
        target = statuses.status_by_key(session, business_id=call.business_id, key=key)
        assert target.id is not None
        change = leads.change_status(
            session,
            principal=None,
            lead=lead,
            status_id=target.id,
            reason=f"AI call summary (call {call.id})",
            is_ai=True,
            confidence=confidence,
        )
    if change is None:
        raise StepSkipped(f"the lead is already {key}")
    return f"moved to {key} ({confidence:.2f})"


STEP_FUNCTIONS: dict[str, Callable[[Run], str]] = {
    "download": _download,
    "metadata": _metadata,
    "transcribe": _transcribe,
    "summarize": _summarize,
    "note": _note,
    "status": _status,
}


# ---- admins ---------------------------------------------------------------------------------
def reset_failed(session: Session, *, principal: Principal, call_id: int) -> list[str]:
    """Mark the failed steps, and every step after the first of them, to run again.

    Returns the steps that will run; the caller queues the run after the commit.

    Raises:
        NotFound: another business's call.
        PermissionDenied: agents cannot re-run the pipeline.
    """
    require_role(principal, Role.OWNER, Role.ADMIN)
    call = get_call(session, principal=principal, call_id=call_id)
    states = step_states(call)
    failed = [name for name in STEPS if states[name] == "failed"]
    if not failed:
        return []
    again = list(STEPS[STEPS.index(failed[0]) :])
    locked = _locked_call(session, call_id)
    assert locked is not None
    pipeline = {**locked.pipeline, "steps": dict(locked.pipeline.get("steps", {}))}
    for name in again:
        pipeline["steps"].pop(name, None)
    pipeline["state"] = "queued"
    locked.pipeline = pipeline
    session.add(locked)
    return again
