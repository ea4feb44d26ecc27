"""The Business section: name, line, zone, language, region, hours, closed days, follow-ups.

Opening hours are edited in the page's state (a list of ranges per weekday) and
saved together with the rest; the service validates them (no overlaps, each
range starts before it ends).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from zoneinfo import available_timezones

import phonenumbers
import reflex as rx
from sqlmodel import Session

from crm_app.db import unit_of_work
from crm_app.models import Business
from crm_app.services import business_settings, team
from crm_app.services.business_settings import Assignee, BusinessChanges
from crm_app.services.errors import DomainError
from crm_app.settings import get_settings
from crm_app.state.days import day_from_input
from crm_app.state.hours import HoursEditor, hours_of, week_of
from crm_app.state.session import SessionState
from crm_app.state.settings import SECTION_LOADERS

# Choices the page lists (compiled into it, not sent with every tab's state).
ZONES = sorted(available_timezones())
REGIONS = sorted(phonenumbers.SUPPORTED_REGIONS)


@dataclass(frozen=True)
class Member:
    """An active user who can be given the follow-ups (``id`` as the select's value)."""

    id: str
    name: str


class BusinessSettingsState(HoursEditor, SessionState):
    """The business as its owners set it up."""

    name: str = ""
    phone: str = ""
    timezone: str = ""
    business_locale: str = "he"
    region: str = ""
    closed_dates: list[str] = []
    pending_date: str = ""
    webhooks: dict[str, str] = {}
    members: list[Member] = []
    default_assignee: str = ""  # a user id, or "" for the first owner
    error: str = ""
    # Bumped on every read so that the form's fields show what was read.
    version: int = 0

    def _show(self, business: Business) -> None:
        self.name, self.phone = business.name, business.phone_number
        self.timezone, self.region = business.timezone, business.default_region
        self.business_locale = business.locale
        self.week = week_of(business.business_hours, self.locale)
        self.closed_dates = list(business.closed_dates)
        self.webhooks = business_settings.webhook_urls(get_settings().public_base_url)
        self.default_assignee = str(business.default_assignee_id or "")
        self.version += 1

    def _read_members(self, session: Session) -> None:
        users = team.list_users(session, principal=self._me())
        self.members = [
            Member(id=str(user.id), name=user.name or user.email)
            for user, _ in users
            if user.is_active
        ]

    @rx.event
    def load(self) -> None:
        """Read the business."""
        self.error = ""
        try:
            with unit_of_work(read_only=True) as session:
                self._show(business_settings.get_business(session, principal=self._me()))
                self._read_members(session)
        except DomainError as exc:
            self.error = self._say(exc)

    @rx.event
    def set_pending_date(self, value: str) -> None:
        """The date typed or picked next to "Add closed date"."""
        self.pending_date = day_from_input(value)

    @rx.event
    def add_closed_date(self) -> None:
        """A day the business is closed whatever the weekday (saved with the section)."""
        value = self.pending_date
        if value and value not in self.closed_dates:
            self.closed_dates = sorted([*self.closed_dates, value])
        self.pending_date = ""

    @rx.event
    def remove_closed_date(self, value: str) -> None:
        """Open again on that day."""
        self.closed_dates = [d for d in self.closed_dates if d != value]

    @rx.event
    def save(self, form: dict[str, Any]) -> Any:
        """Save everything on the section (audited)."""
        self.error = ""
        changes = BusinessChanges(
            name=str(form.get("name", self.name)),
            phone=str(form.get("phone", self.phone)),
            timezone=str(form.get("timezone", self.timezone)),
            locale=str(form.get("locale", self.business_locale)),
            region=str(form.get("region", self.region)),
            hours=hours_of(self.week),
            closed_dates=list(self.closed_dates),
            default_assignee=Assignee(
                _user_id(form.get("default_assignee", self.default_assignee))
            ),
        )
        try:
            with unit_of_work() as session:
                business = business_settings.update_business(
                    session, principal=self._me(), changes=changes
                )
                self._show(business)
        except DomainError as exc:
            self.error = self._say(exc)
            return None
        self.business_name = self.name
        return rx.toast.success(self._t("business.saved"))


def _user_id(value: Any) -> int | None:
    text = str(value or "")
    return int(text) if text.isdigit() else None


SECTION_LOADERS["business"] = BusinessSettingsState.load
