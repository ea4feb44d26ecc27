"""The calendar page, the lead page's booking and the Calendars settings, through their states."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import col, select

from crm_app.db import unit_of_work
from crm_app.models import Appointment, Business, Calendar
from crm_app.services import calendars, slots
from crm_app.services.appointments import Booked
from crm_app.state.booking import LeadBookingState
from crm_app.state.calendar import CalendarState
from crm_app.state.calendar_settings import CalendarSettingsState, reminder_minutes
from crm_app.state.calendar_views import _lanes, week_start
from tests.conftest import Database
from tests.factories import Tenant, make_appointment, make_lead, make_tenant
from tests.state.conftest import session_cookie, state_for

ZONE = ZoneInfo("Asia/Jerusalem")


def _open_every_day(tenant: Tenant) -> None:
    with unit_of_work() as session:
        business = session.get(Business, tenant.id)
        assert business is not None
        business.business_hours = {d: [["09:00", "17:00"]] for d in slots.WEEKDAYS}
        session.add(business)


def _in_days(days: int) -> date:
    return datetime.now(ZONE).date() + timedelta(days=days)


def _appointments_of(tenant: Tenant) -> list[Appointment]:
    with unit_of_work(read_only=True) as session:
        query = select(Appointment).where(col(Appointment.business_id) == tenant.id)
        return list(session.exec(query.order_by(col(Appointment.starts_at))))


def test_a_week_starts_on_sunday_in_hebrew_and_monday_in_english() -> None:
    thursday = date(2026, 12, 3)
    assert week_start(thursday, "he") == date(2026, 11, 29)
    assert week_start(thursday, "en") == date(2026, 11, 30)


def test_overlapping_appointments_share_the_width_side_by_side() -> None:
    at = datetime.combine(_in_days(2), time(10), tzinfo=ZONE)
    rows = [
        Booked(Appointment(id=1, calendar_id=1, starts_at=at, ends_at=at + timedelta(hours=1)), ""),
        Booked(Appointment(id=2, calendar_id=2, starts_at=at + timedelta(minutes=30),
                           ends_at=at + timedelta(hours=2)), ""),
        Booked(Appointment(id=3, calendar_id=1, starts_at=at + timedelta(hours=3),
                           ends_at=at + timedelta(hours=4)), ""),
    ]  # fmt: skip
    assert _lanes(rows) == [(0, 2), (1, 2), (0, 1)]


async def test_the_week_shows_appointments_hours_closed_days_and_free_cells(db: Database) -> None:
    tenant = make_tenant()
    lead = make_lead(tenant, name="דנה כהן")
    day = _in_days(3)
    make_appointment(tenant, lead, datetime.combine(day, time(10), tzinfo=ZONE), title="בדיקה")
    state = await state_for(
        CalendarState, path=f"/calendar?view=week&date={day}", cookie=session_cookie(tenant.agent)
    )
    state.load()
    assert len(state.days) == 7 and state.days[0].label.startswith("יום ראשון")
    shown = next(d for d in state.days if d.iso == day.isoformat())
    assert [(b.lead, b.time, b.title) for b in shown.blocks] == [("דנה כהן", "10:00", "בדיקה")]
    by_day = {d.iso: d for d in state.days}
    for d in state.days:  # the default hours: Sunday to Thursday
        weekday = date.fromisoformat(d.iso).weekday()
        assert d.closed == (weekday in (4, 5)), d.iso
    assert "10:00" not in [f.time for f in by_day[day.isoformat()].free]


async def test_booking_from_the_calendar_and_a_refused_second_booking(db: Database) -> None:
    tenant = make_tenant(name="Bright Smile", locale="en")
    _open_every_day(tenant)
    first = make_lead(tenant, name="Avi Levi")
    make_lead(tenant, name="Beni Cohen")
    day = _in_days(1)
    state = await state_for(
        CalendarState, path=f"/calendar?view=day&date={day}", cookie=session_cookie(tenant.agent)
    )
    state.load()
    state.open_booking(day.isoformat(), "10:00")
    assert state.booking_open and state.book_time == "10:00" and "10:00" in state.time_options
    state.search_leads("Avi")
    assert [m.label.split(" · ")[0] for m in state.lead_matches] == ["Avi Levi"]
    state.pick_lead(state.lead_matches[0].value)
    state.set_book_title("Check-up")
    state.submit_booking()
    assert not state.booking_open and state.booking_error == ""
    booked, = _appointments_of(tenant)  # fmt: skip
    assert booked.lead_id == first.id and booked.title == "Check-up"
    assert [b.lead for d in state.days for b in d.blocks] == ["Avi Levi"]
    state.open_booking(day.isoformat(), "")
    assert "10:00" not in state.time_options
    state.search_leads("Beni")
    state.pick_lead(state.lead_matches[0].value)
    state.book_time = "10:00"  # a time taken since the dialog listed it
    state.submit_booking()
    assert (
        state.booking_open and state.booking_error == "That time was just booked. Choose another."
    )
    assert len(_appointments_of(tenant)) == 1


async def test_the_lead_page_books_moves_and_cancels(db: Database) -> None:
    tenant = make_tenant()
    _open_every_day(tenant)
    lead = make_lead(tenant, name="דנה")
    state = await state_for(
        LeadBookingState, path=f"/leads/{lead.id}", cookie=session_cookie(tenant.agent)
    )
    state.load()
    state.book_this_lead()
    assert state.book_lead_id == lead.id and state.booking_open
    state.set_book_time(state.time_options[0])
    state.submit_booking()
    assert len(state.appointments) == 1
    made, = _appointments_of(tenant)  # fmt: skip
    state.open_appointment(made.id or 0)
    assert state.detail.movable and state.detail.lead == "דנה"
    state.set_move_day(_in_days(2).isoformat())
    state.set_move_time("12:00")
    state.move_appointment()
    moved, = _appointments_of(tenant)  # fmt: skip
    assert moved.starts_at == datetime.combine(_in_days(2), time(12), tzinfo=ZONE)
    state.open_appointment(made.id or 0)
    state.cancel_appointment()
    assert _appointments_of(tenant)[0].status == "cancelled"
    other = make_tenant(name="אחר")
    theirs = make_appointment(other, None, datetime.combine(_in_days(2), time(9), tzinfo=ZONE))
    state.open_appointment(theirs.id or 0)
    assert not state.detail_open  # another business's appointment does not open


async def test_owners_set_up_calendars_types_feeds_and_texts(db: Database) -> None:
    tenant = make_tenant()
    state = await state_for(
        CalendarSettingsState,
        path="/settings?section=calendars",
        cookie=session_cookie(tenant.admin),
    )
    state.load()
    assert [r.name for r in state.calendar_rows] == [tenant.business.name]
    state.add_calendar({"name": "  חדר 2 "})
    room = state.calendar_rows[-1]
    assert room.name == "חדר 2" and not room.own_hours
    state.edit(room.id)
    state.set_edit_own_hours(True)
    state.remove_range("sun", 0)  # closed on Sundays
    state.save_calendar()
    with unit_of_work(read_only=True) as session:
        saved = session.get(Calendar, room.id)
        assert saved is not None and saved.hours is not None and "sun" not in saved.hours
    state.new_feed(room.id)
    secret = state.feed_url.rsplit("/", 1)[1].removesuffix(".ics")
    with unit_of_work(read_only=True) as session:
        assert calendars.calendar_for_feed(session, secret).id == room.id
    state.add_type({"name": "ניקוי", "minutes": "45"})
    assert [(r.name, r.minutes) for r in state.type_rows] == [("ניקוי", 45)]
    state.set_remind_hours("48, 1.5")
    state.save_texts()
    with unit_of_work(read_only=True) as session:
        business = session.get(Business, tenant.id)
        assert business is not None and business.reminder_minutes == [2880, 90]
    assert state.remind_hours == "48, 1.5"
    state.set_remind_hours("tomorrow")
    state.save_texts()
    assert state.calendar_error != ""
    assert reminder_minutes("") == [] and reminder_minutes("24،2") == [1440, 120]


async def test_an_agent_cannot_change_calendars(db: Database) -> None:
    tenant = make_tenant()
    state = await state_for(
        CalendarSettingsState,
        path="/settings?section=calendars",
        cookie=session_cookie(tenant.agent),
    )
    state.load()
    state.add_calendar({"name": "mine"})
    assert state.calendar_error != "" and len(state.calendar_rows) == 1
