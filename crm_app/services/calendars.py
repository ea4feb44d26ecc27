"""Calendars and appointment types as owners and admins set them up, and calendar feeds.

A calendar's feed is an ICS file at a secret URL (``/feeds/<secret>.ics``) that
Google or Apple Calendar subscribes to. Only the secret's SHA-256 is stored:
the URL is shown once, when it is made, and rotating it makes the old one stop
working.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from sqlmodel import Session, col, select

from crm_app.models import AppointmentType, Calendar, Role
from crm_app.services import audit, booking
from crm_app.services.auth import Principal, require_role
from crm_app.services.business_settings import check_hours
from crm_app.services.errors import InvalidInput, NotFound

MAX_CALENDARS = 50
MAX_TYPES = 50
MIN_MINUTES, MAX_MINUTES = 5, 480
FEED_PREFIX = "/feeds/"


def _name(text: str) -> str:
    name = " ".join(text.split())[:100]
    if not name:
        raise InvalidInput("give it a name", field="name", key="errors.name_required")
    return name


def list_calendars(session: Session, *, principal: Principal) -> list[Calendar]:
    """The business's active calendars, in their order."""
    return booking.calendars(session, principal.business_id)


@dataclass(frozen=True)
class CalendarChanges:
    """What an owner or admin changes on a calendar (None: unchanged)."""

    name: str | None = None
    hours: dict[str, list[list[str]]] | None = None
    own_hours: bool | None = None  # False: follow the business's hours again
    active: bool | None = None


def create_calendar(
    session: Session, *, principal: Principal, name: str, hours: dict[str, list[list[str]]] | None
) -> Calendar:
    """Add a calendar (a staff member or a room); owners and admins only."""
    require_role(principal, Role.OWNER, Role.ADMIN)
    if len(list_calendars(session, principal=principal)) >= MAX_CALENDARS:
        raise InvalidInput(f"at most {MAX_CALENDARS} calendars", field="name")
    calendar = Calendar(
        business_id=principal.business_id,
        name=_name(name),
        hours=check_hours(hours) if hours is not None else None,
        position=len(list_calendars(session, principal=principal)),
    )
    session.add(calendar)
    session.flush()
    audit.record(
        session,
        principal=principal,
        business_id=principal.business_id,
        action="calendar.created",
        entity="calendar",
        entity_id=calendar.id,
    )
    return calendar


def update_calendar(
    session: Session, *, principal: Principal, calendar_id: int, changes: CalendarChanges
) -> Calendar:
    """Rename a calendar, give it hours of its own (or not), or retire it."""
    require_role(principal, Role.OWNER, Role.ADMIN)
    calendar = booking.calendar_of(session, principal.business_id, calendar_id)
    if changes.name is not None:
        calendar.name = _name(changes.name)
    if changes.hours is not None:
        calendar.hours = check_hours(changes.hours)
    if changes.own_hours is False:
        calendar.hours = None
    if changes.active is False:
        if len(list_calendars(session, principal=principal)) == 1:
            raise InvalidInput("a business keeps one calendar", field="active")
        calendar.active, calendar.feed_token_hash = False, None
    session.add(calendar)
    session.flush()
    return calendar


def rotate_feed(session: Session, *, principal: Principal, calendar_id: int) -> str:
    """A new secret feed path for the calendar (the old one stops working); shown once."""
    require_role(principal, Role.OWNER, Role.ADMIN)
    calendar = booking.calendar_of(session, principal.business_id, calendar_id)
    secret = secrets.token_urlsafe(32)
    calendar.feed_token_hash = _digest(secret)
    session.add(calendar)
    audit.record(
        session,
        principal=principal,
        business_id=principal.business_id,
        action="calendar.feed_rotated",
        entity="calendar",
        entity_id=calendar.id,
    )
    return f"{FEED_PREFIX}{secret}.ics"


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def calendar_for_feed(session: Session, secret: str) -> Calendar:
    """The calendar whose feed secret this is (``NotFound`` for any other text)."""
    if not 20 <= len(secret) <= 100:
        raise NotFound("no such feed")
    found = session.exec(
        select(Calendar).where(col(Calendar.feed_token_hash) == _digest(secret))
    ).first()
    if found is None or not found.active:
        raise NotFound("no such feed")
    return found


def list_types(session: Session, *, principal: Principal) -> list[AppointmentType]:
    """The business's appointment types, by name."""
    return booking.active_types(session, principal.business_id)


def create_type(
    session: Session, *, principal: Principal, name: str, minutes: int
) -> AppointmentType:
    """Add an appointment type with its length (owners and admins)."""
    require_role(principal, Role.OWNER, Role.ADMIN)
    if not MIN_MINUTES <= minutes <= MAX_MINUTES:
        raise InvalidInput(f"a length is {MIN_MINUTES} to {MAX_MINUTES} minutes", field="minutes")
    if len(list_types(session, principal=principal)) >= MAX_TYPES:
        raise InvalidInput(f"at most {MAX_TYPES} appointment types", field="name")
    kind = AppointmentType(business_id=principal.business_id, name=_name(name), minutes=minutes)
    session.add(kind)
    session.flush()
    return kind


def retire_type(session: Session, *, principal: Principal, type_id: int) -> None:
    """Stop offering an appointment type (its appointments keep their length)."""
    require_role(principal, Role.OWNER, Role.ADMIN)
    kind = booking.type_of(session, principal.business_id, type_id)
    if kind is None:
        raise NotFound("no such appointment type")
    kind.active = False
    session.add(kind)
