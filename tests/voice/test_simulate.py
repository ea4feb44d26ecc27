"""``python -m crm_app simulate-call``: a call lands on the lead with its transcript, no keys."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest
from sqlmodel import select

from crm_app.__main__ import main
from crm_app.db import unit_of_work
from crm_app.models import Call
from tests.factories import Tenant
from voice_bridge.testing.audio import clip


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
    with unit_of_work() as session:
        call = session.exec(select(Call).where(Call.business_id == voice_tenant.id)).one()
    assert call.transcript_source == "realtime" and call.lead_id is not None
    assert [u["speaker"] for u in call.transcript] == ["agent", "caller", "agent"]
    assert call.transcript[0]["text"].startswith("שלום, כאן העוזרת")  # the greeting
    assert call.transcript[1]["text"] == "שלום, אני רוצה לקבוע תור לבדיקה"
    assert "להתראות" in call.transcript[2]["text"]
