"""REST API v1: the business's own settings (owners and admins)."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from crm_app.api.deps import CurrentPrincipal, client_ip
from crm_app.db import unit_of_work
from crm_app.models import Business
from crm_app.services import business_settings
from crm_app.services.business_settings import BusinessChanges
from crm_app.settings import get_settings

router = APIRouter(prefix="/business", tags=["business"])
Hours = dict[str, list[tuple[str, str]]]


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


class BusinessPatch(BaseModel):
    """The fields to change (the others are left as they are)."""

    name: str | None = None
    phone: str | None = None
    timezone: str | None = None
    locale: str | None = None
    region: str | None = None
    hours: Hours | None = None
    closed_dates: list[date] | None = None


def _out(business: Business) -> BusinessOut:
    assert business.id is not None
    return BusinessOut(
        id=business.id,
        name=business.name,
        phone=business.phone_number,
        timezone=business.timezone,
        locale=business.locale,
        region=business.default_region,
        hours={day: [(a, b) for a, b in ranges] for day, ranges in business.business_hours.items()},
        closed_dates=[date.fromisoformat(d) for d in business.closed_dates],
        webhooks=business_settings.webhook_urls(get_settings().public_base_url),
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
    )
    with unit_of_work() as session:
        business = business_settings.update_business(
            session, principal=principal, changes=changes, ip=client_ip(request)
        )
        return _out(business)
