"""Sign-in, the Hebrew RTL lead list, English, sign-out: in chromium against the real server."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import sign_in
from tests.factories import PASSWORD, make_lead, make_tenant
from tests.live import LiveServer

pytestmark = pytest.mark.e2e


def test_signed_out_visit_is_redirected_to_login(page: Page, server: LiveServer) -> None:
    for path in ("/leads", "/calls", "/dashboard", "/settings", "/leads/1"):
        page.goto(server.url + path)
        expect(page).to_have_url(re.compile(r"/login/?\?next="))
        expect(page.locator("#login-submit")).to_be_visible()


def test_login_leads_language_and_logout(page: Page, server: LiveServer) -> None:
    tenant = make_tenant(name="מכון כושר הדר")
    make_lead(tenant, name="דנה כהן", phone="054-1234567")
    make_lead(tenant, name="Adam Smith")
    other = make_tenant()
    make_lead(other, name="ליד של עסק אחר")

    sign_in(page, server, tenant.owner.email, PASSWORD)
    expect(page).to_have_url(re.compile(r"/leads/?$"))
    rows = page.locator("[data-testid=lead-row]")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("Adam Smith")
    expect(page.locator("#business-name")).to_have_text("מכון כושר הדר")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(page.get_by_role("heading", name="לידים")).to_be_visible()
    expect(page.get_by_text("ליד של עסק אחר")).to_have_count(0)
    phone = page.locator("[data-testid=lead-row] bdi", has_text="054-123-4567")
    expect(phone).to_have_attribute("dir", "ltr")

    page.click("#switch-language")
    expect(page.get_by_role("heading", name="Leads")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("dir", "ltr")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(rows.nth(1)).to_contain_text("New")  # status labels follow the language
    page.reload()
    expect(page.get_by_role("heading", name="Leads")).to_be_visible()  # the choice is remembered

    page.click("#logout")
    expect(page).to_have_url(re.compile(r"/login/?$"))
    page.goto(server.url + "/leads")
    expect(page).to_have_url(re.compile(r"/login/?\?next="))


def test_wrong_password_shows_a_message(page: Page, server: LiveServer) -> None:
    tenant = make_tenant()
    sign_in(page, server, tenant.agent.email, "definitely wrong")
    expect(page.locator("#login-error")).to_contain_text("אימייל או סיסמה שגויים")
    expect(page.locator("#login-email")).to_have_value(tenant.agent.email)


def test_the_browsers_event_socket_carries_no_token_in_its_url(
    page: Page, server: LiveServer
) -> None:
    tenant = make_tenant()
    make_lead(tenant, name="ליד")
    sockets: list[str] = []
    page.on("websocket", lambda ws: sockets.append(ws.url))
    sign_in(page, server, tenant.agent.email, PASSWORD)
    page.wait_for_selector("[data-testid=lead-row]")
    assert sockets and all("/_event" in url and "token" not in url for url in sockets)
