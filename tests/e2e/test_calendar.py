"""The calendar in chromium: book by hand, the customer's phone gets the text, replies 1.

The live server's own job worker sends the texts to the Twilio fake; the
customer's reply goes to the server's ``POST /twilio/sms``, signed as Twilio
signs it. A phone books from the agenda, a desktop from a free cell of the day.
"""

from __future__ import annotations

import secrets
import time as clock
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect
from sqlmodel import col, select

from crm_app.db import unit_of_work
from crm_app.models import Appointment, Business, Lead, Role
from crm_app.services import appointments, booking, slots, sms, texts
from crm_app.services.errors import Conflict
from tests.e2e.conftest import TIMEOUT_MS, open_tab, sign_in
from tests.factories import PASSWORD, Tenant, make_lead, make_tenant
from tests.jobs.conftest import Outside
from tests.live import LiveServer
from voice_bridge.security import sign_request

pytestmark = pytest.mark.e2e

OPEN_EVERY_DAY = {d: [["09:00", "17:00"]] for d in slots.WEEKDAYS}
CASES = {
    "he-phone": ("he", {"width": 390, "height": 844}, "כן"),
    "en-desktop": ("en", {"width": 1366, "height": 800}, "1"),
}


def _tenant(lang: str) -> Tenant:
    tenant = make_tenant(name="מרפאת הצחוק" if lang == "he" else "Happy Teeth", locale=lang)
    with unit_of_work() as session:
        business = session.get(Business, tenant.id)
        assert business is not None
        business.business_hours = OPEN_EVERY_DAY
        session.add(business)
    return tenant


def _tomorrow_at_ten(tenant: Tenant) -> datetime:
    zone = ZoneInfo(tenant.business.timezone)
    return datetime.combine(datetime.now(zone).date() + timedelta(days=1), time(10), tzinfo=zone)


def _texts_to(outside: Outside, lead: Lead, count: int) -> list[str]:
    """The texts the customer's phone got, once there are ``count`` (the worker sends them)."""
    deadline = clock.monotonic() + TIMEOUT_MS / 1000
    while clock.monotonic() < deadline:
        got = [t.body for t in outside.rest.texts_to(lead.phone_e164)]
        if len(got) >= count:
            return got
        clock.sleep(0.2)
    return [t.body for t in outside.rest.texts_to(lead.phone_e164)]


def _reply(server: LiveServer, outside: Outside, tenant: Tenant, lead: Lead, body: str) -> str:
    form = {
        "MessageSid": "SM" + secrets.token_hex(16),
        "AccountSid": outside.config.twilio_account_sid,
        "From": lead.phone_e164,
        "To": tenant.business.phone_number,
        "Body": body,
    }
    signature = sign_request(outside.config.twilio_auth_token, f"{server.url}/twilio/sms", form)
    answer = httpx.post(
        f"{server.url}/twilio/sms", data=form, headers={"X-Twilio-Signature": signature}
    )
    assert answer.status_code == 200, answer.text
    return answer.text


def _book(page: Page, lead_name: str, at: datetime, phone: bool) -> None:
    if phone:
        page.locator(f"[data-testid=agenda-day][data-day='{at.date()}'] button").first.click()
    else:
        page.locator(
            f"[data-testid=calendar-free][data-day='{at.date()}'][data-time='10:00']"
        ).click()
    expect(page.locator("#book-time")).to_have_value("" if phone else "10:00")
    if phone:
        page.select_option("#book-time", "10:00")
    page.fill("#book-lead", lead_name)
    page.locator("[data-testid=book-lead-match]").first.click()
    expect(page.locator("#book-lead-chosen")).to_contain_text(lead_name)
    page.fill("#book-title", "Check-up")
    page.click("#book-submit")
    expect(page.locator("#book-submit")).to_be_hidden()


@pytest.mark.parametrize("case", list(CASES))
def test_a_booking_by_hand_is_texted_confirmed_by_reply_and_reminded_once(
    browser: Browser, server: LiveServer, outside: Outside, case: str
) -> None:
    lang, viewport, yes = CASES[case]
    tenant = _tenant(lang)
    name = "דנה כהן" if lang == "he" else "Dana Cohen"
    lead = make_lead(tenant, name=name)
    at = _tomorrow_at_ten(tenant)
    context = browser.new_context(locale="he-IL" if lang == "he" else "en-US", viewport=viewport)  # type: ignore[arg-type]
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    phone = viewport["width"] < 768
    try:
        day_view = f"/calendar?view=day&date={at.date()}"
        sign_in(page, server, tenant.agent.email, PASSWORD, start=day_view)
        _book(page, name, at, phone)
        shown = "agenda-appointment" if phone else "calendar-appointment"
        booked = page.locator(f"[data-testid={shown}]")
        expect(booked).to_have_attribute("data-status", "scheduled")

        confirmation, = _texts_to(outside, lead, 1)  # fmt: skip
        assert tenant.business.name in confirmation and "10:00" in confirmation
        assert ("השב/י 1" if lang == "he" else "Reply 1 to confirm") in confirmation
        answer = _reply(server, outside, tenant, lead, yes)
        assert ("אושר" if lang == "he" else "is confirmed") in answer
        page.reload()
        expect(booked).to_have_attribute("data-status", "confirmed")

        page.goto(f"{server.url}/leads/{lead.id}")
        open_tab(page, "activity")
        timeline = page.locator("[role=tabpanel] >> visible=true").first
        expect(timeline).to_contain_text(
            "הלקוח אישר את התור בהודעה" if lang == "he" else "The customer confirmed by text"
        )
        expect(timeline).to_contain_text(confirmation[:30])
    finally:
        context.close()
    _remind_once(outside, tenant, lead, at)


def _remind_once(outside: Outside, tenant: Tenant, lead: Lead, at: datetime) -> None:
    """The morning's reminder, however often the periodic run comes: one text."""
    config = sms.SmsConfig(
        outside.config.twilio_account_sid,
        outside.config.twilio_auth_token,
        outside.config.twilio_api_base_url,
    )
    with unit_of_work() as session:  # booked well before the reminder times
        found = session.exec(select(Appointment).where(col(Appointment.lead_id) == lead.id)).one()
        found.timed_at = at - timedelta(days=2)
        session.add(found)
    for _ in range(3):
        with unit_of_work() as session:
            texts.queue_reminders(session, now=at - timedelta(hours=2))
        texts.send_waiting(config, now=at - timedelta(hours=2))
    sent = _texts_to(outside, lead, 3)
    assert len(sent) == 3  # the confirmation, the 24-hour and the 2-hour reminders
    assert all(("תזכורת" in s) or ("reminder" in s) for s in sent[1:])


def test_a_second_booking_of_the_same_time_is_refused_with_a_clear_message(
    browser: Browser, server: LiveServer
) -> None:
    tenant = _tenant("en")
    first, second = make_lead(tenant, name="Avi First"), make_lead(tenant, name="Beni Second")
    at = _tomorrow_at_ten(tenant)
    context = browser.new_context(locale="en-US", viewport={"width": 1366, "height": 800})
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    try:
        sign_in(
            page, server, tenant.owner.email, PASSWORD, start=f"/calendar?view=day&date={at.date()}"
        )
        page.locator("[data-testid=calendar-free][data-time='10:00']").click()
        page.fill("#book-lead", "Beni")
        page.locator("[data-testid=book-lead-match]").first.click()
        with unit_of_work() as session:  # someone else takes 10:00 while the dialog is open
            appointments.book_for_lead(
                session,
                principal=tenant.principal(Role.AGENT),
                lead_id=first.id or 0,
                request=booking.Request(starts_at=at),
            )
        page.click("#book-submit")
        expect(page.locator("#book-error")).to_contain_text("That time was just booked")
    finally:
        context.close()
    with pytest.raises(Conflict), unit_of_work() as session:
        appointments.book_for_lead(
            session,
            principal=tenant.principal(Role.AGENT),
            lead_id=second.id or 0,
            request=booking.Request(starts_at=at),
        )
