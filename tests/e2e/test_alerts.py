"""Alerts reach the open page of their user at once, in chromium, and nobody else's."""

from __future__ import annotations

import asyncio
import json
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from crm_app.db import unit_of_work
from crm_app.models import AlertKind, User
from crm_app.services import notifications
from crm_app.state.bell import BellState
from tests.e2e.conftest import TIMEOUT_MS, sign_in
from tests.factories import PASSWORD, Tenant, make_lead, make_tenant
from tests.live import LiveServer
from tests.socket_tab import Tab, handler_name

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


def test_one_alert_to_two_users_gives_each_of_their_tabs_its_own_count(
    server: LiveServer,
) -> None:
    # The socket tabs run on an event loop of their own: the browser tests' Playwright keeps
    # one running on this thread.
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, _two_users_tabs(server)).result()


async def _two_users_tabs(server: LiveServer) -> None:
    tenant = make_tenant(name="עסק עם כמה לשוניות")
    for name in ("שירה קדם", "נועם ברק"):
        _alert(tenant, tenant.owner, name)  # the owner has two unread, the agent none
    tabs: dict[int, list[Tab]] = {}
    for user in (tenant.owner, tenant.agent):
        cookie = await asyncio.to_thread(_cookie, server, user)
        tabs[user.id or 0] = [await _bell_tab(server, cookie) for _ in range(3)]
    marks = {id(tab): len(tab.received) for group in tabs.values() for tab in group}

    lead = make_lead(tenant, name="יעל רום")
    with unit_of_work() as session:
        notifications.notify(
            session,
            business_id=tenant.id,
            user_ids={tenant.owner.id or 0, tenant.agent.id or 0},
            kind=AlertKind.NEW_LEAD,
            data=notifications.about_lead(lead),
        )

    for user_id, unread in ((tenant.owner.id or 0, 3), (tenant.agent.id or 0, 1)):
        for tab in tabs[user_id]:
            await tab.until(lambda t, n=unread: f'"unread_rx_state_": {n}' in _since(t, marks))
    for tab in tabs[tenant.agent.id or 0]:
        said = _since(tab, marks)
        assert "יעל רום" in said and "שירה קדם" not in said  # the agent's own list only
    for group in tabs.values():
        for tab in group:
            await tab.close()


def _cookie(server: LiveServer, user: User) -> str:
    answer = httpx.post(
        f"{server.url}/auth/login",
        data={"email": user.email, "password": PASSWORD},
        headers={"Origin": server.url},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    return f"crm_session={answer.cookies['crm_session']}"


async def _bell_tab(server: LiveServer, cookie: str) -> Tab:
    """A tab on the lead list whose header bell has been shown (it asks to be told)."""
    tab = Tab(server.url)
    await tab.open("/leads", cookie=cookie)
    await tab.hydrated()
    seen = len(tab.received)
    await tab.send(handler_name(BellState, "watch"), "/leads")
    await tab.until(lambda t: len(t.received) > seen)
    return tab


def _since(tab: Tab, marks: dict[int, int]) -> str:
    return json.dumps(tab.received[marks[id(tab)] :], ensure_ascii=False)
