"""Booking by hand and changing an appointment: the two dialogs the calendar and lead page share.

The booking dialog offers only the times the voice agent would offer (the
free slots of the chosen day, calendar and type), so what a person picks is
bookable unless someone takes it first, and then the database refuses it
and the dialog says so.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import reflex as rx

from crm_app.db import unit_of_work
from crm_app.jobs.queue import send_texts_soon
from crm_app.models import AppointmentStatus
from crm_app.services import appointments, booking, calendars
from crm_app.services.auth import Principal
from crm_app.services.errors import DomainError
from crm_app.state.booking_views import (
    AppointmentDetail,
    appointment_detail,
    free_times,
    local_time,
)
from crm_app.state.lead import LeadState
from crm_app.state.leads import Choice
from crm_app.state.session import SessionState

AUTO = "auto"  # the first calendar free at the time
NO_TYPE = "none"


class BookingActions(SessionState, mixin=True):
    """The booking and appointment dialogs; each page refreshes itself in :meth:`_reload`."""

    booking_open: bool = False
    booking_error: str = ""
    lead_search: str = ""
    lead_matches: list[Choice] = []
    book_lead_id: int = 0
    book_lead: str = ""
    book_day: str = ""
    book_time: str = ""
    book_calendar: str = AUTO
    book_type: str = NO_TYPE
    book_title: str = ""
    time_options: list[str] = []
    calendar_options: list[Choice] = []
    type_options: list[Choice] = []
    detail_open: bool = False
    detail: AppointmentDetail = AppointmentDetail()
    detail_error: str = ""
    move_day: str = ""
    move_time: str = ""
    move_options: list[str] = []

    def _reload(self, principal: Principal) -> None:
        """Read the page's appointments again (each page has its own)."""

    def _read_choices(self, principal: Principal) -> None:
        with unit_of_work(read_only=True) as session:
            found = booking.calendars(session, principal.business_id)
            kinds = calendars.list_types(session, principal=principal)
        self.calendar_options = [Choice(AUTO, self._t("calendar.any_calendar"))] + [
            Choice(str(c.id), c.name) for c in found
        ]
        self.type_options = [Choice(NO_TYPE, self._t("calendar.no_type"))] + [
            Choice(str(k.id), f"{k.name} · {k.minutes}′") for k in kinds
        ]

    def _open_booking(self, day: str, clock: str) -> None:
        principal = self._me()
        self._read_choices(principal)
        self.booking_error, self.book_title = "", ""
        self.book_calendar, self.book_type = AUTO, NO_TYPE
        tomorrow = datetime.now(ZoneInfo(principal.timezone)).date() + timedelta(days=1)
        self.book_day = day or tomorrow.isoformat()
        self._read_times(principal)
        self.book_time = clock if clock in self.time_options else ""
        self.booking_open = True

    def _read_times(self, principal: Principal) -> None:
        try:
            day = date.fromisoformat(self.book_day)
        except ValueError:
            self.time_options = []
            return
        self.time_options = free_times(principal, day, self.book_calendar, self.book_type)
        if self.book_time not in self.time_options:
            self.book_time = ""

    @rx.event
    def open_booking(self, day: str = "", clock: str = "") -> None:
        """Open the booking dialog at a day and time (a free cell of the calendar)."""
        self.book_lead_id, self.book_lead, self.lead_search, self.lead_matches = 0, "", "", []
        self._open_booking(day, clock)

    @rx.event
    def close_booking(self, open_: bool = False) -> None:
        """Close (or keep open) the booking dialog."""
        self.booking_open = open_

    @rx.event
    def search_leads(self, text: str) -> None:
        """Leads whose name, e-mail or phone match what was typed."""
        self.lead_search = text
        with unit_of_work(read_only=True) as session:
            found = appointments.leads_to_book(session, principal=self._me(), q=text)
        self.lead_matches = [Choice(str(i), label) for i, label in found]

    @rx.event
    def pick_lead(self, lead_id: str) -> None:
        """Book for this lead."""
        chosen = next((m for m in self.lead_matches if m.value == lead_id), None)
        if chosen is not None:
            self.book_lead_id, self.book_lead, self.lead_matches = int(lead_id), chosen.label, []

    @rx.event
    def set_book_day(self, value: str) -> None:
        """Another day: its free times."""
        self.book_day = value
        self._read_times(self._me())

    @rx.event
    def set_book_calendar(self, value: str) -> None:
        """Another calendar: its free times."""
        self.book_calendar = value
        self._read_times(self._me())

    @rx.event
    def set_book_type(self, value: str) -> None:
        """Another type (another length): its free times."""
        self.book_type = value
        self._read_times(self._me())

    @rx.event
    def set_book_time(self, value: str) -> None:
        """The chosen time."""
        self.book_time = value

    @rx.event
    def set_book_title(self, value: str) -> None:
        """What the appointment is for."""
        self.book_title = value

    @rx.event
    def submit_booking(self) -> Any:
        """Book it; a time taken meanwhile is refused with a clear message."""
        principal = self._me()
        if not self.book_lead_id:
            self.booking_error = self._t("calendar.choose_lead")
            return None
        try:
            request = booking.Request(
                starts_at=local_time(self.book_day, self.book_time, principal.timezone),
                calendar_id=int(self.book_calendar) if self.book_calendar.isdigit() else None,
                type_id=int(self.book_type) if self.book_type.isdigit() else None,
                title=self.book_title.strip(),
            )
            with unit_of_work() as session:
                appointments.book_for_lead(
                    session, principal=principal, lead_id=self.book_lead_id, request=request
                )
        except DomainError as exc:
            self.booking_error = self._say(exc)
            self._read_times(principal)
            return None
        send_texts_soon()
        self.booking_open = False
        self._reload(principal)
        return rx.toast.success(self._t("calendar.booked"))

    @rx.event
    def open_appointment(self, appointment_id: int) -> None:
        """Show an appointment: who, when, its status, and moving or cancelling it."""
        principal = self._me()
        self.detail_error = ""
        try:
            self.detail, local = appointment_detail(principal, appointment_id, self.locale)
        except DomainError:
            self.detail_open = False
            return
        self.move_day, self.move_time = local.date().isoformat(), local.strftime("%H:%M")
        self.move_options = self._move_times(principal)
        self.detail_open = True

    def _move_times(self, principal: Principal) -> list[str]:
        try:
            day = date.fromisoformat(self.move_day)
        except ValueError:
            return []
        return free_times(principal, day, AUTO, NO_TYPE)

    @rx.event
    def close_detail(self, open_: bool = False) -> None:
        """Close (or keep open) the appointment dialog."""
        self.detail_open = open_

    @rx.event
    def set_move_day(self, value: str) -> None:
        """Another day to move to: its free times."""
        self.move_day = value
        self.move_options = self._move_times(self._me())
        self.move_time = ""

    @rx.event
    def set_move_time(self, value: str) -> None:
        """The time to move to."""
        self.move_time = value

    def _change(self, change: Any, said: str) -> Any:
        principal = self._me()
        try:
            with unit_of_work() as session:
                change(session, principal)
        except DomainError as exc:
            self.detail_error = self._say(exc)
            return None
        send_texts_soon()
        self.detail_open = False
        self._reload(principal)
        return rx.toast.success(self._t(said))

    @rx.event
    def move_appointment(self) -> Any:
        """Move the appointment to the chosen day and time (its length stays)."""
        appointment_id, day, clock = self.detail.id, self.move_day, self.move_time

        def change(session: Any, principal: Principal) -> None:
            appointments.reschedule(
                session,
                principal=principal,
                appointment_id=appointment_id,
                starts_at=local_time(day, clock, principal.timezone),
            )

        return self._change(change, "calendar.moved")

    def _status(self, status: AppointmentStatus, said: str) -> Any:
        appointment_id = self.detail.id

        def change(session: Any, principal: Principal) -> None:
            appointments.set_status(
                session, principal=principal, appointment_id=appointment_id, status=status
            )

        return self._change(change, said)

    @rx.event
    def cancel_appointment(self) -> Any:
        """Cancel it: the time is free again."""
        return self._status(AppointmentStatus.CANCELLED, "calendar.cancelled")

    @rx.event
    def confirm_appointment(self) -> Any:
        """Mark it confirmed (the customer said so by phone)."""
        return self._status(AppointmentStatus.CONFIRMED, "calendar.confirmed")

    @rx.event
    def finish_appointment(self) -> Any:
        """Mark it done."""
        return self._status(AppointmentStatus.DONE, "calendar.done")


class LeadBookingState(BookingActions, LeadState):
    """Booking the lead on its own page, and changing its appointments there."""

    def _reload(self, principal: Principal) -> None:
        self._refresh(principal, self.lead_id)

    @rx.event
    def book_this_lead(self) -> None:
        """Open the booking dialog for this lead, tomorrow."""
        self.book_lead_id, self.book_lead = self.lead_id, self.lead.name or self.lead.phone
        self.lead_search, self.lead_matches = "", []
        self._open_booking("", "")
