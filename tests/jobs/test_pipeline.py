"""The post-call pipeline against the Twilio and OpenAI fakes, on SQLite and Postgres."""

from __future__ import annotations

import threading
from dataclasses import replace

import pytest
from sqlmodel import col, select

from crm_app.db import unit_of_work
from crm_app.jobs.pipeline import run_pipeline
from crm_app.models import AuditEvent, Lead, LeadStatus, LeadStatusChange, Note, Role
from crm_app.services import calls, leads, statuses, storage
from crm_app.services.call_pipeline import STEPS, reset_failed, step_states
from crm_app.services.errors import NotFound, PermissionDenied
from crm_app.state.call_views import step_rows
from tests.factories import Tenant, make_tenant
from tests.jobs.conftest import (
    AGENT_SAYS,
    CALLER_SAYS,
    REALTIME,
    Outside,
    finished_call,
    load,
    recorded,
)


def summary_notes(call_id: int) -> list[Note]:
    with unit_of_work(read_only=True) as session:
        return list(session.exec(select(Note).where(col(Note.call_id) == call_id)))


def status_key(lead: Lead) -> str:
    with unit_of_work(read_only=True) as session:
        current = session.get(Lead, lead.id)
        assert current is not None
        return leads.status_of(session, current).key


def assert_database_usable() -> None:
    """No aborted transaction is left behind: the next unit of work just works."""
    with unit_of_work() as session:
        assert session.exec(select(LeadStatus).limit(1)).first() is not None


def test_a_recorded_call_gets_its_recording_transcript_summary_note_and_status(
    tenant: Tenant, lead: Lead, outside: Outside
) -> None:
    call_id = recorded(tenant, lead, outside)
    outside.openai.extraction = {"reason": "בדיקה שנתית", "wants_callback": True}

    assert run_pipeline(call_id, config=outside.config) == "done"

    call = load(call_id)
    # A known lead's answered call: its only alert tells the owner of the callback task.
    assert step_states(call) == dict.fromkeys(STEPS, "done")
    path = storage.path_for(call.recording_storage_key or "")
    assert path.read_bytes()[:4] == b"RIFF"
    assert call.audio_bytes_len == path.stat().st_size
    assert call.audio_duration_sec == pytest.approx(10.4, abs=0.1)
    assert call.transcript_source == "recording"
    assert [(u["speaker"], u["text"]) for u in call.transcript] == [
        ("agent", AGENT_SAYS),
        ("caller", CALLER_SAYS),
    ]
    assert call.transcript[1]["start_ms"] == pytest.approx(4100, abs=200)
    assert call.realtime_transcript == REALTIME  # kept as the bridge heard it
    # Transcribed in the business's language, one clip per turn, with Twilio's credentials.
    assert {t["language"] for t in outside.openai.transcriptions} == {"he"}
    assert len(outside.openai.transcriptions) == 2
    assert outside.rest.unauthorized == 0 and outside.openai.unauthorized == 0
    # Summarised in Hebrew, with the length and the end reason in the request.
    system = outside.openai.chats[0]["messages"][0]["content"]
    assert "caller_hangup" in system and "00:" in system and "בעברית" in system
    assert CALLER_SAYS in call.summary
    notes = summary_notes(call_id)
    assert [(n.kind, n.lead_id, n.text) for n in notes] == [("call_summary", lead.id, call.summary)]
    # Recommended "contacted" at 0.9, above the 0.8 threshold: an AI status change.
    assert (call.recommended_status, call.recommended_confidence) == ("contacted", 0.9)
    assert status_key(lead) == "contacted"
    with unit_of_work(read_only=True) as session:
        change = session.exec(
            select(LeadStatusChange).where(col(LeadStatusChange.lead_id) == lead.id)
        ).one()
        audit = session.exec(
            select(AuditEvent).where(
                col(AuditEvent.action) == "lead.status", col(AuditEvent.entity_id) == lead.id
            )
        ).one()
    assert change.is_ai and change.confidence == 0.9 and change.changed_by_id is None
    assert change.reason == f"סיכום שיחה של ה-AI (שיחה {call_id})"  # the business's language
    assert audit.details["ai"] is True
    # Each step says what it did in the reader's language (English for logs and the API).
    said = {row.name: row.message for row in step_rows(call, "he", {"contacted": "נוצר קשר"})}
    assert (
        said["transcribe"] == "2 קטעי דיבור"
        and said["status"] == "הועבר לסטטוס \u2068נוצר קשר\u2069 (0.90)"
    )
    assert said["metadata"] == "WAV, 2 ערוצים, 10.4 שניות"
    assert call.pipeline["steps"]["status"]["message"] == "moved to contacted (0.90)"


def test_running_again_repeats_nothing_and_leaves_one_note(
    tenant: Tenant, lead: Lead, outside: Outside
) -> None:
    call_id = recorded(tenant, lead, outside)
    assert run_pipeline(call_id, config=outside.config) == "done"
    requests = (len(outside.openai.transcriptions), len(outside.openai.chats))
    downloads = sum(r.requests for r in outside.rest.recordings.values())

    assert run_pipeline(call_id, config=outside.config) == "done"
    assert run_pipeline(call_id, final=True, config=outside.config) == "done"

    assert len(summary_notes(call_id)) == 1
    assert (len(outside.openai.transcriptions), len(outside.openai.chats)) == requests
    assert sum(r.requests for r in outside.rest.recordings.values()) == downloads


def test_two_runs_racing_still_write_one_note(tenant: Tenant, lead: Lead, outside: Outside) -> None:
    call_id = recorded(tenant, lead, outside)
    errors: list[BaseException] = []

    def run() -> None:
        try:
            run_pipeline(call_id, config=outside.config)
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors
    assert len(summary_notes(call_id)) == 1
    assert load(call_id).summary
    assert_database_usable()


def test_a_recording_that_never_becomes_ready_leaves_the_realtime_transcript(
    tenant: Tenant, lead: Lead, outside: Outside
) -> None:
    call_id = recorded(tenant, lead, outside, not_ready_times=1000)

    # Within the fixture's 3 s the download is retried twice (after 0.5 s, then 1 s more).
    assert run_pipeline(call_id, config=outside.config) == "failed"

    call = load(call_id)
    states = step_states(call)
    assert states["download"] == "failed"
    assert "not ready" in call.pipeline["steps"]["download"]["message"]
    assert (states["metadata"], states["transcribe"]) == ("skipped", "skipped")
    assert (states["summarize"], states["note"]) == ("done", "done")
    assert call.recording_storage_key is None and call.audio_bytes_len is None
    assert call.transcript_source == "realtime" and call.transcript == REALTIME
    assert sum(r.requests for r in outside.rest.recordings.values()) >= 2  # it retried
    assert len(summary_notes(call_id)) == 1
    assert list(storage.root().rglob("*.wav")) == []  # nothing half-written is left
    assert_database_usable()


def test_a_transcription_error_keeps_the_realtime_transcript(
    tenant: Tenant, lead: Lead, outside: Outside
) -> None:
    outside.openai.transcription_failures = 1000
    call_id = recorded(tenant, lead, outside)

    assert run_pipeline(call_id, config=outside.config) == "failed"

    call = load(call_id)
    step = call.pipeline["steps"]["transcribe"]
    assert step["state"] == "failed"
    assert "500" in step["message"] and "realtime transcript is kept" in step["message"]
    assert call.transcript_source == "realtime" and call.transcript == REALTIME
    assert call.audio_bytes_len and call.audio_duration_sec  # the recording itself is fine
    assert step_states(call)["summarize"] == "done"  # summarised from the realtime words
    assert_database_usable()


def test_without_any_transcript_the_source_says_failed(
    tenant: Tenant, lead: Lead, outside: Outside
) -> None:
    outside.openai.transcription_failures = 1000
    call_id = finished_call(tenant, lead, recording_status=None, realtime=[])
    call_sid = load(call_id).call_sid
    sid = outside.recording(call_sid)
    with unit_of_work() as session:
        calls.record_callback(
            session,
            kind="recording",
            payload={"CallSid": call_sid, "RecordingSid": sid, "RecordingStatus": "completed"},
        )

    run_pipeline(call_id, config=outside.config)

    call = load(call_id)
    assert call.transcript_source == "failed" and call.transcript == []
    states = step_states(call)
    assert (states["transcribe"], states["summarize"], states["note"]) == (
        "failed",
        "skipped",
        "skipped",
    )
    assert summary_notes(call_id) == []


def test_a_summary_timeout_fails_that_step_only_and_an_admin_can_run_it_again(
    tenant: Tenant, lead: Lead, outside: Outside
) -> None:
    # The fake sleeps 4 s once it has the request, the pipeline gives up 3 s after sending
    # it: the summary times out however slow the machine, and the transcriptions (the same
    # timeout) have time to answer.
    outside.openai.chat_delay = 4.0
    config = replace(outside.config, openai_timeout=3.0)
    call_id = recorded(tenant, lead, outside)

    assert run_pipeline(call_id, config=config) == "failed"

    call = load(call_id)
    states = step_states(call)
    assert states["transcribe"] == "done" and call.transcript_source == "recording"
    assert states["summarize"] == "failed"
    assert "timed out" in call.pipeline["steps"]["summarize"]["message"]
    assert (states["note"], states["status"]) == ("skipped", "skipped")
    assert call.summary == "" and summary_notes(call_id) == []
    assert status_key(lead) == "new"
    assert_database_usable()

    # Agents may not re-run; another business does not see the call; an admin re-runs.
    with unit_of_work() as session, pytest.raises(PermissionDenied):
        reset_failed(session, principal=tenant.principal(Role.AGENT), call_id=call_id)
    other = make_tenant(name="עסק אחר")
    with unit_of_work() as session, pytest.raises(NotFound):
        reset_failed(session, principal=other.principal(Role.ADMIN), call_id=call_id)
    with unit_of_work() as session:
        again = reset_failed(session, principal=tenant.principal(Role.ADMIN), call_id=call_id)
    assert again == ["summarize", "extract", "note", "fill", "status", "callback", "alert"]
    outside.openai.chat_delay = 0.0
    transcriptions = len(outside.openai.transcriptions)

    assert run_pipeline(call_id, config=config) == "done"

    assert len(outside.openai.transcriptions) == transcriptions  # done steps were not redone
    assert len(summary_notes(call_id)) == 1 and status_key(lead) == "contacted"


def test_an_answer_that_is_not_the_json_asked_for_is_a_clear_failure(
    tenant: Tenant, lead: Lead, outside: Outside
) -> None:
    outside.openai.chat_content = "Sure! Here is a summary of the call."
    call_id = recorded(tenant, lead, outside)

    run_pipeline(call_id, config=outside.config)

    step = load(call_id).pipeline["steps"]["summarize"]
    assert step["state"] == "failed" and "expected JSON" in step["message"]


def test_a_call_still_being_recorded_waits_then_goes_on_without_it(
    tenant: Tenant, lead: Lead, outside: Outside
) -> None:
    call_id = finished_call(tenant, lead, recording_status="in-progress")

    assert run_pipeline(call_id, config=outside.config) == "waiting"
    call = load(call_id)
    assert call.pipeline["state"] == "waiting" and step_states(call)["download"] == "waiting"
    assert outside.openai.chats == []

    assert run_pipeline(call_id, final=True, config=outside.config) == "failed"
    call = load(call_id)
    assert "no finished recording arrived" in call.pipeline["steps"]["download"]["message"]
    assert call.transcript_source == "realtime" and call.summary
    assert len(summary_notes(call_id)) == 1


def test_an_unrecorded_call_is_summarised_from_the_realtime_transcript(
    tenant: Tenant, lead: Lead, outside: Outside
) -> None:
    call_id = finished_call(tenant, lead, recording_status=None)

    assert run_pipeline(call_id, config=outside.config) == "done"

    call = load(call_id)
    assert call.pipeline["steps"]["download"]["message"] == "the call was not recorded"
    assert call.transcript_source == "realtime" and call.summary
    assert outside.rest.recordings == {} and outside.openai.transcriptions == []


def test_a_call_the_bridge_has_not_written_yet_is_left_for_later(
    tenant: Tenant, lead: Lead, outside: Outside
) -> None:
    call_id = finished_call(tenant, lead, finalized=False, recording_status="in-progress")
    run_pipeline(call_id, config=outside.config)
    assert step_states(load(call_id)) == dict.fromkeys(STEPS, "pending")


@pytest.mark.parametrize(
    ("confidence", "current", "expected", "message"),
    [
        (0.5, "new", "new", "below 0.80"),
        (0.95, "lost", "lost", "closed"),
    ],
)
def test_a_status_is_recommended_but_not_applied_when_unsure_or_closed(
    tenant: Tenant,
    lead: Lead,
    outside: Outside,
    confidence: float,
    current: str,
    expected: str,
    message: str,
) -> None:
    outside.openai.confidence = confidence
    if current != "new":
        with unit_of_work() as session:
            target = statuses.status_by_key(session, business_id=tenant.id, key=current)
            row = session.get(Lead, lead.id)
            assert row is not None and target.id is not None
            leads.change_status(
                session, principal=None, lead=row, status_id=target.id, reason="no budget"
            )
    call_id = recorded(tenant, lead, outside)

    assert run_pipeline(call_id, config=outside.config) == "done"

    call = load(call_id)
    assert call.recommended_status == "contacted"
    assert call.pipeline["steps"]["status"]["state"] == "skipped"
    assert message in call.pipeline["steps"]["status"]["message"]
    assert status_key(lead) == expected


def test_a_caller_who_is_not_a_lead_gets_a_summary_but_no_note(
    tenant: Tenant, outside: Outside
) -> None:
    call_id = recorded(tenant, None, outside)
    assert run_pipeline(call_id, config=outside.config) == "done"
    call = load(call_id)
    assert call.summary and step_states(call)["note"] == "skipped"
    assert summary_notes(call_id) == []
