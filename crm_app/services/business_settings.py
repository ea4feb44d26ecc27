"""The business's own settings: name, line, zone, language, region, hours, closed days.

And who gets the follow-ups of leads nobody owns.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, time
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from sqlmodel import Session, col, select

from crm_app.models import Business, Role, User
from crm_app.services import audit
from crm_app.services.accounts import LOCALES
from crm_app.services.auth import Principal, require_role
from crm_app.services.errors import Conflict, InvalidInput, NotFound
from crm_app.services.phones import normalize_phone
from crm_app.services.slots import WEEKDAYS

_TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
MAX_RANGES_A_DAY = 6
MAX_CLOSED_DATES = 366
Hours = dict[str, list[list[str]]]


@dataclass(frozen=True)
class BusinessChanges:
    """What the Business section (or ``PATCH /business``) sets; None leaves a field alone."""

    name: str | None = None
    phone: str | None = None
    timezone: str | None = None
    locale: str | None = None
    region: str | None = None
    hours: Hours | None = None
    closed_dates: list[str] | None = field(default=None)
    default_assignee: Assignee | None = None
    texts_customers: bool | None = None
    reminder_minutes: list[int] | None = None  # before each appointment; [] sends none


@dataclass(frozen=True)
class Assignee:
    """Who the call-back tasks of unowned leads go to; ``user_id`` None: the first owner."""

    user_id: int | None


def check_hours(hours: Hours) -> Hours:
    """Opening hours per weekday: ``HH:MM`` ranges, each start before its end, none overlapping.

    Returns them sorted by weekday and by start, without empty days.
    """
    clean: Hours = {}
    for day, ranges in hours.items():
        if day not in WEEKDAYS:
            raise InvalidInput(f"{day!r} is not a weekday", field="hours", key="errors.hours")
        if len(ranges) > MAX_RANGES_A_DAY:
            raise InvalidInput("too many ranges in one day", field="hours", key="errors.hours")
        parsed = sorted(r for r in map(_range, ranges) if r[0] != r[1])  # empty: nothing
        for (_, end), (start, _) in zip(parsed, parsed[1:], strict=False):
            if start < end:
                raise InvalidInput(f"{day}: ranges overlap", field="hours", key="errors.hours")
        if parsed:
            clean[day] = [[s.strftime("%H:%M"), e.strftime("%H:%M")] for s, e in parsed]
    return {day: clean[day] for day in WEEKDAYS if day in clean}


def _range(pair: Any) -> tuple[time, time]:
    if not (isinstance(pair, list | tuple) and len(pair) == 2):
        raise InvalidInput("a range is [start, end]", field="hours", key="errors.hours")
    start, end = (str(x) for x in pair)
    if not (_TIME.match(start) and _TIME.match(end)) or start > end:
        raise InvalidInput(f"{start}-{end} is not a range", field="hours", key="errors.hours")
    return time.fromisoformat(start), time.fromisoformat(end)


def check_closed_dates(dates: list[str]) -> list[str]:
    """ISO dates (``2026-12-25``), each once, in order."""
    if len(dates) > MAX_CLOSED_DATES:
        raise InvalidInput("too many closed dates", field="closed_dates", key="errors.dates")
    try:
        return sorted({date.fromisoformat(str(d)).isoformat() for d in dates})
    except ValueError as exc:
        raise InvalidInput(str(exc), field="closed_dates", key="errors.dates") from exc


def check_timezone(name: str) -> str:
    """A zone the server knows (``Asia/Jerusalem``)."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidInput(f"unknown zone {name!r}", field="timezone", key="errors.zone") from exc
    return name


def check_region(code: str) -> str:
    """A two-letter region whose phone numbers we can read (``IL``, ``US``)."""
    code = code.strip().upper()
    if code not in phonenumbers.SUPPORTED_REGIONS:
        raise InvalidInput(f"unknown region {code!r}", field="region", key="errors.region")
    return code


def _checked(business: Business, changes: BusinessChanges) -> dict[str, Any]:
    """The column values ``changes`` asks for, validated."""
    values: dict[str, Any] = {}
    if changes.name is not None:
        name = changes.name.strip()
        if not name or len(name) > 200:
            raise InvalidInput("the business needs a name", field="name", key="errors.name")
        values["name"] = name
    if changes.region is not None:
        values["default_region"] = check_region(changes.region)
    if changes.phone is not None:
        region = values.get("default_region", business.default_region)
        values["phone_number"] = normalize_phone(changes.phone, region)
    if changes.timezone is not None:
        values["timezone"] = check_timezone(changes.timezone)
    if changes.locale is not None:
        if changes.locale not in LOCALES:
            raise InvalidInput("he or en", field="locale", key="errors.locale")
        values["locale"] = changes.locale
    if changes.hours is not None:
        values["business_hours"] = check_hours(changes.hours)
    if changes.closed_dates is not None:
        values["closed_dates"] = check_closed_dates(changes.closed_dates)
    if changes.texts_customers is not None:
        values["texts_customers"] = changes.texts_customers
    if changes.reminder_minutes is not None:
        values["reminder_minutes"] = check_reminders(changes.reminder_minutes)
    return values


MAX_REMINDERS = 3
REMINDER_RANGE = (15, 14 * 24 * 60)  # a quarter of an hour to two weeks before


def check_reminders(minutes: list[int]) -> list[int]:
    """At most three reminder times, each 15 minutes to 14 days before; longest first."""
    low, high = REMINDER_RANGE
    if len(minutes) > MAX_REMINDERS or any(not low <= m <= high for m in minutes):
        raise InvalidInput(
            f"up to {MAX_REMINDERS} reminders, {low} minutes to {high // 1440} days before",
            field="reminder_minutes",
            key="errors.reminders",
        )
    return sorted(set(minutes), reverse=True)


def _check_assignee(session: Session, business_id: int, assignee: Assignee) -> int | None:
    """The user id to store: an active member of the business, or None.

    Raises:
        NotFound: the user is not one of the business's (another business's ids included).
        InvalidInput: the user is deactivated.
    """
    if assignee.user_id is None:
        return None
    user = session.get(User, assignee.user_id)
    if user is None or user.business_id != business_id:
        raise NotFound("no such user", key="errors.user_not_found")
    if not user.is_active:
        raise InvalidInput(
            "a deactivated user cannot get tasks",
            field="default_assignee_id",
            key="errors.assignee_inactive",
        )
    return user.id


def update_business(
    session: Session, *, principal: Principal, changes: BusinessChanges, ip: str = ""
) -> Business:
    """Apply ``changes`` to the principal's business (owners and admins), audited.

    Raises:
        Conflict: another business already has the phone number.
    """
    require_role(principal, Role.OWNER, Role.ADMIN)
    business = session.exec(
        select(Business).where(col(Business.id) == principal.business_id).with_for_update()
    ).first()
    if business is None:
        raise NotFound("no such business")
    values = _checked(business, changes)
    if changes.default_assignee is not None:
        values["default_assignee_id"] = _check_assignee(
            session, business.id or 0, changes.default_assignee
        )
    phone = values.get("phone_number")
    if phone and phone != business.phone_number:
        taken = session.exec(select(Business.id).where(col(Business.phone_number) == phone)).first()
        if taken is not None:
            raise Conflict(f"{phone} is another business's line", key="errors.phone_taken")
    changed = {k: [getattr(business, k), v] for k, v in values.items() if getattr(business, k) != v}
    for name, (_, value) in changed.items():
        setattr(business, name, value)
    session.add(business)
    if changed:
        audit.record(
            session,
            principal=principal,
            business_id=principal.business_id,
            action="business.update",
            entity="business",
            entity_id=principal.business_id,
            details={"changed": changed},
            ip=ip,
        )
    session.flush()
    return business


def get_business(session: Session, *, principal: Principal) -> Business:
    """The principal's business (owners and admins)."""
    require_role(principal, Role.OWNER, Role.ADMIN)
    business = session.get(Business, principal.business_id)
    if business is None:
        raise NotFound("no such business")
    return business


def webhook_urls(public_base_url: str) -> dict[str, str]:
    """What to paste into the Twilio number's settings: the voice, status and text webhooks."""
    base = public_base_url.rstrip("/")
    return {
        "voice": f"{base}/twilio/voice",
        "status": f"{base}/twilio/status",
        "sms": f"{base}/twilio/sms",
    }
