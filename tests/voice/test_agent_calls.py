"""Calls answered by the business's current agent: its settings, its revision, its time."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import select

from crm_app.db import unit_of_work
from crm_app.models import Call, Role
from crm_app.services import agent
from crm_app.services.agent_time import weekday_name
from tests.factories import Tenant
from tests.voice.conftest import harness, set_business, until
from voice_bridge.testing.audio import clip, silence
from voice_bridge.testing.fake_openai import FakeRealtime, ToolPlan

ALL_DAY = {d: [["00:00", "23:59"]] for d in ("sun", "mon", "tue", "wed", "thu", "fri", "sat")}


def _save(tenant: Tenant, **values: Any) -> int:
    with unit_of_work() as session:
        revision = agent.save(
            session, principal=tenant.principal(Role.OWNER), settings=agent.parse(values)
        )
        return revision.number


def _call(call_sid: str) -> Call | None:
    with unit_of_work() as session:
        return session.exec(select(Call).where(Call.call_sid == call_sid)).first()


async def _finalized(call_sid: str) -> Call:
    await until(lambda: (c := _call(call_sid)) is not None and c.ended_at is not None)
    call = _call(call_sid)
    assert call is not None
    return call


async def _place_call(tenant: Tenant, **config: object) -> tuple[dict[str, Any], list[Any], Call]:
    """A call until the greeting is asked for: its session config, the client events, its row."""
    fake = FakeRealtime(reply_audio=silence(100))
    async with harness(tenant, fake, **config) as h:
        caller = h.caller()
        await caller.place()
        await caller.connect()
        session = await fake.wait_session()
        await until(lambda: any(e["type"] == "response.create" for e in session.received))
        await caller.stop()
        call = await _finalized(caller.call_sid)
    update = next(e for e in session.received if e["type"] == "session.update")
    return update["session"], session.received, call


def _local_today(zone: str = "Asia/Jerusalem") -> datetime:
    return datetime.now(ZoneInfo(zone))


async def test_a_call_uses_the_saved_agent_and_records_its_revision(
    voice_tenant: Tenant,
) -> None:
    set_business(voice_tenant, business_hours=ALL_DAY, closed_dates=[])
    number = _save(
        voice_tenant,
        instructions="You answer for a bicycle shop. Never promise same-day repairs.",
        greeting="Hello, you have reached the bike shop.",
        voice="coral",
        locale="en",
        collect=[{"key": "name"}, {"key": "bike_model", "label": "the model of their bike"}],
        books_appointments=True,
        slot_minutes=45,
    )
    config, received, call = await _place_call(voice_tenant)
    today = _local_today()
    instructions = config["instructions"]
    assert config["audio"]["output"]["voice"] == "coral"
    assert config["audio"]["input"]["transcription"]["language"] == "en"
    assert "Never promise same-day repairs." in instructions
    assert "From every caller, find out: their name; the model of their bike." in instructions
    assert "Appointments are 45 minutes long" in instructions
    assert f"it is now {weekday_name(today.date(), 'en')}" in instructions
    assert f"({today.date().isoformat()})" in instructions
    assert "The business is open now." in instructions
    assert {t["name"] for t in config["tools"]} == {"check_availability", "schedule_appointment"}
    greeting = next(e for e in received if e["type"] == "response.create")
    assert "Hello, you have reached the bike shop." in greeting["response"]["instructions"]
    assert call.agent_revision == number


async def test_the_next_call_uses_the_newest_revision(voice_tenant: Tenant) -> None:
    _save(voice_tenant, voice="ash")
    _, _, first = await _place_call(voice_tenant)
    newest = _save(voice_tenant, voice="verse", books_appointments=False)
    config, _, second = await _place_call(voice_tenant)
    assert config["audio"]["output"]["voice"] == "verse" and config["tools"] == []
    assert (first.agent_revision, second.agent_revision) == (newest - 1, newest)


async def test_a_business_that_never_saved_its_agent_is_answered_by_revision_one(
    voice_tenant: Tenant,
) -> None:
    _, _, call = await _place_call(voice_tenant)
    assert call.agent_revision == 1


async def test_on_a_closed_date_the_agent_is_told_to_say_closed_and_take_a_message(
    voice_tenant: Tenant,
) -> None:
    today = _local_today().date()
    set_business(voice_tenant, business_hours=ALL_DAY, closed_dates=[today.isoformat()])
    config, _, _ = await _place_call(voice_tenant)  # a Hebrew business
    instructions = config["instructions"]
    assert f"עכשיו {weekday_name(today, 'he')}" in instructions
    assert f"- {weekday_name(today, 'he')} {today.isoformat()}: סגור" in instructions
    assert "העסק סגור עכשיו" in instructions and "קחו הודעה" in instructions


async def test_outside_opening_hours_the_english_agent_is_told_closed(
    voice_tenant: Tenant,
) -> None:
    # Open half an hour a day, two hours from now: closed at this moment, whatever the time.
    start = (_local_today().hour + 2) % 24
    hours = {d: [[f"{start:02d}:00", f"{start:02d}:30"]] for d in ALL_DAY}
    set_business(voice_tenant, business_hours=hours, closed_dates=[], locale="en")
    config, _, _ = await _place_call(voice_tenant)
    assert "The business is CLOSED now" in config["instructions"]
    assert "take a message" in config["instructions"]


async def test_the_business_silence_limit_ends_a_silent_call(voice_tenant: Tenant) -> None:
    _save(voice_tenant, silence_seconds=5)
    fake = FakeRealtime(reply_audio=silence(100))
    async with harness(voice_tenant, fake, silence_seconds=300) as h:  # the global default
        caller = h.caller()
        await caller.place()
        await caller.connect()
        call = await _finalized(caller.call_sid)
    assert call.end_reason == "silence" and caller.call_sid in h.rest.hangups


async def test_limits_set_outside_the_settings_page_still_answer_and_apply(
    voice_tenant: Tenant,
) -> None:
    # Two seconds is below what the settings page accepts: the call is answered all the same.
    set_business(voice_tenant, max_call_seconds=2)
    fake = FakeRealtime(reply_audio=silence(100))
    async with harness(voice_tenant, fake, max_call_seconds=600) as h:
        caller = h.caller()
        await caller.place()
        await caller.connect()
        call = await _finalized(caller.call_sid)
    assert call.end_reason == "max_duration" and caller.call_sid in h.rest.hangups


async def test_a_relative_date_from_the_model_is_resolved_in_the_business_zone(
    voice_tenant: Tenant,
) -> None:
    set_business(voice_tenant, business_hours=ALL_DAY, closed_dates=[], timezone="Asia/Tokyo")
    _save(voice_tenant, books_appointments=True, min_notice_minutes=0)
    fake = FakeRealtime(
        mode="vad",
        reply_audio=silence(300),
        reply_text="Let me check.",
        tool_plan=ToolPlan("check_availability", {"date": "מחר"}),
    )
    async with harness(voice_tenant, fake) as h:
        caller = h.caller(pace=False)
        await caller.place()
        await caller.connect()
        session = await fake.wait_session()
        await caller.stream(clip("he_caller") + silence(900))
        await until(lambda: len(session.outputs) == 1)
        await caller.stop()
        await _finalized(caller.call_sid)
    output = json.loads(session.outputs[0]["output"])
    tomorrow = _local_today("Asia/Tokyo").date() + timedelta(days=1)
    assert (output["date"], output["resolved_from"]) == (tomorrow.isoformat(), "מחר")
    assert output["weekday"] == weekday_name(tomorrow, "he") and output["available_times"]
