"""The dashboard in chromium: a range, tiles that link to lists showing the same counts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import Browser, expect

from crm_app.models import utcnow
from tests.e2e.conftest import TIMEOUT_MS, sign_in
from tests.factories import PASSWORD, make_appointment, make_call, make_lead, make_tenant
from tests.live import LiveServer

pytestmark = pytest.mark.e2e
SAID = [{"speaker": "caller", "text": "hello", "start_ms": 0, "end_ms": 900}]


@pytest.mark.parametrize(
    ("width", "lang"), [(390, "he"), (1366, "en")], ids=["phone-he", "desktop-en"]
)
def test_a_tile_links_to_the_list_it_counts(
    browser: Browser, server: LiveServer, width: int, lang: str
) -> None:
    tenant = make_tenant(name="Bright Smile" if lang == "en" else "מרפאה", locale=lang)
    lead = make_lead(tenant, name="Dana Cohen")
    now = utcnow()
    for minutes in (5, 15):
        make_call(tenant, lead, transcript=SAID, started_at=now - timedelta(minutes=minutes))
    make_call(tenant, lead, transcript=[], started_at=now - timedelta(minutes=25))
    make_call(tenant, lead, transcript=SAID, started_at=now - timedelta(days=10))
    make_appointment(tenant, lead, now + timedelta(days=1), minutes=60, title="Check-up")
    context = browser.new_context(
        locale="he-IL" if lang == "he" else "en-US", viewport={"width": width, "height": 844}
    )
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    try:
        sign_in(page, server, tenant.owner.email, PASSWORD, start="/dashboard")
        answered = page.locator("[data-testid=figure][data-tile=calls][data-key=answered]")
        expect(answered).to_have_attribute("data-value", "2")  # the default range: 7 days
        missed = page.locator("[data-testid=figure][data-tile=calls][data-key=missed]")
        expect(missed).to_have_attribute("data-value", "1")
        page.click("#range-30d")
        page.wait_for_url("**/dashboard?range=30d")
        expect(answered).to_have_attribute("data-value", "3")
        assert int(page.evaluate("document.documentElement.scrollWidth")) <= width
        latest = page.locator("#list-latest [data-testid=activity-row]")
        expect(latest.first).to_contain_text("Dana Cohen")  # the new lead, then its four calls
        call = "Incoming call" if lang == "en" else "שיחה נכנסת"
        expect(latest.filter(has_text=call)).to_have_count(4)

        booked = page.locator("[data-testid=figure][data-tile=appointments][data-key=booked]")
        expect(booked).to_have_attribute("data-value", "1")
        booked.click()
        page.wait_for_url("**/appointments?from=*")
        expect(page.locator("[data-testid=booked-row]")).to_have_count(1)
        expect(page.locator("[data-testid=booked-row]")).to_contain_text("Dana Cohen")
        expect(page.locator("#booked-total")).to_have_text("1")
        assert int(page.evaluate("document.documentElement.scrollWidth")) <= width
        page.go_back()
        page.wait_for_url("**/dashboard?range=30d")

        answered.click()
        page.wait_for_url("**/calls?*outcome=answered*")
        rows = "[data-testid=call-card]" if width < 768 else "[data-testid=call-row]"
        expect(page.locator(rows)).to_have_count(3)
    finally:
        context.close()
