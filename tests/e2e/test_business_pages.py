"""The Business and Voice agent sections in chromium, in Hebrew at a desktop's width and in
English at a phone's."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from crm_app.db import unit_of_work
from crm_app.models import Business
from tests.e2e.conftest import TIMEOUT_MS, sign_in
from tests.factories import PASSWORD, make_tenant
from tests.live import LiveServer

pytestmark = pytest.mark.e2e
SHOTS = Path("/tmp/crm-shots")


def _business(business_id: int | None) -> Business:
    with unit_of_work(read_only=True) as session:
        business = session.get(Business, business_id)
        assert business is not None
        session.expunge(business)
        return business


def _shot(page: Page, name: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_an_owner_sets_the_hours_in_hebrew(page: Page, server: LiveServer) -> None:
    tenant = make_tenant()
    sign_in(page, server, tenant.owner.email, PASSWORD, start="/settings?section=business")
    expect(page.locator("#section-business")).to_have_attribute("aria-current", "page")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(page.locator("#webhook-voice")).to_contain_text("/twilio/voice")
    expect(page.locator("#business-name-input")).to_have_value(tenant.business.name)

    friday = page.locator("[data-testid=hours-day][data-day=fri]")
    expect(friday).to_contain_text("שישי")
    while friday.locator("input[type=time]").count():
        friday.get_by_label("הסרת הטווח").first.click()
    expect(friday).to_contain_text("סגור")
    friday.get_by_role("button", name="הוספת טווח").click()
    friday.get_by_role("button", name="הוספת טווח").click()
    times = friday.locator("input[type=time]")
    expect(times).to_have_count(4)
    for index, value in enumerate(("08:00", "12:00", "16:00", "19:00")):
        times.nth(index).fill(value)
    # Typed as the tables show days; kept (and saved) as the ISO day.
    page.fill("#closed-date-input", "25/12/2026")
    page.click("#closed-date-add")
    expect(page.locator("[data-testid=closed-date]")).to_contain_text("25/12/2026")
    page.fill("#business-name-input", "מספרת רותי")
    assignee = page.locator("#business-default-assignee")
    expect(assignee).to_have_value("")  # the first owner until someone is chosen
    expect(assignee.locator("option")).to_have_count(4)  # that, and the three members
    assignee.select_option(str(tenant.agent.id))
    _shot(page, "business-he-desktop")
    page.click("#business-save")
    expect(page.get_by_text("פרטי העסק נשמרו")).to_be_visible()

    saved = _business(tenant.business.id)
    assert saved.name == "מספרת רותי"
    assert saved.business_hours["fri"] == [["08:00", "12:00"], ["16:00", "19:00"]]
    assert saved.closed_dates == ["2026-12-25"]
    assert saved.default_assignee_id == tenant.agent.id
    page.reload()
    expect(page.locator("#business-name-input")).to_have_value("מספרת רותי")
    expect(page.locator("#business-default-assignee")).to_have_value(str(tenant.agent.id))


def test_an_english_owner_writes_the_agent_on_a_phone(browser: Browser, server: LiveServer) -> None:
    tenant = make_tenant(name="Bright Smile", locale="en")
    context = browser.new_context(locale="en-US", viewport={"width": 390, "height": 844})
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    try:
        sign_in(page, server, tenant.owner.email, PASSWORD, start="/settings?section=agent")
        expect(page.locator("html")).to_have_attribute("dir", "ltr")
        revisions = page.locator("[data-testid=agent-revision]")
        expect(revisions).to_have_count(1)
        page.select_option("#agent-template", "clinic")
        page.click("#agent-use-template")
        expect(page.locator("#agent-instructions")).to_have_value(re.compile("clinic"))
        page.fill("#agent-new-field", "Insurance company")
        page.click("#agent-add-field")
        expect(page.locator("[data-testid=collect-field]")).to_contain_text(["Insurance company"])
        page.select_option("#agent-voice", "sage")
        page.fill("#agent-silence-seconds", "25")
        page.click("#agent-save")
        expect(page.get_by_text("Saved as revision 2")).to_be_visible()
        expect(revisions).to_have_count(2)
        expect(revisions.first).to_contain_text("sage")
        _shot(page, "agent-en-phone")
        box = page.locator("#agent-save").bounding_box()
        form = page.locator("#agent-instructions").bounding_box()
        assert box and form and form["x"] + form["width"] <= 390, "the form is wider than a phone"

        saved = _business(tenant.business.id)
        assert saved.voice == "sage" and saved.silence_seconds == 25
        assert "clinic" in saved.ai_instructions.lower()

        revisions.nth(1).get_by_role("button", name="Restore").click()
        expect(page.get_by_text("Revision 1 is back")).to_be_visible()
        expect(revisions).to_have_count(3)
        expect(page.locator("#agent-voice")).to_have_value("marin")
        assert _business(tenant.business.id).voice == "marin"
    finally:
        context.close()


def test_agents_only_have_their_profile(page: Page, server: LiveServer) -> None:
    tenant = make_tenant()
    sign_in(page, server, tenant.agent.email, PASSWORD, start="/settings?section=agent")
    expect(page.locator("#profile-name")).to_be_visible()
    expect(page.locator("#section-agent")).to_have_count(0)
    expect(page.locator("#agent-instructions")).to_have_count(0)


def test_a_test_call_shows_its_lines_as_they_are_said(page: Page, server: LiveServer) -> None:
    tenant = make_tenant()
    sign_in(page, server, tenant.owner.email, PASSWORD, start="/settings?section=agent")
    expect(page.locator("[data-testid=agent-revision]")).to_have_count(1)
    page.fill("#agent-greeting", "שלום, הגעתם למספרה של רותי, במה אפשר לעזור?")
    page.click("#agent-test-call")  # the form as it is, not saved
    expect(page.locator("#agent-test-call")).to_be_disabled()
    lines = page.locator("[data-testid=test-line]")
    expect(lines.first).to_contain_text("הגעתם למספרה של רותי", timeout=60_000)
    expect(page.locator("#test-call-link")).to_be_visible(timeout=90_000)
    expect(lines).to_have_count(3)
    expect(lines.nth(1)).to_contain_text("לקוח")
    expect(lines.nth(1)).to_contain_text("לקבוע תור")
    _shot(page, "agent-test-call-he-desktop")
    saved = _business(tenant.business.id)  # a test call saves nothing
    assert saved.agent_revision == 1 and "רותי" not in saved.greeting
    expect(page.locator("[data-testid=agent-revision]")).to_have_count(1)
    page.click("#test-call-link")
    expect(page).to_have_url(re.compile(r"/calls/\d+/?$"))  # the link's ?call= goes there
    expect(page.get_by_text("לקבוע תור").first).to_be_visible()


def test_an_english_business_on_a_phone(browser: Browser, server: LiveServer) -> None:
    tenant = make_tenant(name="Bright Smile", locale="en")
    context = browser.new_context(locale="en-US", viewport={"width": 390, "height": 844})
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    try:
        sign_in(page, server, tenant.owner.email, PASSWORD, start="/settings?section=business")
        expect(page.locator("html")).to_have_attribute("dir", "ltr")
        expect(page.locator("#webhook-status")).to_contain_text("/twilio/status")
        monday = page.locator("[data-testid=hours-day][data-day=mon]")
        expect(monday).to_contain_text("Monday")
        monday.get_by_role("button", name="Add range").click()
        times = monday.locator("input[type=time]")
        expect(times).to_have_count(2)  # a new business's days are closed
        times.nth(0).fill("18:00")
        times.nth(1).fill("17:30")  # ends before it starts
        page.click("#business-save")
        expect(page.locator("#business-error")).to_be_visible()
        _shot(page, "business-en-phone")
        form = page.locator("#business-name-input").bounding_box()
        assert form and form["x"] + form["width"] <= 390, "the form is wider than a phone"
        assert _business(tenant.business.id).business_hours == tenant.business.business_hours
    finally:
        context.close()
