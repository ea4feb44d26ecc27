"""Alerts reach the open page of their user at once, in chromium, and nobody else's."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, expect

from crm_app.db import unit_of_work
from crm_app.models import AlertKind, User
from crm_app.services import notifications
from tests.e2e.conftest import TIMEOUT_MS, sign_in
from tests.factories import PASSWORD, Tenant, make_lead, make_tenant
from tests.live import LiveServer

pytestmark = pytest.mark.e2e


def _signed_in(browser: Browser, server: LiveServer, user: User, width: int) -> Page:
    context = browser.new_context(locale="he-IL", viewport={"width": width, "height": 800})
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    sign_in(page, server, user.email, PASSWORD)
    expect(page.locator("#bell")).to_be_visible()
    return page


def _alert(tenant: Tenant, user: User, name: str) -> None:
    lead = make_lead(tenant, name=name)
    with unit_of_work() as session:
        notifications.notify(
            session,
            business_id=tenant.id,
            user_ids={user.id or 0},
            kind=AlertKind.NEW_LEAD,
            data=notifications.about_lead(lead),
        )


@pytest.mark.parametrize("width", [390, 1366], ids=["phone", "desktop"])
def test_an_alert_shows_on_its_users_open_page_without_a_reload(
    browser: Browser, server: LiveServer, width: int
) -> None:
    tenant = make_tenant(name="מרפאת השיניים")
    owner = _signed_in(browser, server, tenant.owner, width)
    agent = _signed_in(browser, server, tenant.agent, width)
    try:
        expect(owner.locator("#bell-count")).to_have_count(0)
        _alert(tenant, tenant.owner, "דנה לוי")

        expect(owner.locator("#bell-count")).to_have_text("1")  # pushed: no reload, no click
        _alert(tenant, tenant.owner, "אבי כהן")
        expect(owner.locator("#bell-count")).to_have_text("2")
        expect(agent.locator("#bell-count")).to_have_count(0)  # not the agent's alert

        owner.click("#bell")
        items = owner.locator("[data-testid=alert]")
        expect(items).to_have_count(2)
        expect(items.first).to_contain_text("ליד חדש משיחה: אבי כהן")
        items.first.click()
        owner.wait_for_url("**/leads/*")
        expect(owner.locator("#lead-name")).to_have_text("אבי כהן")
        expect(owner.locator("#bell-count")).to_have_text("1")
    finally:
        owner.context.close()
        agent.context.close()


def test_a_signed_out_tab_is_told_nothing(browser: Browser, server: LiveServer) -> None:
    tenant = make_tenant(name="עסק אחר")
    page = _signed_in(browser, server, tenant.owner, 1366)
    other = page.context.new_page()
    try:
        other.goto(server.url + "/leads")
        other.click("#logout")
        other.wait_for_url("**/login**")
        _alert(tenant, tenant.owner, "דנה")
        page.wait_for_timeout(1500)
        expect(page.locator("#bell-count")).to_have_count(0)
    finally:
        page.context.close()


def test_a_user_chooses_which_alerts_come_by_mail(browser: Browser, server: LiveServer) -> None:
    tenant = make_tenant(name="Bright Smile", locale="en")
    page = _signed_in(browser, server, tenant.agent, 390)
    try:
        page.goto(server.url + "/settings?section=profile")
        box = page.locator("#email-alert-new_lead")
        expect(box).to_have_attribute("data-state", "checked")
        box.click()
        page.click("#email-alerts-save")
        expect(page.get_by_text("Your e-mail alerts are saved")).to_be_visible()
        with unit_of_work(read_only=True) as session:
            user = session.get(User, tenant.agent.id)
            assert user is not None
            assert user.email_alerts == ["missed_call", "task_due", "assigned"]
        page.reload()
        expect(page.locator("#email-alert-new_lead")).to_have_attribute("data-state", "unchecked")
    finally:
        page.context.close()
