"""No call is lost at its end: the database goes away mid-call and comes back."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import Session, select

from crm_app import db as crm_db
from crm_app.models import Call, utcnow
from crm_app.services import calls
from tests.conftest import Database
from tests.db_proxy import DatabaseProxy, proxied
from tests.factories import Tenant, make_call
from tests.voice.conftest import harness, until
from voice_bridge import crm, tools
from voice_bridge.spool import CallSpool
from voice_bridge.testing.audio import clip
from voice_bridge.testing.fake_openai import FakeRealtime
from voice_bridge.tools import CallContext


@pytest.fixture
def proxy(db: Database) -> Iterator[DatabaseProxy]:
    """The app's engine goes through a proxy the test can cut."""
    with proxied(db.url) as through:
        engine = crm_db.build_engine(through.url)
        previous = crm_db.use_engine(engine)
        try:
            yield through
        finally:
            crm_db.use_engine(previous)
            engine.dispose()


def _row(db: Database, call_sid: str) -> Call:
    """Read the call directly, not through the proxy."""
    with Session(db.engine) as session:
        call = session.exec(select(Call).where(Call.call_sid == call_sid)).one()
        session.expunge(call)
        return call


async def test_a_call_ending_while_the_database_is_away_is_spooled_then_written(
    voice_tenant: Tenant, db: Database, proxy: DatabaseProxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(crm, "FINALIZE_RETRY_WAITS", (0.05, 0.1, 0.2))
    heard: list[tuple[int, str]] = []
    fake = FakeRealtime(mode="vad", caller_transcripts=["I need a plumber"], reply_text="Sure")
    async with harness(voice_tenant, fake) as h:
        h.bridge.events = lambda call_id, event: heard.append((call_id, event))
        caller = h.caller()
        await caller.place()
        await caller.connect()
        await until(lambda: caller.report.media_messages > 0)
        await caller.stream(clip("en_caller"), pause_ms=800)
        live = await h.live_call(caller.call_sid)
        await until(lambda: any(u.speaker == "caller" for u in live.transcript))

        proxy.cut()  # the database goes away in the middle of the call
        await caller.stop()
        await until(lambda: bool(h.bridge.spool.pending()))
        [spooled] = h.bridge.spool.pending()
        assert _row(db, caller.call_sid).ended_at is None  # not written yet
        assert heard == []  # and its post-call work not queued

        proxy.restore()  # back: the next replay writes it and queues its pipeline
        written = await asyncio.to_thread(crm.replay_spool, h.bridge.events, h.bridge.spool)
    assert written == 1 and h.bridge.spool.pending() == []
    call = _row(db, caller.call_sid)
    assert call.id == spooled.call_id and call.end_reason == spooled.outcome.end_reason
    assert any(u["text"] == "I need a plumber" for u in call.transcript)
    assert call.ended_at is not None and call.ended_at <= utcnow()
    assert heard == [(call.id, "finalized")]
    assert not caller.report.violations


async def test_the_spool_is_replayed_when_the_bridge_starts(
    voice_tenant: Tenant, db: Database
) -> None:
    call = make_call(voice_tenant, status="in-progress", ended_at=None, end_reason="")
    assert call.id is not None
    outcome = calls.CallOutcome(
        end_reason="caller_hangup",
        transcript=[{"speaker": "caller", "text": "hello", "start_ms": 0, "end_ms": 500}],
        ended_at=utcnow() - timedelta(minutes=1),
    )
    fake = FakeRealtime()
    async with harness(voice_tenant, fake) as h:
        h.bridge.spool.put(call.id, outcome)
        heard: list[tuple[int, str]] = []
        h.bridge.events = lambda call_id, event: heard.append((call_id, event))
        async with h.bridge.lifespan():
            await until(lambda: heard == [(call.id, "finalized")])
    assert _row(db, call.call_sid).end_reason == "caller_hangup"
    assert h.bridge.spool.pending() == []


async def test_a_booking_tool_with_the_database_away_asks_the_agent_to_take_a_message(
    voice_tenant: Tenant, proxy: DatabaseProxy
) -> None:
    context = CallContext(
        business_id=voice_tenant.id,
        call_id=1,
        lead_id=None,
        timezone="Asia/Jerusalem",
        locale="he",
    )
    proxy.cut()
    answer = await tools.run_tool(
        tools.APPOINTMENT_TOOLS, "check_availability", '{"date": "tomorrow"}', context
    )
    assert answer["error"]["code"] == "system_unavailable"
    assert "take a message" in answer["error"]["message"]


def test_an_unreadable_spool_file_is_left_for_a_person(tmp_path: Path) -> None:
    spool = CallSpool(tmp_path / "spool")
    spool.directory.mkdir(parents=True)
    (spool.directory / "call-9.json").write_text("{not json", encoding="utf-8")
    assert spool.pending() == []
    assert (spool.directory / "call-9.json").exists()
