"""Tasks and a lead ready to work, in chromium: my day, lead tasks, details and suggestions."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlmodel import col, select

from crm_app.db import unit_of_work
from crm_app.models import Lead, Role, Task, utcnow
from crm_app.services import lead_fields
from crm_app.services.lead_fields import FieldInput
from tests.e2e.conftest import TIMEOUT_MS, open_tab, sign_in
from tests.factories import PASSWORD, Tenant, make_call, make_lead, make_tenant
from tests.live import LiveServer

pytestmark = pytest.mark.e2e

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 800}


def _context_page(browser: Browser, viewport: dict[str, int], locale: str) -> Page:
    context = browser.new_context(locale=locale, viewport=viewport)  # type: ignore[arg-type]
    context.set_default_timeout(TIMEOUT_MS)
    return context.new_page()


def _task(
    tenant: Tenant, title: str, hours: float, lead: Lead | None = None, for_owner: bool = False
) -> None:
    with unit_of_work() as session:
        session.add(
            Task(
                business_id=tenant.id,
                title=title,
                due_at=utcnow() + timedelta(hours=hours),
                assignee_id=tenant.owner.id if for_owner else tenant.agent.id,
                lead_id=lead.id if lead else None,
            )
        )


def _later_today(tenant: Tenant) -> float:
    """Hours from now to a time still today in the business's zone (half an hour at most)."""
    now = utcnow().astimezone(ZoneInfo(tenant.business.timezone))
    midnight = datetime.combine(now.date() + timedelta(days=1), time.min, tzinfo=now.tzinfo)
    return min(0.5, (midnight - now).total_seconds() / 3600 / 2)


def _tasks_titled(tenant: Tenant, title: str) -> list[Task]:
    with unit_of_work(read_only=True) as session:
        query = select(Task).where(col(Task.business_id) == tenant.id, col(Task.title) == title)
        return list(session.exec(query))


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_my_day_shows_overdue_and_today_and_a_task_is_added_done_and_snoozed(
    browser: Browser, server: LiveServer, viewport: dict[str, int]
) -> None:
    tenant = make_tenant(name="Bright Smile", locale="en")
    lead = make_lead(tenant, name="Dana Cohen")
    _task(tenant, "Send the quote", -3, lead)
    _task(tenant, "Confirm the visit", _later_today(tenant))
    _task(tenant, "Somebody else's", 1, for_owner=True)  # not in the agent's day
    page = _context_page(browser, viewport, "en-US")
    try:
        sign_in(page, server, tenant.agent.email, PASSWORD, start="/tasks")
        overdue = page.locator("#tasks-overdue [data-testid=task]")
        expect(overdue).to_have_count(1)
        expect(overdue.first).to_contain_text("Send the quote")
        expect(overdue.first.get_by_role("link", name="Dana Cohen")).to_be_visible()
        today = page.locator("#tasks-today [data-testid=task]")
        expect(today).to_have_count(1)
        expect(page.get_by_text("Somebody else's")).to_have_count(0)

        tomorrow = (utcnow().astimezone(ZoneInfo("Asia/Jerusalem")) + timedelta(days=1)).date()
        page.fill("#task-title", "Call the lab")
        page.fill("#task-due-day", tomorrow.isoformat())
        page.fill("#task-due-time", "11:15")
        page.click("#task-add")
        upcoming = page.locator("#tasks-upcoming [data-testid=task]")
        expect(upcoming.filter(has_text="Call the lab")).to_have_count(1)
        [added] = _tasks_titled(tenant, "Call the lab")
        local = added.due_at.astimezone(ZoneInfo("Asia/Jerusalem"))
        assert (local.date(), local.hour, local.minute) == (tomorrow, 11, 15)

        overdue.first.get_by_test_id("task-done").click()
        expect(page.locator("#tasks-overdue [data-testid=task]")).to_have_count(0)
        assert _tasks_titled(tenant, "Send the quote")[0].state == "done"

        today.first.get_by_test_id("task-snooze").click()
        page.get_by_test_id("task-snooze-tomorrow").click()
        expect(page.locator("#tasks-today [data-testid=task]")).to_have_count(0)
        expect(upcoming.filter(has_text="Confirm the visit")).to_have_count(1)
        assert _tasks_titled(tenant, "Confirm the visit")[0].state == "snoozed"
        assert int(page.evaluate("document.documentElement.scrollWidth")) <= viewport["width"]
    finally:
        page.context.close()


def test_the_lead_shows_what_the_call_found_and_a_suggestion_is_accepted(
    browser: Browser, server: LiveServer
) -> None:
    tenant = make_tenant(name="מרפאת השיניים")
    with unit_of_work() as session:
        car = lead_fields.create_field(
            session,
            principal=tenant.principal(Role.OWNER),
            new=FieldInput(label_he="דגם רכב", label_en="Car model"),
        ).key
    lead = make_lead(tenant, name="דנה כהן")
    call = make_call(tenant, lead, summary="דנה רוצה תור")
    with unit_of_work() as session:
        found = session.get(Lead, lead.id)
        assert found is not None
        found.reason, found.urgency, found.custom_fields = "בדיקה שנתית", "high", {car: "Mazda 3"}
        found.suggestions = {"name": {"value": "דנה לוי", "call_id": call.id}}
        session.add(found)
    page = _context_page(browser, PHONE, "he-IL")
    try:
        sign_in(page, server, tenant.agent.email, PASSWORD, start=f"/leads/{lead.id}")
        details = page.locator("#lead-details")
        expect(details.locator("[data-key=reason]")).to_contain_text("בדיקה שנתית")
        expect(details.locator("[data-key=urgency]")).to_contain_text("דחוף")
        expect(details.locator(f"[data-key={car}]")).to_contain_text("Mazda 3")
        suggestion = page.locator("[data-testid=suggestion][data-key=name]")
        expect(suggestion).to_contain_text("דנה לוי")
        suggestion.get_by_test_id("suggestion-accept").click()
        expect(page.locator("#lead-name")).to_have_text("דנה לוי")
        expect(page.locator("[data-testid=suggestion]")).to_have_count(0)

        open_tab(page, "tasks")
        page.fill("#task-title", "להתקשר לגבי המחיר")
        page.fill("#task-due-day", "2030-01-02")
        page.click("#task-add")
        expect(page.locator("#lead-tasks [data-testid=task]")).to_contain_text("להתקשר לגבי המחיר")
        [task] = _tasks_titled(tenant, "להתקשר לגבי המחיר")
        assert task.lead_id == lead.id and task.assignee_id == tenant.agent.id
        assert int(page.evaluate("document.documentElement.scrollWidth")) <= PHONE["width"]
    finally:
        page.context.close()


def test_the_call_panel_makes_a_callback_task_in_one_click(
    browser: Browser, server: LiveServer
) -> None:
    tenant = make_tenant(name="Bright Smile", locale="en")
    lead = make_lead(tenant, name="Adam Smith")
    call = make_call(tenant, lead, summary="Wants a quote")
    page = _context_page(browser, DESKTOP, "en-US")
    try:
        sign_in(page, server, tenant.agent.email, PASSWORD, start=f"/calls/{call.id}")
        page.click("#call-follow-up")
        expect(page.get_by_text("Task added")).to_be_visible()
        [task] = _tasks_titled(tenant, "Call back Adam Smith")
        assert task.lead_id == lead.id and task.assignee_id == tenant.agent.id
        assert timedelta(minutes=55) < task.due_at - utcnow() <= timedelta(hours=1)
    finally:
        page.context.close()
