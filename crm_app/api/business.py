"""REST API v1: the business's own settings (owners and admins)."""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable
from datetime import date
from typing import Annotated, Literal

import phonenumbers
from fastapi import APIRouter, Request
from pydantic import AfterValidator, BaseModel, Field, StrictBool, WithJsonSchema

from crm_app.api.bodies import HAS_TEXT, Body
from crm_app.api.deps import BodyId, CurrentPrincipal, IsoDate, client_ip
from crm_app.api.leads import Phone
from crm_app.db import unit_of_work
from crm_app.models import Business
from crm_app.services import business_settings
from crm_app.services.business_settings import (
    MAX_CLOSED_DATES,
    MAX_RANGES_A_DAY,
    MAX_REMINDERS,
    REMINDER_RANGE,
    Assignee,
    BusinessChanges,
)
from crm_app.settings import get_settings

router = APIRouter(prefix="/business", tags=["business"])
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
HHMM = Annotated[str, Field(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")]
TimeRange = Annotated[list[HHMM], Field(min_length=2, max_length=2, description="[start, end]")]
DayHours = Annotated[
    list[TimeRange],
    Field(
        max_length=MAX_RANGES_A_DAY,
        description="each range starts before it ends; a day's ranges do not overlap",
    ),
]
Hours = dict[Weekday, DayHours]


class BusinessOut(BaseModel):
    """The business as its owners set it up."""

    id: int
    name: str
    phone: str = Field(description="E.164: the Twilio number callers dial")
    timezone: str
    locale: str = Field(description="he or en")
    region: str = Field(description="two letters: how local phone numbers are read")
    hours: Hours = Field(description='per weekday ("sun".."sat"): ["HH:MM", "HH:MM"] ranges')
    closed_dates: list[date]
    webhooks: dict[str, str] = Field(description="the URLs the Twilio number must call")
    default_assignee_id: int | None = Field(
        description="who the call-back tasks of unowned leads go to (null: the first owner)"
    )
    texts_customers: bool = Field(description="text customers about their appointments")
    reminder_minutes: list[int] = Field(description="reminders, in minutes before, longest first")


ZONES = sorted(zoneinfo.available_timezones())
REGIONS = sorted(phonenumbers.SUPPORTED_REGIONS)


def _one_of(known: list[str]) -> Callable[[str], str]:
    allowed = frozenset(known)

    def check(value: str) -> str:
        if value not in allowed:
            raise ValueError("not one of the documented values")
        return value

    return check


Zone = Annotated[
    str, AfterValidator(_one_of(ZONES)), WithJsonSchema({"type": "string", "enum": ZONES})
]
Region = Annotated[
    str, AfterValidator(_one_of(REGIONS)), WithJsonSchema({"type": "string", "enum": REGIONS})
]


class BusinessPatch(Body):
    """The fields to change (the others are left as they are)."""

    name: Annotated[str, Field(max_length=200, pattern=HAS_TEXT)] | None = None
    phone: Phone | None = None
    timezone: Zone | None = None
    locale: Literal["he", "en"] | None = None
    region: Region | None = None
    hours: Hours | None = None
    closed_dates: Annotated[list[IsoDate], Field(max_length=MAX_CLOSED_DATES)] | None = None
    default_assignee_id: BodyId | None = Field(
        None, description="an active user of the business; null: the first owner"
    )
    texts_customers: StrictBool | None = None
    reminder_minutes: (
        Annotated[
            list[Annotated[int, Field(ge=REMINDER_RANGE[0], le=REMINDER_RANGE[1])]],
            Field(max_length=MAX_REMINDERS),
        ]
        | None
    ) = None


def _out(business: Business) -> BusinessOut:
    assert business.id is not None
    return BusinessOut(
        id=business.id,
        name=business.name,
        phone=business.phone_number,
        timezone=business.timezone,
        locale=business.locale,
        region=business.default_region,
        hours={day: [[a, b] for a, b in ranges] for day, ranges in business.business_hours.items()},
        closed_dates=[date.fromisoformat(d) for d in business.closed_dates],
        webhooks=business_settings.webhook_urls(get_settings().public_base_url),
        default_assignee_id=business.default_assignee_id,
        texts_customers=business.texts_customers,
        reminder_minutes=list(business.reminder_minutes),
    )


@router.get("", response_model=BusinessOut)
def get_business(principal: CurrentPrincipal) -> BusinessOut:
    """The business's settings."""
    with unit_of_work(read_only=True) as session:
        return _out(business_settings.get_business(session, principal=principal))


@router.patch("", response_model=BusinessOut)
def patch_business(
    patch: BusinessPatch, request: Request, principal: CurrentPrincipal
) -> BusinessOut:
    """Change the business's settings (audited)."""
    changes = BusinessChanges(
        name=patch.name,
        phone=patch.phone,
        timezone=patch.timezone,
        locale=patch.locale,
        region=patch.region,
        hours={d: [list(r) for r in ranges] for d, ranges in patch.hours.items()}
        if patch.hours is not None
        else None,
        closed_dates=[d.isoformat() for d in patch.closed_dates]
        if patch.closed_dates is not None
        else None,
        default_assignee=Assignee(patch.default_assignee_id)
        if "default_assignee_id" in patch.model_fields_set
        else None,
        texts_customers=patch.texts_customers,
        reminder_minutes=patch.reminder_minutes,
    )
    with unit_of_work() as session:
        business = business_settings.update_business(
            session, principal=principal, changes=changes, ip=client_ip(request)
        )
        return _out(business)
