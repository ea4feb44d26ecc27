"""The booking tools with dates as callers say them, on the business's clock, across DST."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

from sqlmodel import select

from crm_app.db import unit_of_work
from crm_app.models import Appointment
from crm_app.services import calls
from tests.factories import Tenant
from tests.voice.conftest import set_business
from voice_bridge.tools import APPOINTMENT_TOOLS, CallContext, run_tool

MORNINGS = {d: [["09:00", "12:00"]] for d in ("sun", "mon", "tue", "wed", "thu", "fri", "sat")}


def _context(tenant: Tenant, now: datetime, locale: str = "he") -> CallContext:
    set_business(
        tenant,
        timezone="Asia/Jerusalem",
        business_hours=MORNINGS,
        slot_minutes=60,
        min_notice_minutes=60,
        booking_window_days=30,
    )
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
        locale=locale,
        clock=lambda: now,
    )


async def _tool(context: CallContext, name: str, **args: Any) -> dict[str, Any]:
    return await run_tool(APPOINTMENT_TOOLS, name, json.dumps(args), context)


def _booked_at(appointment_id: int) -> datetime:
    with unit_of_work() as session:
        appointment = session.get(Appointment, appointment_id)
        assert appointment is not None
        return appointment.starts_at.astimezone(UTC)


async def test_ten_oclock_is_the_right_instant_on_both_sides_of_the_spring_change(
    voice_tenant: Tenant,
) -> None:
    # Thursday 26 March 2026, 08:00 in Jerusalem (UTC+2); summer time (UTC+3) starts Friday.
    context = _context(voice_tenant, datetime(2026, 3, 26, 6, 0, tzinfo=UTC), locale="en")
    today = await _tool(context, "schedule_appointment", date="today", time="10:00")
    sunday = await _tool(context, "schedule_appointment", date="next Sunday", time="10:00")
    assert (today["date"], today["weekday"]) == ("2026-03-26", "Thursday")
    assert (sunday["date"], sunday["weekday"], sunday["resolved_from"]) == (
        "2026-03-29",
        "Sunday",
        "next Sunday",
    )
    assert _booked_at(today["appointment_id"]) == datetime(2026, 3, 26, 8, 0, tzinfo=UTC)
    assert _booked_at(sunday["appointment_id"]) == datetime(2026, 3, 29, 7, 0, tzinfo=UTC)


async def test_ten_oclock_is_the_right_instant_on_both_sides_of_the_autumn_change(
    voice_tenant: Tenant,
) -> None:
    # Saturday 24 October 2026, 08:00 in Jerusalem (UTC+3); winter time (UTC+2) starts Sunday,
    # which is also the first day of the next week.
    context = _context(voice_tenant, datetime(2026, 10, 24, 5, 0, tzinfo=UTC))
    today = await _tool(context, "schedule_appointment", date="היום", time="10:00")
    sunday = await _tool(context, "schedule_appointment", date="יום ראשון הבא", time="10:00")
    assert (today["date"], today["weekday"]) == ("2026-10-24", "שבת")
    assert (sunday["date"], sunday["weekday"]) == ("2026-10-25", "יום ראשון")
    assert _booked_at(today["appointment_id"]) == datetime(2026, 10, 24, 7, 0, tzinfo=UTC)
    assert _booked_at(sunday["appointment_id"]) == datetime(2026, 10, 25, 8, 0, tzinfo=UTC)
    with unit_of_work() as session:
        rows = session.exec(
            select(Appointment).where(Appointment.business_id == voice_tenant.id)
        ).all()
    assert all(row.call_id == context.call_id for row in rows) and len(rows) == 2


async def test_availability_by_relative_date_respects_notice_and_closed_dates(
    voice_tenant: Tenant,
) -> None:
    # Thursday 26 March, 09:30 local: the 10:00 slot is within the hour's notice.
    context = _context(voice_tenant, datetime(2026, 3, 26, 7, 30, tzinfo=UTC))
    set_business(voice_tenant, closed_dates=["2026-03-27"])
    today = await _tool(context, "check_availability", date="today")
    assert today["available_times"] == ["11:00"]
    friday = await _tool(context, "check_availability", date="מחר")
    assert friday["date"] == "2026-03-27" and friday["available_times"] == []
    assert friday["next_days_with_availability"][0] == {"date": "2026-03-28", "weekday": "שבת"}
    refused = await _tool(context, "schedule_appointment", date="מחר", time="10:00")
    assert refused["error"]["code"] == "slot_unavailable"
    too_soon = await _tool(context, "schedule_appointment", date="today", time="10:00")
    assert too_soon["error"]["code"] == "slot_unavailable"


async def test_a_date_beyond_the_booking_window_has_no_slots(voice_tenant: Tenant) -> None:
    context = _context(voice_tenant, datetime(2026, 3, 26, 6, 0, tzinfo=UTC))
    far = await _tool(context, "check_availability", date="in 40 days")
    assert far["date"] == "2026-05-05" and far["available_times"] == []
    refused = await _tool(context, "schedule_appointment", date="in 40 days", time="10:00")
    assert refused["error"]["code"] == "slot_unavailable"


async def test_without_a_date_availability_is_for_the_business_today(
    voice_tenant: Tenant,
) -> None:
    # 22:30 UTC on Thursday is 01:30 on Friday in Jerusalem.
    context = _context(voice_tenant, datetime(2026, 3, 26, 22, 30, tzinfo=UTC))
    friday = await _tool(context, "check_availability")
    assert friday["date"] == "2026-03-27"
    assert friday["available_times"] == ["09:00", "10:00", "11:00"]


async def test_an_unreadable_date_is_explained_to_the_agent(voice_tenant: Tenant) -> None:
    context = _context(voice_tenant, datetime(2026, 3, 26, 6, 0, tzinfo=UTC))
    answer = await _tool(context, "check_availability", date="sometime soon")
    assert answer["error"]["code"] == "invalid_arguments"
    assert "YYYY-MM-DD" in answer["error"]["message"]
