"""The Calendars section: calendars with their own hours, appointment types, and feed links."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import reflex as rx

from crm_app.db import unit_of_work
from crm_app.services import booking, business_settings, calendars
from crm_app.services.business_settings import BusinessChanges
from crm_app.services.errors import DomainError, InvalidInput
from crm_app.settings import get_settings
from crm_app.state.hours import HoursEditor, hours_of, week_of
from crm_app.state.session import SessionState
from crm_app.state.settings import SECTION_LOADERS


@dataclass(frozen=True)
class CalendarRow:
    """A calendar as the section lists it."""

    id: int
    name: str
    own_hours: bool
    has_feed: bool


@dataclass(frozen=True)
class TypeRow:
    """An appointment type and its length."""

    id: int
    name: str
    minutes: int


class CalendarSettingsState(HoursEditor, SessionState):
    """The business's calendars and appointment types (owners and admins change them)."""

    calendar_rows: list[CalendarRow] = []
    type_rows: list[TypeRow] = []
    editing: int = 0  # the calendar whose name and hours are open
    edit_name: str = ""
    edit_own_hours: bool = False
    feed_url: str = ""  # shown once, after it is made
    feed_for: int = 0
    calendar_error: str = ""
    texts_on: bool = True
    remind_hours: str = ""  # "24, 2": hours before each appointment

    def _read(self) -> None:
        principal = self._me()
        with unit_of_work(read_only=True) as session:
            found = calendars.list_calendars(session, principal=principal)
            kinds = calendars.list_types(session, principal=principal)
        self.calendar_rows = [
            CalendarRow(c.id or 0, c.name, c.hours is not None, c.feed_token_hash is not None)
            for c in found
        ]
        self.type_rows = [TypeRow(k.id or 0, k.name, k.minutes) for k in kinds]
        with unit_of_work(read_only=True) as session:
            business = booking.business_of(session, principal.business_id)
        self.texts_on = business.texts_customers
        self.remind_hours = ", ".join(_hours(m) for m in business.reminder_minutes)

    @rx.event
    def load(self) -> None:
        """Read the calendars and types."""
        self.calendar_error, self.editing, self.feed_url = "", 0, ""
        self._read()

    def _do(self, change: Any, said: str) -> Any:
        self.calendar_error = ""
        try:
            with unit_of_work() as session:
                change(session)
        except DomainError as exc:
            self.calendar_error = self._say(exc)
            return None
        self._read()
        return rx.toast.success(self._t(said))

    @rx.event
    def add_calendar(self, form: dict[str, Any]) -> Any:
        """Add a calendar that keeps the business's hours."""
        name = str(form.get("name", ""))
        principal = self._me()
        done = self._do(
            lambda s: calendars.create_calendar(s, principal=principal, name=name, hours=None),
            "calendars.added",
        )
        return [rx.set_value("calendar-name", ""), done] if done is not None else None

    @rx.event
    def edit(self, calendar_id: int) -> None:
        """Open a calendar's name and hours."""
        principal = self._me()
        with unit_of_work(read_only=True) as session:
            business = booking.business_of(session, principal.business_id)
            calendar = booking.calendar_of(session, principal.business_id, calendar_id)
        self.editing, self.edit_name = calendar_id, calendar.name
        self.edit_own_hours = calendar.hours is not None
        self.week = week_of(calendar.hours or business.business_hours, self.locale)

    @rx.event
    def set_edit_name(self, value: str) -> None:
        """The name as typed."""
        self.edit_name = value

    @rx.event
    def set_edit_own_hours(self, value: bool) -> None:
        """Hours of its own, or the business's."""
        self.edit_own_hours = value

    @rx.event
    def stop_editing(self) -> None:
        """Close the editor without saving."""
        self.editing = 0

    @rx.event
    def save_calendar(self) -> Any:
        """Save the name and the hours (or go back to the business's)."""
        principal, calendar_id = self._me(), self.editing
        changes = calendars.CalendarChanges(
            name=self.edit_name,
            hours=hours_of(self.week) if self.edit_own_hours else None,
            own_hours=self.edit_own_hours,
        )
        done = self._do(
            lambda s: calendars.update_calendar(
                s, principal=principal, calendar_id=calendar_id, changes=changes
            ),
            "calendars.saved",
        )
        if done is not None:
            self.editing = 0
        return done

    @rx.event
    def retire(self, calendar_id: int) -> Any:
        """Stop booking into a calendar (its appointments stay)."""
        principal = self._me()
        changes = calendars.CalendarChanges(active=False)
        return self._do(
            lambda s: calendars.update_calendar(
                s, principal=principal, calendar_id=calendar_id, changes=changes
            ),
            "calendars.retired",
        )

    @rx.event
    def new_feed(self, calendar_id: int) -> Any:
        """A new secret feed link (the previous one stops working); shown once."""
        principal = self._me()
        self.calendar_error = ""
        try:
            with unit_of_work() as session:
                path = calendars.rotate_feed(session, principal=principal, calendar_id=calendar_id)
        except DomainError as exc:
            self.calendar_error = self._say(exc)
            return None
        self.feed_url = get_settings().public_base_url.rstrip("/") + path
        self.feed_for = calendar_id
        self._read()
        return None

    @rx.event
    def add_type(self, form: dict[str, Any]) -> Any:
        """Add an appointment type with its length."""
        principal, name = self._me(), str(form.get("name", ""))
        try:
            minutes = int(str(form.get("minutes", "")))
        except ValueError:
            self.calendar_error = self._t("calendars.minutes_invalid")
            return None
        done = self._do(
            lambda s: calendars.create_type(s, principal=principal, name=name, minutes=minutes),
            "calendars.type_added",
        )
        return [rx.set_value("type-name", ""), done] if done is not None else None

    @rx.event
    def remove_type(self, type_id: int) -> Any:
        """Stop offering an appointment type."""
        principal = self._me()
        return self._do(
            lambda s: calendars.retire_type(s, principal=principal, type_id=type_id),
            "calendars.type_removed",
        )

    @rx.event
    def set_texts_on(self, value: bool) -> None:
        """Text customers, or not."""
        self.texts_on = value

    @rx.event
    def set_remind_hours(self, value: str) -> None:
        """The reminder hours as typed."""
        self.remind_hours = value

    @rx.event
    def save_texts(self) -> Any:
        """Save whether customers are texted and when they are reminded."""
        principal = self._me()
        try:
            changes = BusinessChanges(
                texts_customers=self.texts_on,
                reminder_minutes=reminder_minutes(self.remind_hours),
            )
        except DomainError as exc:
            self.calendar_error = self._say(exc)
            return None
        return self._do(
            lambda s: business_settings.update_business(s, principal=principal, changes=changes),
            "calendars.texts_saved",
        )


def _hours(minutes: int) -> str:
    return f"{minutes // 60}" if minutes % 60 == 0 else f"{minutes / 60:g}"


def reminder_minutes(text: str) -> list[int]:
    """Hours before (``24, 2``) as minutes; an empty text for none.

    Raises:
        InvalidInput: a value that is not a number of hours.
    """
    try:
        return [
            round(float(part) * 60) for part in text.replace("،", ",").split(",") if part.strip()
        ]
    except ValueError as exc:
        raise InvalidInput(
            "hours before, like 24, 2", field="reminder_minutes", key="errors.reminders"
        ) from exc


SECTION_LOADERS["calendars"] = CalendarSettingsState.load
