"""``simulate-call``: a call lands on its lead, recorded, transcribed and summarised."""

from __future__ import annotations

import io
import logging
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import select

from crm_app.__main__ import main
from crm_app.db import unit_of_work
from crm_app.jobs.follow_up import callback_due
from crm_app.models import Business, Call, Lead, Note, Task, utcnow
from crm_app.services import storage
from crm_app.services.agent_time import OpeningHours
from crm_app.simulate import HEARD, SCRIPT, heard_fields, simulate
from tests.conftest import Database
from tests.factories import Tenant, make_tenant
from voice_bridge.testing.audio import clip


@pytest.fixture(autouse=True)
def _bridge_log_level() -> Iterator[None]:
    """simulate-call quiets the bridge's log for the rest of its process: give it back.

    Run in-process, it would otherwise hide the ``call_end`` lines (INFO) from every
    test after it that reads them.
    """
    bridge_log = logging.getLogger("voice_bridge")
    level = bridge_log.level
    yield
    bridge_log.setLevel(level)


def test_simulate_call_puts_a_call_with_its_transcript_on_the_lead(
    voice_tenant: Tenant,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    short = tmp_path / "caller.ulaw"
    short.write_bytes(clip("he_caller")[:16000])  # two seconds of the bundled caller
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    code = main(
        [
            "simulate-call",
            "--business-phone",
            voice_tenant.business.phone_number,
            "--from",
            "+972527777777",
            "--audio",
            str(short),
        ]
    )
    assert code == 0
    out = capsys.readouterr().out
    assert "ended (agent_goodbye)" in out and "/leads/" in out
    assert "post-call pipeline: done" in out
    with unit_of_work() as session:
        call = session.exec(select(Call).where(Call.business_id == voice_tenant.id)).one()
        notes = session.exec(select(Note).where(Note.call_id == call.id)).all()
    assert call.lead_id is not None
    # The realtime transcript, as the bridge heard it.
    assert [u["speaker"] for u in call.realtime_transcript] == ["agent", "caller", "agent"]
    assert call.realtime_transcript[0]["text"].startswith("שלום, כאן העוזרת")  # the greeting
    assert call.realtime_transcript[1]["text"] == SCRIPT["he"][0]
    # The recording, fetched from the fake Twilio, measured from its own bytes.
    assert call.recording_status == "completed" and call.recording_storage_key
    stored = storage.path_for(call.recording_storage_key)
    assert call.audio_bytes_len == stored.stat().st_size > 44
    assert call.audio_duration_sec is not None
    assert abs(call.audio_duration_sec - (call.duration_sec or 0)) <= 2
    # The recording's transcript: both speakers, in order, with times.
    assert call.transcript_source == "recording"
    assert [u["speaker"] for u in call.transcript] == ["agent", "caller", "agent"]
    assert call.transcript[1]["text"] == SCRIPT["he"][0]
    starts = [u["start_ms"] for u in call.transcript]
    assert starts == sorted(starts) and call.transcript[2]["end_ms"] > 2000
    # The summary and its one note on the lead.
    assert "לקבוע תור" in call.summary
    assert [(n.kind, n.lead_id, n.text) for n in notes] == [
        ("call_summary", call.lead_id, call.summary)
    ]
    assert call.pipeline["state"] == "done"
    # The lead is ready to work: the caller's name and reason, and a callback when asked.
    with unit_of_work() as session:
        lead = session.get(Lead, call.lead_id)
        [task] = session.exec(select(Task).where(Task.call_id == call.id)).all()
        business = session.get(Business, voice_tenant.id)
    assert lead is not None and business is not None
    assert (lead.name, lead.reason) == (HEARD["he"]["name"], HEARD["he"]["reason"])
    asked = heard_fields("he", business.timezone)["callback_time"]
    opening = OpeningHours.of(business.business_hours, business.closed_dates)
    due = callback_due(asked, now=utcnow(), timezone=business.timezone, opening=opening)
    assert task.kind == "callback" and task.due_at == due
    assert task.assignee_id == voice_tenant.owner.id  # the lead has no owner: an owner


async def test_simulated_call_lands_for_an_english_business(db: Database) -> None:
    # The English clips are not whole milliseconds long (en_agent is 4012.375 ms):
    # the agent's goodbye must still count as heard to the end, so the agent hangs up.
    tenant = make_tenant(name="Bright Smile", locale="en")
    heard: list[tuple[int, dict[str, object]]] = []
    simulated = await simulate(
        business_phone=tenant.business.phone_number,
        from_number="+12125550199",
        audio=clip("en_caller")[:16000],
        heard=lambda call_id, line: heard.append((call_id, line)),
    )
    assert simulated.end_reason == "agent_goodbye" and simulated.pipeline == "done"
    with unit_of_work() as session:
        call = session.get(Call, simulated.call_id)
    assert call is not None and call.lead_id is not None and call.lead_id == simulated.lead_id
    realtime = call.realtime_transcript
    assert [(u["speaker"], u["interrupted"]) for u in realtime] == [
        ("agent", False),  # the greeting, heard out: the caller did not barge in on it
        ("caller", False),
        ("agent", False),
    ]
    assert realtime[0]["text"].startswith("Hello, this is the digital assistant")
    assert realtime[1]["text"] == SCRIPT["en"][0]
    assert realtime[2]["text"].endswith("Goodbye")
    # Each line was heard as it was said, the same lines the call keeps.
    assert heard == [(simulated.call_id, line) for line in realtime]
