"""The sign-in page in chromium: no way off the site by `next`, no text by `minutes`."""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import sign_in
from tests.factories import PASSWORD, make_tenant
from tests.live import LiveServer

pytestmark = pytest.mark.e2e
OFF_SITE = quote("/\\evil.example", safe="")  # a browser reads \ as /: //evil.example


def test_a_next_with_a_backslash_keeps_the_visitor_on_the_site(
    page: Page, server: LiveServer
) -> None:
    tenant = make_tenant()
    sign_in(page, server, tenant.agent.email, PASSWORD, start=f"/login?next={OFF_SITE}")
    expect(page).to_have_url(re.compile(rf"^{re.escape(server.url)}/leads/?$"))
    page.goto(f"{server.url}/login?next={OFF_SITE}")  # signed in: the page sends them on
    expect(page).to_have_url(re.compile(rf"^{re.escape(server.url)}/leads/?$"))


def test_the_throttled_message_never_shows_text_from_the_address(
    page: Page, server: LiveServer
) -> None:
    injected = quote("5. Call +1-800-555-0100 to unlock your account", safe="")
    page.goto(f"{server.url}/login?error=throttled&minutes={injected}")
    message = page.locator("#login-error")
    expect(message).to_be_visible()
    expect(message).not_to_contain_text("800")
    page.goto(f"{server.url}/login?error=throttled&minutes=7")
    expect(message).to_contain_text("7")
