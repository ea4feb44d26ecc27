"""Servers from one checkout each build their own frontend: a second one starting (and
building) leaves the first one's pages talking to the first one."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser

from tests.factories import PASSWORD, make_lead, make_tenant
from tests.live import LiveServer

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def test_a_second_server_from_the_same_checkout_leaves_the_first_ones_pages_alone(
    browser: Browser, server: LiveServer, pair: tuple[LiveServer, LiveServer]
) -> None:
    one, two = pair  # `two` has built its frontend since `server` and `one` started
    assert len({server.web_dir, one.web_dir, two.web_dir}) == 3
    tenant = make_tenant()
    make_lead(tenant, name="ליד בשרת הראשון")
    for running in (server, one):
        context = browser.new_context(locale="he-IL")
        page = context.new_page()
        sockets: list[str] = []
        page.on("websocket", lambda ws, found=sockets: found.append(ws.url))
        page.goto(f"{running.url}/login")
        page.fill("#login-email", tenant.agent.email)
        page.fill("#login-password", PASSWORD)
        page.click("#login-submit")
        page.wait_for_selector("text=ליד בשרת הראשון", timeout=20_000)
        assert sockets and all(f":{running.port}/" in url for url in sockets), sockets
        context.close()
