"""The calls page and the call panel: URL filters, the detail a user reads, re-runs."""

from __future__ import annotations

from datetime import timedelta

from crm_app.jobs.queue import use_queue
from crm_app.models import utcnow
from crm_app.services.call_pipeline import STEPS
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
    # An older link with ?call= goes to the call's own URL, keeping the filters.
    assert f"/calls/{wanted.id}?" in str(events) and "has_recording=true" in str(events)
    state = await state_for(
        CallsState,
        path=f"/calls/{wanted.id}?q=052-987&has_recording=true",
        cookie=session_cookie(tenant.agent),
    )
    events = state.load()
    assert [r.id for r in state.rows] == [wanted.id]
    assert state.rows[0].lead_name == "נועה" and state.rows[0].has_recording
    assert state.has_filters and state.recording == "true" and state.total == 1
    assert any("open_call" in str(e) for e in events)  # /calls/{id} opens the panel
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
    states = {name: s.state for name, s in zip(STEPS, panel.steps, strict=True)}
    assert states == {
        "download": "done",
        "metadata": "done",
        "transcribe": "done",
        "summarize": "failed",
        "extract": "pending",
        "note": "pending",
        "fill": "pending",
        "status": "skipped",
        "callback": "pending",
        "alert": "pending",
    }
    # What each step says is in the reader's language, a status by its label; rows
    # written before steps kept their words as keys show their stored text.
    assert panel.steps[3].message == "הסיכום לא הסתיים בזמן"
    assert (
        panel.steps[STEPS.index("status")].message
        == "הומלץ \u2068מתאים\u2069 בביטחון 0.72, מתחת לסף 0.80"
    )
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

        def send_texts(self) -> None:
            """No texts here."""

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
    assert {s.state for s in panel.steps[3:]} == {"pending"}  # summarize and after
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
        CallsState, path="/calls/36893488147419103231", cookie=session_cookie(tenant.agent)
    )
    events = state.load()
    assert _panel_event(events) == ("open_call", {"call_id": 0})  # reads as not found
    panel = await state_for(CallViewState, path="/calls", cookie=session_cookie(tenant.agent))
    panel.open_call(2**65)
    assert panel.notice != "" and panel.call.id in (0, None)


async def _load_panel(path: str, cookie: str) -> tuple[CallsState, CallViewState]:
    """Load ``path`` as the page does: the list, then the panel event it asks for."""
    state = await state_for(CallsState, path=path, cookie=cookie)
    events = state.load()
    panel = await state.get_state(CallViewState)
    name, kwargs = _panel_event(events)
    getattr(panel, name)(**kwargs)
    return state, panel


def _panel_event(events: object) -> tuple[str, dict[str, object]]:
    """The one panel event (open_call or close) among a load's events, with its arguments."""
    panel = CallViewState.get_full_name()
    found = [
        (e.handler.fn.__name__, {k._js_expr: v._var_value for k, v in e.args})
        for e in events  # type: ignore[attr-defined]
        if getattr(e.handler, "state_full_name", "") == panel
    ]
    assert len(found) == 1, events
    return found[0]


async def test_a_calls_own_url_opens_its_panel_for_a_colleague(db: Database) -> None:
    tenant = make_tenant()
    lead = make_lead(tenant, name="שירה")
    call = make_call(tenant, lead, summary="שאלה על מחירים")
    _, panel = await _load_panel(f"/calls/{call.id}", session_cookie(tenant.admin))
    assert panel.call.id == call.id and panel.call.summary == "שאלה על מחירים"
    assert panel.is_open and panel.notice == ""


async def test_another_business_call_url_is_not_found(db: Database) -> None:
    tenant = make_tenant()
    call = make_call(tenant, make_lead(tenant, name="סוד"), summary="פרטי")
    other = make_tenant(name="מתחרה")
    state, panel = await _load_panel(f"/calls/{call.id}", session_cookie(other.owner))
    assert not panel.is_open and panel.notice == "השיחה הזו לא קיימת."
    assert panel.call.summary == "" and state.rows == []


async def test_a_junk_call_url_is_not_found(db: Database) -> None:
    tenant = make_tenant()
    for junk in ("abc", "0", "-4", "1e3"):
        _, panel = await _load_panel(f"/calls/{junk}", session_cookie(tenant.agent))
        assert not panel.is_open and panel.notice == "השיחה הזו לא קיימת.", junk


async def test_the_calls_page_alone_closes_a_panel_left_open_on_a_lead(db: Database) -> None:
    tenant = make_tenant()
    call = make_call(tenant, make_lead(tenant))
    state = await state_for(CallsState, path="/calls", cookie=session_cookie(tenant.agent))
    panel = await state.get_state(CallViewState)
    panel.open_call(call.id)  # opened on the lead page's Calls tab
    events = state.load()
    assert _panel_event(events) == ("close", {})
    panel.close()
    assert not panel.is_open


async def test_opening_and_closing_a_call_keeps_the_filters_and_page(db: Database) -> None:
    tenant = make_tenant()
    state = await state_for(
        CallsState, path="/calls?direction=inbound&cursor=abc", cookie=session_cookie(tenant.agent)
    )
    state.load()
    opened = str(state.select(42))
    assert "/calls/42?" in opened and "direction=inbound" in opened and "cursor=abc" in opened
    closed = str(state.deselect())
    assert "/calls?" in closed and "/calls/42" not in closed and "direction=inbound" in closed
