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
from typing import Any

from sqlmodel import col, select

from crm_app.db import unit_of_work
from crm_app.i18n import translate
from crm_app.i18n.formats import file_size
from crm_app.jobs import ai, audio, follow_up, recording
from crm_app.jobs import config as jobs_config
from crm_app.jobs.config import PipelineConfig
from crm_app.jobs.errors import Said, StepFailed, StepSkipped, Waiting, say
from crm_app.jobs.run import Done, Run
from crm_app.models import Call, Lead
from crm_app.services import leads, notes, statuses, storage
from crm_app.services.call_pipeline import FINISHED, STEPS, set_state, set_step, step_states

logger = logging.getLogger("crm_app.jobs")
SLOW_STEPS = ("download", "transcribe", "summarize", "extract")  # they call Twilio or OpenAI
RECORDING_GONE = ("absent", "failed", "deleted")


def run_pipeline(call_id: int, *, final: bool = False, config: PipelineConfig | None = None) -> str:
    """Run every step that is not finished; returns the pipeline's state afterwards.

    ``final`` is the last chance for a recording that never arrived: the run
    goes on without it instead of waiting. Until the bridge has written the
    call (or ``final``), there is nothing to do yet.
    """
    run = Run(call_id, config or jobs_config.current(), final)
    try:
        call = run.call()
    except StepSkipped:
        return "gone"
    if not call.end_reason and not final:
        return str(call.pipeline.get("state", "not-ready"))
    if all(state in FINISHED for state in step_states(call).values()):
        if call.pipeline.get("state") != "done":
            set_state(call_id, "done")
        return "done"  # a duplicate or late run: nothing to repeat
    set_state(call_id, "running")
    for name in STEPS:
        if step_states(call)[name] not in FINISHED:
            if not _run_step(run, call, name):
                set_state(call_id, "waiting")
                return "waiting"
            call = run.call()
    state = "failed" if "failed" in step_states(call).values() else "done"
    set_state(call_id, state)
    return state


def _run_step(run: Run, call: Call, name: str) -> bool:
    """Run one step and record how it went; False when it must wait for the recording."""
    if name in SLOW_STEPS:  # visible while it runs, and where a crash happened
        set_step(run.call_id, name, "running")
    try:
        done = STEP_FUNCTIONS[name](run, call)
    except Waiting as wait:
        set_step(run.call_id, name, "waiting", wait.said)
        return False
    except StepSkipped as skip:
        set_step(run.call_id, name, "skipped", skip.said, skip.values)
    except StepFailed as failure:
        logger.warning("pipeline_step_failed call_id=%s step=%s: %s", run.call_id, name, failure)
        set_step(run.call_id, name, "failed", failure.said, failure.values)
    except audio.UnreadableAudio as failure:
        set_step(run.call_id, name, "failed", _unreadable(failure))
    except BaseException:
        _set_step_quietly(run.call_id, name)
        raise
    else:
        try:
            set_step(run.call_id, name, "done", done.said, done.values)
        except BaseException:
            storage.delete(done.written)  # no file without the row that points at it
            raise
    return True


def _set_step_quietly(call_id: int, step: str) -> None:
    """Best effort: the run is about to be retried; say so if the database still answers."""
    try:
        set_step(call_id, step, "failed", say("pipeline.interrupted"))
    except Exception:  # the original error is what matters; it propagates
        logger.exception("could not record the step failure call_id=%s", call_id)


# ---- the steps ------------------------------------------------------------------------------
def _download(run: Run, call: Call) -> Done:
    if call.recording_status == "completed" and call.recording_sid:
        key = f"recordings/{call.business_id}/{call.call_sid}.wav"
        size = recording.download(run.config, recording_sid=call.recording_sid, key=key)
        return Done(
            say("pipeline.downloaded", size=file_size(size)),
            {"recording_storage_key": key},
            written=key,
        )
    if call.recording_status in RECORDING_GONE:
        raise StepSkipped(say("pipeline.recording_gone", twilio=call.recording_status))
    if not call.recording_status:
        raise StepSkipped(say("pipeline.not_recorded"))
    if run.final:
        raise StepFailed(
            say("pipeline.recording_never_ready", seconds=run.config.recording_wait_seconds)
        )
    raise Waiting(say("pipeline.waiting_for_recording"))


def _metadata(run: Run, call: Call) -> Done:
    if not call.recording_storage_key:
        raise StepSkipped(say("pipeline.no_recording"))
    path = storage.path_for(call.recording_storage_key)
    info = audio.probe(path)
    return Done(
        say(
            "pipeline.audio_info",
            kind=info.kind.upper(),
            channels=info.channels,
            seconds=f"{info.duration_sec:.1f}",
        ),
        {"audio_bytes_len": path.stat().st_size, "audio_duration_sec": round(info.duration_sec, 3)},
    )


def _realtime(call: Call) -> tuple[Said, dict[str, Any]]:
    """Keep the transcript the bridge heard: what to say, and the columns to write."""
    source = "realtime" if call.realtime_transcript else "failed"
    values = {"transcript": list(call.realtime_transcript), "transcript_source": source}
    said = say("pipeline.realtime_kept" if source == "realtime" else "pipeline.no_transcript")
    return said, values


def _unreadable(failure: audio.UnreadableAudio) -> Said:
    return say("pipeline.unreadable", detail=str(failure))


def _transcribe(run: Run, call: Call) -> Done:
    if not call.recording_storage_key:
        said, values = _realtime(call)
        raise StepSkipped(say("pipeline.no_recording") + said, values)
    try:
        utterances = ai.transcribe_recording(
            run.config,
            storage.path_for(call.recording_storage_key),
            language=run.business(call).locale,
            name=call.call_sid,
        )
    except StepFailed as failure:
        said, values = _realtime(call)
        raise StepFailed(failure.said + said, values) from failure
    except audio.UnreadableAudio as failure:
        said, values = _realtime(call)
        raise StepFailed(_unreadable(failure) + said, values) from failure
    if not utterances and call.realtime_transcript:
        said, values = _realtime(call)
        return Done(say("pipeline.no_speech") + said, values)
    return Done(
        say("pipeline.utterances", count=len(utterances)),
        {"transcript": utterances, "transcript_source": "recording"},
    )


def _summarize(run: Run, call: Call) -> Done:
    if not call.transcript:
        raise StepSkipped(say("pipeline.nothing_said"))
    facts = run.facts(call)
    answer = ai.summarize(run.config, facts)
    return Done(
        say("pipeline.words", count=len(answer.summary.split())),
        {
            "summary": answer.summary,
            "recommended_status": answer.recommended_status,
            "recommended_confidence": answer.confidence if answer.recommended_status else None,
        },
    )


def _note(run: Run, call: Call) -> Done:
    if call.lead_id is None:
        raise StepSkipped(say("pipeline.not_a_lead"))
    if not call.summary:
        raise StepSkipped(say("pipeline.no_summary"))
    with unit_of_work() as session:
        note = notes.upsert_call_summary(session, call=call, text=call.summary)
        session.flush()
        return Done(say("pipeline.note_written", note=note.id or 0))


def _status(run: Run, call: Call) -> Done:
    key, confidence = call.recommended_status, call.recommended_confidence or 0.0
    threshold = run.config.status_min_confidence
    if call.lead_id is None or not key:
        raise StepSkipped(say("pipeline.no_recommendation"))
    if confidence < threshold:
        raise StepSkipped(
            say(
                "pipeline.below_threshold",
                status=key,
                confidence=f"{confidence:.2f}",
                threshold=f"{threshold:.2f}",
            )
        )
    reason = translate("pipeline.ai_reason", run.business(call).locale, call=call.id)
    with unit_of_work() as session:
        lead = session.exec(
            select(Lead).where(col(Lead.id) == call.lead_id).with_for_update()
        ).first()
        if lead is None:
            raise StepSkipped(say("pipeline.lead_deleted"))
        if leads.status_of(session, lead).is_closed:
            raise StepSkipped(say("pipeline.lead_closed"))
        target = statuses.status_by_key(session, business_id=call.business_id, key=key)
        assert target.id is not None
        change = leads.change_status(
            session,
            principal=None,
            lead=lead,
            status_id=target.id,
            reason=reason,
            is_ai=True,
            confidence=confidence,
        )
    if change is None:
        raise StepSkipped(say("pipeline.already", status=key))
    return Done(say("pipeline.moved", status=key, confidence=f"{confidence:.2f}"))


STEP_FUNCTIONS: dict[str, Callable[[Run, Call], Done]] = {
    "download": _download,
    "metadata": _metadata,
    "transcribe": _transcribe,
    "summarize": _summarize,
    "extract": follow_up.extract,
    "note": _note,
    "fill": follow_up.fill,
    "status": _status,
    "callback": follow_up.callback,
    "alert": follow_up.alert,
}
