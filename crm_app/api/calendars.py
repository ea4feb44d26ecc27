"""REST API v1: calendars (staff members or rooms, each with hours), their feeds, and types."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Response
from pydantic import BaseModel, Field, StrictBool

from crm_app.api.bodies import HAS_TEXT, Body
from crm_app.api.business import Hours
from crm_app.api.deps import CurrentPrincipal, RowId
from crm_app.db import unit_of_work
from crm_app.models import AppointmentType, Calendar
from crm_app.services import calendars
from crm_app.settings import get_settings

router = APIRouter(tags=["calendars"])
Name = Field(min_length=1, max_length=100, pattern=HAS_TEXT)


class CalendarOut(BaseModel):
    """A calendar; ``hours`` null means it keeps the business's hours."""

    id: int
    name: str
    hours: Hours | None
    has_feed: bool
    created_at: datetime


class CalendarList(BaseModel):
    """The business's calendars, in their order."""

    items: list[CalendarOut]


class CalendarIn(Body):
    """A new calendar (owners and admins)."""

    name: str = Name
    hours: Hours | None = None


class CalendarPatch(Body):
    """Changes; ``own_hours: false`` follows the business's hours again."""

    name: str | None = Name
    hours: Hours | None = None
    own_hours: StrictBool | None = None
    active: StrictBool | None = None


class Feed(BaseModel):
    """The calendar's secret feed URL: shown once; making a new one ends the old one."""

    url: str


class TypeOut(BaseModel):
    """An appointment type and its length."""

    id: int
    name: str
    minutes: int


class TypeList(BaseModel):
    """The business's appointment types, by name."""

    items: list[TypeOut]


class TypeIn(Body):
    """A new appointment type (owners and admins)."""

    name: str = Name
    minutes: int = Field(ge=calendars.MIN_MINUTES, le=calendars.MAX_MINUTES)


def _hours(hours: Hours | None) -> dict[str, list[list[str]]] | None:
    if hours is None:
        return None
    return {str(d): [list(r) for r in ranges] for d, ranges in hours.items()}


def _out(calendar: Calendar) -> CalendarOut:
    assert calendar.id is not None
    return CalendarOut(
        id=calendar.id,
        name=calendar.name,
        hours=calendar.hours,
        has_feed=calendar.feed_token_hash is not None,
        created_at=calendar.created_at,
    )


def _type_out(kind: AppointmentType) -> TypeOut:
    assert kind.id is not None
    return TypeOut(id=kind.id, name=kind.name, minutes=kind.minutes)


@router.get("/calendars", response_model=CalendarList)
def list_calendars(principal: CurrentPrincipal) -> CalendarList:
    """The business's calendars."""
    with unit_of_work(read_only=True) as session:
        found = calendars.list_calendars(session, principal=principal)
        return CalendarList(items=[_out(c) for c in found])


@router.post("/calendars", response_model=CalendarOut, status_code=201)
def create_calendar(body: CalendarIn, principal: CurrentPrincipal) -> CalendarOut:
    """Add a calendar (owners and admins)."""
    with unit_of_work() as session:
        made = calendars.create_calendar(
            session, principal=principal, name=body.name, hours=_hours(body.hours)
        )
        return _out(made)


@router.patch("/calendars/{calendar_id:int}", response_model=CalendarOut)
def patch_calendar(
    calendar_id: RowId, body: CalendarPatch, principal: CurrentPrincipal
) -> CalendarOut:
    """Rename a calendar, set its hours, or retire it (owners and admins)."""
    changes = calendars.CalendarChanges(
        name=body.name, hours=_hours(body.hours), own_hours=body.own_hours, active=body.active
    )
    with unit_of_work() as session:
        changed = calendars.update_calendar(
            session, principal=principal, calendar_id=calendar_id, changes=changes
        )
        return _out(changed)


@router.post("/calendars/{calendar_id:int}/feed", response_model=Feed, status_code=201)
def rotate_feed(calendar_id: RowId, principal: CurrentPrincipal) -> Feed:
    """A new secret ICS feed URL for the calendar; the previous one stops working."""
    with unit_of_work() as session:
        path = calendars.rotate_feed(session, principal=principal, calendar_id=calendar_id)
    return Feed(url=get_settings().public_base_url.rstrip("/") + path)


@router.get("/appointment-types", response_model=TypeList)
def list_types(principal: CurrentPrincipal) -> TypeList:
    """The business's appointment types."""
    with unit_of_work(read_only=True) as session:
        return TypeList(
            items=[_type_out(k) for k in calendars.list_types(session, principal=principal)]
        )


@router.post("/appointment-types", response_model=TypeOut, status_code=201)
def create_type(body: TypeIn, principal: CurrentPrincipal) -> TypeOut:
    """Add an appointment type with its length (owners and admins)."""
    with unit_of_work() as session:
        kind = calendars.create_type(
            session, principal=principal, name=body.name, minutes=body.minutes
        )
        return _type_out(kind)


@router.delete("/appointment-types/{type_id:int}", status_code=204)
def retire_type(type_id: RowId, principal: CurrentPrincipal) -> Response:
    """Stop offering an appointment type (owners and admins)."""
    with unit_of_work() as session:
        calendars.retire_type(session, principal=principal, type_id=type_id)
    return Response(status_code=204)
