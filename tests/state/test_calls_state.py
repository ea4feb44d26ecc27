"""The calls page and the call panel: URL filters, the detail a user reads, re-runs."""

from __future__ import annotations

from datetime import timedelta

from crm_app.jobs.queue import use_queue
from crm_app.models import utcnow
from crm_app.state.calls import CallsState, CallViewState
from crm_app.state.lead import LeadState
from tests.conftest import Database
from tests.factories import make_call, make_lead, make_tenant
from tests.state.conftest import guarded, session_cookie, state_for

TRANSCRIPT = [
    {"speaker": "agent", "text": "שלום", "start_ms": 0, "end_ms": 3000, "interrupted": True},
    {"speaker": "caller", "text": "רציתי תור", "start_ms": 2500, "end_ms": 64000},
]
FAILED_SUMMARY = {
    "state": "failed",
    "steps": {
        "download": {"state": "done", "message": "1 KB"},
        "metadata": {"state": "done"},
        "transcribe": {"state": "done"},
        "summarize": {
            "state": "failed",
            "message": "the summary timed out",
            "said": [["pipeline.summary_timed_out", {}]],
        },
        "status": {
            "state": "skipped",
            "said": [
                [
                    "pipeline.below_threshold",
                    {"status": "qualified", "confidence": "0.72", "threshold": "0.80"},
                ]
            ],
        },
    },
}


async def test_the_url_filters_the_calls_and_opens_one(db: Database) -> None:
    tenant = make_tenant()
    lead = make_lead(tenant, name="נועה", phone="0529876543")
    wanted = make_call(tenant, lead, recording=b"RIFF....", started_at=utcnow())
    make_call(tenant, None, started_at=utcnow() - timedelta(hours=1))
    state = await state_for(
        CallsState,
        path=f"/calls?q=052-987&has_recording=true&call={wanted.id}",
        cookie=session_cookie(tenant.agent),
    )
    events = state.load()
    assert [r.id for r in state.rows] == [wanted.id]
    assert state.rows[0].lead_name == "נועה" and state.rows[0].has_recording
    assert state.has_filters and state.recording == "true" and state.total == 1
    assert any("open_call" in str(e) for e in events)  # ?call= opens the panel
    assert "direction=outbound" in str(state.set_direction("outbound"))
    assert "has_recording" not in str(state.set_recording("all"))


async def test_signed_out_visitors_go_to_login(db: Database) -> None:
    state = await state_for(CallsState, path="/calls")
    update = await guarded(state, "load")
    assert update is not None and "/login?next=/calls" in str(update.events)


async def test_the_panel_shows_player_transcript_summary_metadata_and_steps(db: Database) -> None:
    tenant = make_tenant()
    lead = make_lead(tenant, name="אורי")
    call = make_call(
        tenant,
        lead,
        recording=b"RIFF" + bytes(2000),
        audio_duration_sec=64.2,
        transcript=TRANSCRIPT,
        transcript_source="recording",
        summary="ביקש תור לשבוע הבא.",
        recommended_status="qualified",
        recommended_confidence=0.72,
        pipeline=FAILED_SUMMARY,
    )
    panel = await state_for(CallViewState, path="/calls", cookie=session_cookie(tenant.agent))
    panel.open_call(call.id)
    shown = panel.call
    assert shown.recording_url == f"/api/v1/calls/{call.id}/recording"
    assert (shown.audio_length, shown.audio_size) == ("64.2 שניות", "2.0 KB")
    assert shown.transcript_source == "ההקלטה" and shown.end_reason == "הלקוח ניתק"
    assert shown.lead_name == "אורי" and shown.lead_id == lead.id
    assert "72%" in shown.recommended and shown.has_failed
    assert [(t.speaker_label, t.at, t.interrupted) for t in panel.transcript] == [
        ("נציג AI", "0:00", True),
        ("לקוח", "0:02", False),
    ]
    assert [s.state for s in panel.steps] == [
        "done",
        "done",
        "done",
        "failed",
        "pending",
        "skipped",
    ]
    # What each step says is in the reader's language, a status by its label; rows
    # written before steps kept their words as keys show their stored text.
    assert panel.steps[3].message == "הסיכום לא הסתיים בזמן"
    assert panel.steps[5].message == "הומלץ \u2068מתאים\u2069 בביטחון 0.72, מתחת לסף 0.80"
    assert panel.steps[0].message == "1 KB"
    assert "playbackRate = 1.5" in str(panel.set_speed("1.5")) and panel.speed == "1.5"
    assert panel.set_speed("99") is None and panel.speed == "1.5"

    # An agent cannot re-run; another business's call reads as not found.
    panel.rerun()
    assert panel.notice and panel.steps[3].state == "failed"
    other = make_tenant(name="אחר")
    stranger = await state_for(CallViewState, path="/calls", cookie=session_cookie(other.owner))
    stranger.open_call(call.id)
    assert stranger.call.id == 0 and stranger.notice == "השיחה הזו לא קיימת."


async def test_an_admin_reruns_the_failed_steps_from_the_panel(db: Database) -> None:
    class Remember:
        runs: list[int] = []

        def enqueue(self, call_id: int, *, final: bool = False, delay: float = 0.0) -> None:
            self.runs.append(call_id)

    tenant = make_tenant()
    call = make_call(tenant, None, pipeline=FAILED_SUMMARY)
    previous = use_queue(Remember())
    try:
        panel = await state_for(CallViewState, path="/calls", cookie=session_cookie(tenant.admin))
        panel.open_call(call.id)
        panel.rerun()
    finally:
        use_queue(previous)
    assert Remember.runs == [call.id]
    assert [s.state for s in panel.steps][3:] == ["pending", "pending", "pending"]
    assert panel.notice == "נשלח להרצה חוזרת."


async def test_the_lead_calls_tab_lists_the_leads_calls(db: Database) -> None:
    tenant = make_tenant()
    lead = make_lead(tenant)
    make_call(tenant, lead, recording=b"RIFF", summary="סיכום")
    state = await state_for(
        LeadState, path=f"/leads/{lead.id}", cookie=session_cookie(tenant.agent)
    )
    state.load()
    assert [(c.has_recording, c.summary) for c in state.calls] == [(True, "סיכום")]


async def test_the_panel_shows_which_agent_revision_answered(db: Database) -> None:
    tenant = make_tenant()
    answered = make_call(tenant, None, agent_revision=3)
    older = make_call(tenant, None)  # a call from before revisions were recorded
    panel = await state_for(CallViewState, path="/calls", cookie=session_cookie(tenant.agent))
    panel.open_call(answered.id)
    assert panel.call.agent_revision == "גרסה 3"
    panel.open_call(older.id)
    assert panel.call.agent_revision == "—"


async def test_a_call_id_beyond_64_bits_is_not_found(db: Database) -> None:
    tenant = make_tenant()
    state = await state_for(
        CallsState, path="/calls?call=36893488147419103231", cookie=session_cookie(tenant.agent)
    )
    events = state.load()
    assert not any("open_call" in str(e) for e in events)
    panel = await state_for(CallViewState, path="/calls", cookie=session_cookie(tenant.agent))
    panel.open_call(2**65)
    assert panel.notice != "" and panel.call.id in (0, None)
