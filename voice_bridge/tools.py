"""The voice agent's tools: check availability and book an appointment.

The business, lead and call come from the call's signed context, never from
the model's arguments. Arguments are validated, each tool has a deadline, and
every failure is answered as a ``function_call_output`` the model can read.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.exc import SQLAlchemyError

from crm_app.db import unit_of_work
from crm_app.models import utcnow
from crm_app.services import agent_time, booking, relative_dates, texts
from crm_app.services.errors import DomainError, InvalidInput

logger = logging.getLogger("voice_bridge.tools")
TOOL_TIMEOUT_SECONDS = 8.0
_TIME = re.compile(r"^\d{2}:\d{2}$")


@dataclass(frozen=True)
class CallContext:
    """Who the call belongs to (from the signed token and the call row)."""

    business_id: int
    call_id: int
    lead_id: int | None
    timezone: str
    locale: str
    clock: Callable[[], datetime] = utcnow  # the current instant (tests pin it)


class ToolError(Exception):
    """A tool could not do what the model asked; the message goes back to the model."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


Handler = Callable[[CallContext, dict[str, Any]], dict[str, Any]]


@dataclass(frozen=True)
class ToolSpec:
    """A function the model may call."""

    name: str
    description: str
    parameters: dict[str, Any]
    handler: Handler

    def as_function(self) -> dict[str, Any]:
        """The tool as the Realtime session declares it."""
        return {
            "type": "function",
            "name": self.name,
            "description": self.description,
            "parameters": self.parameters,
        }


def _date_arg(context: CallContext, args: dict[str, Any], required: bool) -> tuple[date, str]:
    """The date the model passed (ISO or as the caller said it), and the text it came as.

    Relative dates resolve against today in the business's zone; without a date
    (when not required) the day is today.
    """
    value = args.get("date")
    today = relative_dates.today_in(context.timezone, context.clock())
    if value is None and not required:
        return today, ""
    if not isinstance(value, str) or not value.strip():
        raise ToolError("invalid_arguments", "date must be a date like 2026-12-01 or 'tomorrow'")
    try:
        return relative_dates.resolve(value, today), value.strip()
    except InvalidInput as exc:
        raise ToolError("invalid_arguments", exc.message) from exc


def _day_fields(context: CallContext, day: date, said: str) -> dict[str, Any]:
    """How a tool result names the day it is about: the date, its weekday, what was said."""
    fields: dict[str, Any] = {
        "date": day.isoformat(),
        "weekday": agent_time.weekday_name(day, context.locale),
    }
    if said and said != day.isoformat():
        fields["resolved_from"] = said
    return fields


def _type_arg(session: Any, context: CallContext, args: dict[str, Any]) -> int | None:
    """The appointment type the caller asked for, by its name (None: one slot)."""
    name = args.get("appointment_type")
    if name is not None and not isinstance(name, str):
        raise ToolError("invalid_arguments", "appointment_type is a name")
    try:
        kind = booking.type_named(session, context.business_id, name or "")
    except DomainError as exc:
        offered = [k.name for k in booking.active_types(session, context.business_id)]
        raise ToolError("unknown_type", f"{exc.message}; offered: {', '.join(offered)}") from exc
    return kind.id if kind else None


def check_availability(context: CallContext, args: dict[str, Any]) -> dict[str, Any]:
    """Free slots on a day (local times), or the next days that have some."""
    day, said = _date_arg(context, args, required=False)
    now = context.clock()
    with unit_of_work() as session:
        kind = _type_arg(session, context, args)
        slots = booking.free_slots(
            session, business_id=context.business_id, day=day, now=now, type_id=kind
        )
        if slots:
            return {
                **_day_fields(context, day, said),
                "available_times": [s.strftime("%H:%M") for s in slots],
            }
        days = booking.next_free_days(session, business_id=context.business_id, after=day, now=now)
    return {
        **_day_fields(context, day, said),
        "available_times": [],
        "next_days_with_availability": [
            {"date": d.isoformat(), "weekday": agent_time.weekday_name(d, context.locale)}
            for d in days
        ],
    }


def schedule_appointment(context: CallContext, args: dict[str, Any]) -> dict[str, Any]:
    """Book a slot for the caller."""
    day, said = _date_arg(context, args, required=True)
    at = args.get("time")
    if not isinstance(at, str) or not _TIME.match(at):
        raise ToolError("invalid_arguments", "time must look like 14:30")
    reason = str(args.get("reason", ""))[:150]
    try:
        starts = datetime.combine(day, time.fromisoformat(at), tzinfo=ZoneInfo(context.timezone))
    except ValueError as exc:
        raise ToolError("invalid_arguments", "time is not a real time") from exc
    try:
        with unit_of_work() as session:
            kind = _type_arg(session, context, args)
            appointment = booking.book(
                session,
                business_id=context.business_id,
                request=booking.Request(
                    starts_at=starts,
                    title=reason or ("" if kind else "Phone booking"),
                    type_id=kind,
                ),
                lead_id=context.lead_id,
                call_id=context.call_id,
                now=context.clock(),
            )
            texts.confirm_booking(session, appointment)  # a worker sends it within a minute
    except DomainError as exc:
        raise ToolError("slot_unavailable", exc.message) from exc
    return {
        "booked": True,
        "appointment_id": appointment.id,
        **_day_fields(context, day, said),
        "time": at,
    }


_DATE_HELP = (
    "YYYY-MM-DD, or the day as the caller said it, in Hebrew or English "
    "(today, tomorrow, next Sunday, מחר, יום ראשון, בשבוע הבא); "
    "the server resolves it in the business's time zone"
)


_TYPE_ARG = {
    "type": "string",
    "description": "the kind of appointment, by the name the instructions give (its length)",
}


APPOINTMENT_TOOLS: list[ToolSpec] = [
    ToolSpec(
        name="check_availability",
        description="List free appointment times on a date (the business's local time).",
        parameters={
            "type": "object",
            "properties": {
                "date": {"type": "string", "description": _DATE_HELP + "; today when omitted"},
                "appointment_type": _TYPE_ARG,
            },
            "additionalProperties": False,
        },
        handler=check_availability,
    ),
    ToolSpec(
        name="schedule_appointment",
        description="Book an appointment at a free time returned by check_availability.",
        parameters={
            "type": "object",
            "properties": {
                "date": {"type": "string", "description": _DATE_HELP},
                "time": {"type": "string", "description": "HH:MM, local time"},
                "reason": {"type": "string", "description": "what the appointment is for"},
                "appointment_type": _TYPE_ARG,
            },
            "required": ["date", "time"],
            "additionalProperties": False,
        },
        handler=schedule_appointment,
    ),
]


SYSTEM_DOWN = (
    "The booking system is down for a moment. Apologise to the caller, take a message "
    "(their name, what they need, and a good time to call back) and promise that someone "
    "from the business will call them back. Do not try the tool again on this call."
)


async def run_tool(
    tools: list[ToolSpec],
    name: str,
    arguments: str,
    context: CallContext,
    runner: Callable[[Handler, CallContext, dict[str, Any]], Awaitable[dict[str, Any]]]
    | None = None,
) -> dict[str, Any]:
    """Run a tool call and return its output (an ``error`` object when it failed)."""
    spec = next((t for t in tools if t.name == name), None)
    if spec is None:
        return {"error": {"code": "unknown_tool", "message": f"there is no tool named {name}"}}
    try:
        args = json.loads(arguments or "{}")
        if not isinstance(args, dict):
            raise ValueError("arguments must be an object")
    except ValueError:
        return {
            "error": {"code": "invalid_arguments", "message": "arguments are not a JSON object"}
        }
    run = runner or (lambda h, c, a: asyncio.to_thread(h, c, a))
    try:
        return await asyncio.wait_for(run(spec.handler, context, args), TOOL_TIMEOUT_SECONDS)
    except ToolError as exc:
        return {"error": {"code": exc.code, "message": exc.message}}
    except TimeoutError:
        return {
            "error": {"code": "timeout", "message": "the booking system did not answer in time"}
        }
    except SQLAlchemyError:
        logger.warning("tool_database_error tool=%s call_id=%s", name, context.call_id)
        return {"error": {"code": "system_unavailable", "message": SYSTEM_DOWN}}
