"""The bridge's pure parts: the session config, tokens, playout bookkeeping, tools."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import date, timedelta

import pydantic
import pytest
from openai.types.realtime import RealtimeClientEvent, SessionUpdateEvent
from sqlmodel import select

from crm_app.db import unit_of_work
from crm_app.models import Appointment, utcnow
from crm_app.services import booking, calendars, calls, slots
from tests.factories import Tenant
from tests.voice.conftest import set_business
from voice_bridge import security
from voice_bridge.playout import Playout, Truncation
from voice_bridge.session_config import (
    AgentProfile,
    VadConfig,
    build_instructions,
    build_session_update,
)
from voice_bridge.tools import APPOINTMENT_TOOLS, CallContext, run_tool

CLIENT_EVENT = pydantic.TypeAdapter(RealtimeClientEvent)


def profile(**changes: object) -> AgentProfile:
    base = dict(
        business_name="מרפאה",
        instructions="Be kind.",
        locale="he",
        voice="marin",
        model="gpt-realtime-2.1",
        transcribe_model="gpt-4o-transcribe",
        books_appointments=True,
    )
    return AgentProfile(**{**base, **changes})  # type: ignore[arg-type]


@pytest.mark.parametrize("books", [True, False])
@pytest.mark.parametrize("locale", ["he", "en"])
def test_session_update_is_valid_for_the_sdk_on_every_path(books: bool, locale: str) -> None:
    update = build_session_update(
        profile(books_appointments=books, locale=locale),
        APPOINTMENT_TOOLS,
        VadConfig(threshold=0.7, silence_ms=600, prefix_ms=200),
    )
    SessionUpdateEvent.model_validate(update)  # the SDK's own type
    session = update["session"]
    assert session["tool_choice"] == ("auto" if books else "none")
    assert [t["name"] for t in session["tools"]] == (
        ["check_availability", "schedule_appointment"] if books else []
    )
    assert session["audio"]["input"]["format"] == {"type": "audio/pcmu"}
    assert session["audio"]["output"]["format"] == {"type": "audio/pcmu"}
    assert session["audio"]["input"]["turn_detection"]["threshold"] == 0.7
    assert session["audio"]["input"]["transcription"]["language"] == locale
    assert session["instructions"].startswith(
        "You are the phone assistant"
    )  # the safety layer first
    assert "Be kind." in session["instructions"]
    assert "temperature" not in json.dumps(update)  # gone in GA


def test_unknown_voice_falls_back() -> None:
    update = build_session_update(profile(voice="robot"), [], VadConfig())
    assert update["session"]["audio"]["output"]["voice"] == "marin"


def test_call_token_binds_call_business_and_time() -> None:
    secret = b"s" * 32
    token = security.make_call_token(secret, "CA1", 7, now=1000)
    assert security.verify_call_token(secret, token, "CA1", now=1010) == security.CallToken(
        "CA1", 7, 1060
    )
    assert security.verify_call_token(secret, token, "CA2", now=1010) is None  # another call
    assert security.verify_call_token(secret, token, "CA1", now=1061) is None  # expired
    assert security.verify_call_token(b"x" * 32, token, "CA1", now=1010) is None  # not ours
    forged = token.replace("7.", "8.", 1)
    assert security.verify_call_token(secret, forged, "CA1", now=1010) is None  # another tenant
    assert security.verify_call_token(secret, "garbage", "CA1") is None


def test_signature_is_over_the_public_url_not_the_host() -> None:
    token = "auth-token"
    url = security.public_url("https://crm.example.com", "/twilio/voice")
    params = {"CallSid": "CA1", "To": "+97235550100"}
    signature = security.sign_request(token, url, params)
    assert security.valid_signature(token, url, params, signature)
    assert not security.valid_signature(
        token, "https://evil.example/twilio/voice", params, signature
    )
    assert not security.valid_signature(token, url, {**params, "To": "+1"}, signature)
    assert security.public_url("https://crm.example.com", "/twilio/media", websocket=True) == (
        "wss://crm.example.com/twilio/media"
    )


def test_truncation_is_what_was_heard_never_more_than_generated() -> None:
    playout = Playout()
    for _ in range(5):  # 5 x 100 ms sent at t=0
        mark = playout.on_delta("item1", 800, now=0.0)
    assert mark == "0:item1:500"
    assert playout.on_mark("0:item1:200", now=0.2) == "item1"  # 200 ms heard at t=0.2
    [cut] = playout.interrupt(now=0.25)
    assert cut.item_id == "item1" and 200 <= cut.audio_end_ms <= 500
    assert cut.audio_end_ms == 250  # 200 acked + 50 ms playing since
    assert playout.on_delta("item1", 800, now=0.3) is None  # late deltas are dropped
    assert playout.on_mark("0:item1:500", now=0.4) is None  # marks of the old generation too


def test_an_item_of_no_whole_milliseconds_is_heard_to_the_end_at_its_last_mark() -> None:
    playout = Playout()
    for nbytes in (800, 800, 99):  # 212.375 ms: deltas hold any number of bytes
        mark = playout.on_delta("item1", nbytes, now=0.0)
    assert mark is not None and playout.on_mark(mark, now=0.3) == "item1"
    assert playout.fully_played("item1") and playout.unplayed() == []


def test_interrupt_with_nothing_acked_is_bounded_by_generated() -> None:
    playout = Playout()
    playout.on_delta("item1", 400, now=0.0)  # 50 ms generated
    [cut] = playout.interrupt(now=5.0)
    assert cut.audio_end_ms == 50


def test_a_turn_interrupted_twice_is_truncated_once() -> None:
    playout = Playout()
    for _ in range(10):  # 10 x 100 ms sent at t=0
        playout.on_delta("item1", 800, now=0.0)
    playout.on_mark("0:item1:500", now=0.5)  # 500 ms heard at t=0.5
    assert playout.interrupt(now=0.502) == [Truncation("item1", 502)]
    assert playout.on_mark("0:item1:600", now=0.51) is None  # a mark echoed after the clear
    assert playout.interrupt(now=0.521) == []  # not again, and never at 521 ms
    assert playout.unplayed() == []  # the clear dropped the rest: nothing is playing


def test_audio_still_arriving_after_a_barge_in_is_not_played() -> None:
    playout = Playout()
    playout.on_delta("item1", 800, now=0.0)  # 100 ms sent...
    playout.on_mark("0:item1:100", now=0.1)  # ...and heard: the marks have caught up
    assert playout.interrupt(now=0.15) == [Truncation("item1", 100)]  # the model is still speaking
    assert playout.on_delta("item1", 800, now=0.2) is None  # so what it still sends is dropped
    assert playout.interrupt(now=0.25) == []  # and it is truncated once
    assert playout.on_delta("item2", 800, now=0.3) == "2:item2:100"  # the next answer plays


def test_an_item_interrupted_before_its_first_audio_is_muted_without_a_truncate() -> None:
    playout = Playout()
    playout.started("item1")  # the model began the item; no audio yet
    assert playout.active()
    assert playout.interrupt(now=0.0) == []  # nothing of it was sent: nothing to truncate
    assert playout.on_delta("item1", 800, now=0.1) is None  # its audio, once it comes, is dropped
    assert not playout.active()


def test_an_item_heard_to_its_end_is_not_cut_by_a_later_barge_in() -> None:
    playout = Playout()
    playout.started("item1")
    playout.on_delta("item1", 800, now=0.0)
    playout.finished("item1")  # all of its audio was sent...
    playout.on_mark("0:item1:100", now=0.1)  # ...and heard
    assert not playout.active()
    assert playout.interrupt(now=0.2) == [] and "item1" not in playout.muted


async def test_tools_validate_arguments_and_report_errors(voice_tenant: Tenant) -> None:
    context = _call_context(voice_tenant)
    unknown = await run_tool(APPOINTMENT_TOOLS, "delete_everything", "{}", context)
    assert unknown["error"]["code"] == "unknown_tool"
    bad_json = await run_tool(APPOINTMENT_TOOLS, "schedule_appointment", "{not json", context)
    assert bad_json["error"]["code"] == "invalid_arguments"
    bad_date = await run_tool(
        APPOINTMENT_TOOLS,
        "schedule_appointment",
        json.dumps({"date": "the twelfth of Smarch", "time": "10:00"}),
        context,
    )
    assert bad_date["error"]["code"] == "invalid_arguments"

    async def slow(handler, ctx, args):  # type: ignore[no-untyped-def]
        await asyncio.sleep(10)

    import voice_bridge.tools as tools_module

    original = tools_module.TOOL_TIMEOUT_SECONDS
    tools_module.TOOL_TIMEOUT_SECONDS = 0.05
    try:
        timeout = await run_tool(
            APPOINTMENT_TOOLS, "check_availability", "{}", context, runner=slow
        )
    finally:
        tools_module.TOOL_TIMEOUT_SECONDS = original
    assert timeout["error"]["code"] == "timeout"


def _call_context(tenant: Tenant) -> CallContext:
    with unit_of_work() as session:
        call = calls.start_inbound_call(
            session,
            business=tenant.business,
            call_sid=f"CA{uuid.uuid4().hex}",
            from_number="+972521234567",
            to_number=tenant.business.phone_number,
        )
    assert call.id is not None
    return CallContext(
        business_id=tenant.id,
        call_id=call.id,
        lead_id=call.lead_id,
        timezone="Asia/Jerusalem",
        locale="he",
    )


async def test_booking_respects_hours_notice_and_double_booking(voice_tenant: Tenant) -> None:
    set_business(
        voice_tenant,
        business_hours={
            d: [["09:00", "12:00"]] for d in ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
        },
        slot_minutes=60,
        min_notice_minutes=60,
        booking_window_days=10,
    )
    context = _call_context(voice_tenant)
    day = (utcnow() + timedelta(days=2)).date().isoformat()
    available = await run_tool(
        APPOINTMENT_TOOLS, "check_availability", json.dumps({"date": day}), context
    )
    assert available["available_times"] == ["09:00", "10:00", "11:00"]
    booked = await run_tool(
        APPOINTMENT_TOOLS,
        "schedule_appointment",
        json.dumps({"date": day, "time": "10:00", "reason": "בדיקה"}),
        context,
    )
    assert booked["booked"] is True
    again = await run_tool(
        APPOINTMENT_TOOLS,
        "schedule_appointment",
        json.dumps({"date": day, "time": "10:00"}),
        context,
    )
    assert again["error"]["code"] == "slot_unavailable"
    night = await run_tool(
        APPOINTMENT_TOOLS,
        "schedule_appointment",
        json.dumps({"date": day, "time": "23:00"}),
        context,
    )
    assert night["error"]["code"] == "slot_unavailable"
    far = (utcnow() + timedelta(days=40)).date().isoformat()
    assert (
        await run_tool(APPOINTMENT_TOOLS, "check_availability", json.dumps({"date": far}), context)
    )["available_times"] == []
    with unit_of_work() as session:
        rows = session.exec(
            select(Appointment).where(Appointment.business_id == voice_tenant.id)
        ).all()
        assert (
            len(rows) == 1
            and rows[0].call_id == context.call_id
            and rows[0].lead_id == context.lead_id
        )
        left = booking.free_slots(session, business_id=voice_tenant.id, day=date.fromisoformat(day))
    assert [slot.hour for slot in left] == [9, 11]


async def test_the_voice_agent_offers_and_books_the_business_appointment_types(
    voice_tenant: Tenant,
) -> None:
    set_business(
        voice_tenant,
        business_hours={d: [["09:00", "11:00"]] for d in slots.WEEKDAYS},
        slot_minutes=30,
        min_notice_minutes=60,
    )
    with unit_of_work() as session:
        calendars.create_type(session, principal=voice_tenant.principal(), name="ניקוי", minutes=90)
    instructions = build_instructions(profile(appointment_types=(("ניקוי", 90),)))
    assert "ניקוי (90 min)" in instructions and "appointment_type" in instructions
    context = _call_context(voice_tenant)
    day = (utcnow() + timedelta(days=2)).date().isoformat()
    args = {"date": day, "appointment_type": " ניקוי "}
    available = await run_tool(APPOINTMENT_TOOLS, "check_availability", json.dumps(args), context)
    assert available["available_times"] == ["09:00", "09:30"]  # 90 minutes end by 11:00
    booked = await run_tool(
        APPOINTMENT_TOOLS, "schedule_appointment", json.dumps({**args, "time": "09:30"}), context
    )
    assert booked["booked"] is True
    with unit_of_work() as session:
        made = session.get(Appointment, booked["appointment_id"])
        assert made is not None and made.ends_at - made.starts_at == timedelta(minutes=90)
        assert made.title == "ניקוי"
    unknown = await run_tool(
        APPOINTMENT_TOOLS,
        "check_availability",
        json.dumps({"date": day, "appointment_type": "massage"}),
        context,
    )
    assert unknown["error"]["code"] == "unknown_type" and "ניקוי" in unknown["error"]["message"]


def test_client_events_the_bridge_sends_are_valid_sdk_events() -> None:
    update = build_session_update(profile(), APPOINTMENT_TOOLS, VadConfig())
    for event in (
        dict(update),
        {"type": "input_audio_buffer.append", "audio": "/w=="},
        {
            "type": "conversation.item.truncate",
            "item_id": "i",
            "content_index": 0,
            "audio_end_ms": 10,
        },
        {"type": "response.cancel"},
        {"type": "response.create", "response": {"instructions": "hi"}},
        {
            "type": "conversation.item.create",
            "item": {"type": "function_call_output", "call_id": "c", "output": "{}"},
        },
    ):
        CLIENT_EVENT.validate_python(event)


def test_instructions_carry_what_to_collect_booking_rules_and_the_time_in_order() -> None:
    update = build_session_update(
        profile(
            collect=(("name", ""), ("reason", ""), ("plate", "מספר הרכב")),
            time_context="הזמן אצל העסק: עכשיו יום ראשון.",
            slot_minutes=20,
            booking_window_days=14,
            min_notice_minutes=0,
        ),
        APPOINTMENT_TOOLS,
        VadConfig(),
    )
    text = update["session"]["instructions"]
    assert "Hebrew unless they speak English" in text
    collect = "מכל מתקשר יש לברר: השם; סיבת הפנייה; מספר הרכב."
    rules = "Appointments are 20 minutes long and can be booked from 0 minutes ahead up to 14 days"
    assert collect in text and rules in text
    assert text.index("Be kind.") < text.index(collect) < text.index("הזמן אצל העסק")


def test_an_english_agent_without_booking_is_told_neither_booking_rules_nor_fields() -> None:
    text = build_session_update(
        profile(locale="en", books_appointments=False, collect=()), APPOINTMENT_TOOLS, VadConfig()
    )["session"]["instructions"]
    assert "English unless they speak Hebrew" in text
    assert "Appointments are" not in text and "find out" not in text
