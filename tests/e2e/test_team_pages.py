"""Team, API tokens and audit log in chromium: invite, set a password by link, tokens, the log.

In Hebrew and English, at phone width (390 px) and on a desktop.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import TIMEOUT_MS, sign_in, switch_language
from tests.factories import PASSWORD, make_tenant, unique_email
from tests.live import LiveServer

pytestmark = pytest.mark.e2e
NEW_PASSWORD = "the agent's own password"


# The outermost elements that reach past either edge of the window (for the failure message).
_OVERFLOWING = """() => [...document.querySelectorAll('body *')].filter(e => {
    const r = e.getBoundingClientRect();
    const out = x => x.getBoundingClientRect().right > innerWidth + 1
        || x.getBoundingClientRect().left < -1;
    return r.width > 0 && out(e) && !(e.parentElement && out(e.parentElement));
}).slice(0, 5).map(e => `${e.tagName}#${e.id}.${e.className} ${e.textContent.slice(0, 40)}`)
"""


def _no_sideways_scroll(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert width <= 0, f"{width}px wider than the window: {page.evaluate(_OVERFLOWING)}"


def _open_section(page: Page, server: LiveServer, section: str) -> None:
    page.goto(f"{server.url}/settings?section={section}")
    expect(page.locator(f"#section-{section}")).to_have_attribute("aria-current", "page")


def _invite(page: Page, name: str, email: str) -> str:
    page.fill("#invite-name", name)
    page.fill("#invite-email", email)
    page.click("#invite-submit")
    expect(page.locator("#link-panel")).to_contain_text(email)
    expect(page.locator("#link-mail")).to_contain_text("שליחת אימייל לא הוגדרה")
    url = page.locator("#link-url").inner_text()
    assert re.fullmatch(re.escape(page.url.split("/settings")[0]) + r"/password\?token=\S+", url)
    return url


def _set_password_in_a_fresh_browser(browser: Browser, url: str, email: str) -> None:
    context = browser.new_context(locale="he-IL", viewport={"width": 390, "height": 844})
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.goto(url)
    expect(page.locator("#password-link-email")).to_have_text(email)
    expect(page.get_by_text("ברוכים הבאים! בחרו סיסמה עבור")).to_be_visible()
    _no_sideways_scroll(page)
    page.fill("#new-password", NEW_PASSWORD)
    page.fill("#confirm-password", NEW_PASSWORD + "x")
    page.click("#password-submit")
    expect(page.locator("#password-error")).to_have_text("שתי הסיסמאות אינן זהות.")
    page.fill("#confirm-password", NEW_PASSWORD)
    page.click("#password-submit")
    expect(page).to_have_url(re.compile(r"/login/?\?email="))
    expect(page.locator("#login-email")).to_have_value(email)
    expect(page.get_by_text("הסיסמה נשמרה. התחברו איתה.")).to_be_visible()
    page.fill("#login-password", NEW_PASSWORD)
    page.click("#login-submit")
    expect(page).to_have_url(re.compile(r"/leads/?$"))
    expect(page.locator("#user-name")).to_have_text("נועה סוכנת")
    page.goto(url)  # the link worked once
    expect(page.locator("#link-invalid")).to_contain_text("הקישור כבר אינו בתוקף")
    context.close()


def _create_and_revoke_a_token(page: Page, server: LiveServer) -> None:
    _open_section(page, server, "tokens")
    page.fill("#token-name", "Zapier")
    page.click("#token-create")
    expect(page.locator("#new-token")).to_have_text(re.compile(r"^crm_\S{20,}$"))
    page.click("#new-token-copy")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied == page.locator("#new-token").inner_text()
    page.click("#new-token-dismiss")
    expect(page.locator("#new-token")).to_have_count(0)
    row = page.locator("[data-testid=token-row][data-name=Zapier]")
    expect(row).to_contain_text(copied[:8])
    row.locator("[data-testid=token-revoke]").click()
    page.click("#confirm-yes")
    expect(row).to_contain_text("בוטל")
    expect(row.locator("[data-testid=token-revoke]")).to_have_count(0)


def _check_the_audit_log(page: Page, server: LiveServer) -> None:
    _open_section(page, server, "audit")
    rows = page.locator("[data-testid=audit-row]")
    for label in ("הזמנת משתמש", "בחירת סיסמה בקישור", "יצירת טוקן API", "ביטול טוקן API"):
        expect(rows.filter(has_text=label).first).to_be_visible()
    page.click("#audit-action")
    page.get_by_role("option", name="ביטול טוקן API").click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Zapier")
    page.click("#audit-clear")
    expect(rows.filter(has_text="הזמנת משתמש")).to_have_count(1)


def test_owner_invites_an_agent_who_signs_in_and_revokes_a_token(
    page: Page, browser: Browser, server: LiveServer
) -> None:
    tenant = make_tenant(name="מרפאת השן")
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    sign_in(page, server, tenant.owner.email, PASSWORD, start="/settings?section=team")
    expect(page.locator("[data-testid=member-row]")).to_have_count(3)
    email = unique_email("agent")
    url = _invite(page, "נועה סוכנת", email)
    expect(page.locator(f"[data-testid=member-row][data-email='{email}']")).to_be_visible()

    _set_password_in_a_fresh_browser(browser, url, email)
    _create_and_revoke_a_token(page, server)
    _check_the_audit_log(page, server)

    page.click("#switch-language")  # English, remembered: the page reloads
    revoked = page.locator("[data-testid=audit-row]").filter(has_text="Revoked an API token")
    expect(revoked.first).to_be_visible()
    expect(page.get_by_text("Audit log").first).to_be_visible()
    _open_section(page, server, "team")
    expect(page.get_by_role("heading", name="Add a user")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("dir", "ltr")


def test_the_last_owner_and_a_deactivated_agent(
    page: Page, browser: Browser, server: LiveServer
) -> None:
    tenant = make_tenant()
    agent_context = browser.new_context(locale="he-IL")
    agent_context.set_default_timeout(TIMEOUT_MS)
    agent_page = agent_context.new_page()
    sign_in(agent_page, server, tenant.agent.email, PASSWORD, start="/settings")
    expect(agent_page.locator("#sign-out-others")).to_be_visible()
    sign_in(page, server, tenant.owner.email, PASSWORD, start="/settings?section=team")
    own = page.locator(f"[data-testid=member-row][data-email='{tenant.owner.email}']")
    own.locator("[data-testid=member-role]").click()
    page.get_by_role("option", name="נציג").click()
    expect(page.locator("#team-error")).to_have_text("לעסק חייב להישאר בעלים פעיל.")
    agent = page.locator(f"[data-testid=member-row][data-email='{tenant.agent.email}']")
    agent.locator("[data-testid=member-deactivate]").click()
    page.click("#confirm-yes")
    expect(agent).to_contain_text("מושבת")
    expect(agent.locator("[data-testid=member-reactivate]")).to_be_visible()
    agent_page.click("#sign-out-others")  # the agent's open page: its next event is refused
    expect(agent_page).to_have_url(re.compile(r"/login/?\?next="))
    agent_context.close()


@pytest.mark.parametrize("width", [390, 1366])
def test_the_sections_fit_the_screen_in_both_languages(
    page: Page, server: LiveServer, width: int
) -> None:
    tenant = make_tenant()
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, server, tenant.admin.email, PASSWORD, start="/settings?section=team")
    expect(page.locator("[data-testid=member-row]")).to_have_count(3)
    for language in ("he", "en"):
        for section in ("team", "tokens", "audit"):
            _open_section(page, server, section)
            if section == "audit":
                expect(page.locator("[data-testid=audit-row]").first).to_be_visible()
            _no_sideways_scroll(page)
        if language == "he":
            switch_language(page)
            expect(page.locator("html")).to_have_attribute("lang", "en")
