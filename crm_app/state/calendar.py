"""``/calendar?view=day|week&date&calendar``: the business's appointments, in its own zone."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import reflex as rx

from crm_app.db import unit_of_work
from crm_app.services import appointments, booking, slots
from crm_app.services.auth import Principal
from crm_app.services.lead_query import is_row_id
from crm_app.state.booking import BookingActions
from crm_app.state.calendar_views import (
    DayColumn,
    HourMark,
    ViewInput,
    columns,
    day_label,
    hour_marks,
    span_of,
    week_start,
)
from crm_app.state.leads import Choice
from crm_app.state.session import SessionState

ALL = "all"


def _href(view: str, day: date, calendar: str) -> str:
    query = f"view={view}&date={day.isoformat()}"
    return f"/calendar?{query}&calendar={calendar}" if calendar != ALL else f"/calendar?{query}"


class CalendarState(BookingActions, SessionState):
    """The day or week the URL names (this week when it names none)."""

    view: str = "week"
    day: str = ""  # the day the URL names, YYYY-MM-DD
    calendar: str = ALL
    title: str = ""
    days: list[DayColumn] = []
    hours: list[HourMark] = []
    grid_height: str = "0px"
    prev_href: str = ""
    next_href: str = ""
    today_href: str = ""
    day_href: str = ""
    week_href: str = ""
    calendars: list[Choice] = []
    total: int = 0

    def _read_url(self, principal: Principal) -> date:
        params = self.router.url.query_parameters
        self.view = "day" if params.get("view") == "day" else "week"
        self.calendar = (
            params.get("calendar", ALL) if is_row_id(params.get("calendar", "")) else ALL
        )
        today = datetime.now(ZoneInfo(principal.timezone)).date()
        try:
            return date.fromisoformat(params.get("date", ""))
        except ValueError:
            return today

    def _shown_days(self, anchor: date) -> list[date]:
        if self.view == "day":
            return [anchor]
        first = week_start(anchor, self.locale)
        return [first + timedelta(days=i) for i in range(7)]

    def _reload(self, principal: Principal) -> None:
        anchor = date.fromisoformat(self.day) if self.day else self._read_url(principal)
        zone = ZoneInfo(principal.timezone)
        shown = self._shown_days(anchor)
        start = datetime.combine(shown[0], time(), tzinfo=zone)
        end = datetime.combine(shown[-1] + timedelta(days=1), time(), tzinfo=zone)
        chosen = int(self.calendar) if self.calendar != ALL else None
        with unit_of_work(read_only=True) as session:
            business = booking.business_of(session, principal.business_id)
            every = booking.calendars(session, principal.business_id)
            picked = [c for c in every if chosen is None or c.id == chosen] or every
            booked = appointments.in_range(
                session, principal=principal, start=start, end=end, calendar_id=chosen
            )
            free = booking.free_between(
                session,
                business_id=principal.business_id,
                start=shown[0],
                end=shown[-1],
                calendar_id=chosen,
            )
        rules = [slots.Rules.of(business, c) for c in picked]
        first, last = span_of(shown, rules, booked, zone)
        by_day: dict[date, list[datetime]] = {}
        for slot in free:
            by_day.setdefault(slot.starts_at.astimezone(zone).date(), []).append(slot.starts_at)
        self.days = columns(
            ViewInput(
                days=shown,
                first_hour=first,
                zone=zone,
                locale=self.locale,
                today=datetime.now(zone).date(),
                rules=rules,
                booked=booked,
                free=by_day,
                slot_minutes=max(5, business.slot_minutes),
                calendars={c.id or 0: c.name for c in every} if len(every) > 1 else {},
            )
        )
        self.hours, self.total = hour_marks(first, last), len(booked)
        self.grid_height = f"{(last - first) * 56}px"
        self.calendars = [Choice(ALL, self._t("calendar.all_calendars"))] + [
            Choice(str(c.id), c.name) for c in every
        ]
        self._links(anchor, shown, datetime.now(zone).date())

    def _links(self, anchor: date, shown: list[date], today: date) -> None:
        step = timedelta(days=1 if self.view == "day" else 7)
        self.day = anchor.isoformat()
        first, last = shown[0], shown[-1]
        self.title = (
            day_label(anchor, self.locale)
            if self.view == "day"
            else f"{first.day}/{first.month} – {last.day}/{last.month}/{last.year}"
        )
        self.prev_href = _href(self.view, anchor - step, self.calendar)
        self.next_href = _href(self.view, anchor + step, self.calendar)
        self.today_href = _href(self.view, today, self.calendar)
        self.day_href = _href("day", anchor, self.calendar)
        self.week_href = _href("week", anchor, self.calendar)

    @rx.event
    def load(self) -> Any:
        """Read the view from the URL and draw it."""
        principal = self._me()
        self.day = self._read_url(principal).isoformat()
        self.booking_open = self.detail_open = False
        self._reload(principal)
        return self._language_script()

    @rx.event
    def pick_calendar(self, value: str) -> Any:
        """Show one calendar, or all of them."""
        return rx.redirect(_href(self.view, date.fromisoformat(self.day), value))
