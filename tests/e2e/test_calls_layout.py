"""Every call at its own URL, its panel in view beside the list or over a phone's screen.

In chromium at a desktop's 1366x800 and a phone's 390x844, in Hebrew and in English;
on a phone the lead and call lists are cards, and nothing scrolls sideways.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import Locator, Page, expect

from crm_app.models import Call, utcnow
from tests.e2e.conftest import open_tab, sign_in
from tests.factories import PASSWORD, Tenant, make_call, make_lead, make_tenant
from tests.live import LiveServer

pytestmark = pytest.mark.e2e

DESKTOP = {"width": 1366, "height": 800}
PHONE = {"width": 390, "height": 844}
LANGUAGES = ["he", "en"]
SELECTED_IN_VIEW = """() => {
  const box = document.querySelector('[data-testid=call-row][data-selected=true]')
    ?.getBoundingClientRect();
  return !!box && box.top >= 0 && box.bottom <= window.innerHeight;
}"""


def _calls(tenant: Tenant, count: int) -> list[Call]:
    """``count`` calls, newest first, each with its lead and a summary of its own."""
    now = utcnow()
    return [
        make_call(
            tenant,
            make_lead(tenant, name=f"Caller {i}"),
            summary=f"summary number {i}",
            started_at=now - timedelta(minutes=10 * (i + 1)),
        )
        for i in range(count)
    ]


def _box(locator: Locator) -> dict[str, float]:
    box = locator.bounding_box()
    assert box is not None
    return box


def _in_window(page: Page, locator: Locator) -> None:
    """The element is visible within the window, not above or below it."""
    box, size = _box(locator), page.viewport_size
    assert size is not None
    assert box["x"] >= 0 and box["x"] + box["width"] <= size["width"] + 1, box
    assert box["y"] >= 0 and box["y"] + box["height"] <= size["height"] + 1, box


def _no_sideways_scroll(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.evaluate("window.innerWidth"), width


@pytest.mark.parametrize("locale", LANGUAGES)
def test_a_row_opens_its_call_beside_the_list_at_its_own_url(
    page: Page, server: LiveServer, locale: str
) -> None:
    tenant = make_tenant(name="Calls desk", locale=locale)
    calls = _calls(tenant, 20)
    page.set_viewport_size(DESKTOP)
    sign_in(page, server, tenant.agent.email, PASSWORD, start="/calls")
    rows = page.locator("[data-testid=call-row]")
    expect(rows).to_have_count(20)
    expect(page.locator("[data-testid=call-card]").first).to_be_hidden()  # a table here

    last = calls[-1]
    row = page.locator(f"[data-testid=call-row][data-call-id='{last.id}']")
    row.scroll_into_view_if_needed()  # far down the list
    row.locator("td").first.click()  # the time, not the lead's link
    page.wait_for_url(re.compile(rf"/calls/{last.id}/?$"))
    panel = page.locator("#call-detail")
    expect(panel).to_contain_text("summary number 19")
    expect(row).to_have_attribute("data-selected", "true")
    expect(row).to_have_attribute("aria-selected", "true")
    expect(page.locator("[data-testid=call-row][data-selected=true]")).to_have_count(1)
    _in_window(page, panel)
    page.wait_for_function(SELECTED_IN_VIEW)  # the list still shows the row clicked
    assert _box(panel)["width"] < DESKTOP["width"] / 2  # beside the list, not above it
    page.mouse.wheel(0, 3000)  # the list scrolls; the panel stays in view
    page.wait_for_timeout(300)
    _in_window(page, panel)

    page.reload()  # or a colleague opening the shared address
    expect(panel).to_contain_text("summary number 19")
    expect(row).to_have_attribute("data-selected", "true")
    _in_window(page, panel)
    page.wait_for_function(SELECTED_IN_VIEW)

    page.click("#call-close")
    page.wait_for_url(re.compile(r"/calls/?$"))
    expect(panel).to_have_count(0)
    expect(page.locator("[data-testid=call-row][data-selected=true]")).to_have_count(0)

    # Another lead, reached from the list with a call open: its Calls tab starts closed.
    row.locator("td").first.click()
    expect(panel).to_contain_text("summary number 19")
    first = page.locator(f"[data-testid=call-row][data-call-id='{calls[0].id}']")
    first.locator("a[href^='/leads/']").click()
    page.wait_for_url(re.compile(rf"/leads/{calls[0].lead_id}"))
    open_tab(page, "calls")
    expect(page.locator("[data-testid=lead-call]")).to_have_count(1)
    expect(panel).to_have_count(0)


@pytest.mark.parametrize("locale", LANGUAGES)
def test_on_a_phone_calls_are_cards_and_a_call_covers_the_screen(
    page: Page, server: LiveServer, locale: str
) -> None:
    tenant = make_tenant(name="Calls on the go", locale=locale)
    calls = _calls(tenant, 6)
    page.set_viewport_size(PHONE)
    sign_in(page, server, tenant.agent.email, PASSWORD, start="/calls")
    cards = page.locator("[data-testid=call-card]")
    expect(cards).to_have_count(6)
    expect(page.locator("[data-testid=call-row]").first).to_be_hidden()
    _one_line_phones(page, "[data-testid=call-card]")
    _no_sideways_scroll(page)

    cards.nth(2).click()
    page.wait_for_url(re.compile(rf"/calls/{calls[2].id}/?$"))
    panel = page.locator("#call-panel")
    expect(page.locator("#call-detail")).to_contain_text("summary number 2")
    expect(cards.nth(2)).to_have_attribute("aria-current", "true")
    box = _box(panel)
    assert (box["x"], box["y"]) == (0, 0) and box["width"] == PHONE["width"], box
    assert box["height"] == PHONE["height"], box
    _no_sideways_scroll(page)

    page.reload()
    expect(page.locator("#call-detail")).to_contain_text("summary number 2")
    page.click("#call-close")
    page.wait_for_url(re.compile(r"/calls/?$"))
    expect(page.locator("#call-detail")).to_have_count(0)
    expect(cards.nth(2)).to_be_visible()


@pytest.mark.parametrize("locale", LANGUAGES)
def test_on_a_phone_the_lead_list_is_cards_with_whole_phone_numbers(
    page: Page, server: LiveServer, locale: str
) -> None:
    tenant = make_tenant(name="Leads on the go", locale=locale)
    for i in range(5):
        make_lead(tenant, name=f"Lead with a rather long name {i}")
    page.set_viewport_size(PHONE)
    sign_in(page, server, tenant.agent.email, PASSWORD, start="/leads")
    cards = page.locator("[data-testid=lead-card]")
    expect(cards).to_have_count(5)
    expect(page.locator("[data-testid=lead-row]").first).to_be_hidden()
    expect(cards.first.get_by_role("link")).to_have_attribute("href", re.compile(r"^/leads/\d+"))
    _one_line_phones(page, "[data-testid=lead-card]")
    _no_sideways_scroll(page)

    page.set_viewport_size(DESKTOP)  # the same page, wide: the table again
    expect(page.locator("[data-testid=lead-row]").first).to_be_visible()
    expect(cards.first).to_be_hidden()


def test_the_keyboard_opens_a_call_and_escape_gives_the_focus_back_to_its_row(
    page: Page, server: LiveServer
) -> None:
    tenant = make_tenant(name="Keyboard clinic")
    calls = _calls(tenant, 3)
    page.set_viewport_size(DESKTOP)
    sign_in(page, server, tenant.agent.email, PASSWORD, start="/calls")
    row = page.locator(f"[data-testid=call-row][data-call-id='{calls[1].id}']")
    when = row.get_by_role("link").first
    when.focus()
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(rf"/calls/{calls[1].id}/?$"))
    expect(page.locator("#call-heading")).to_be_focused()
    expect(row).to_have_attribute("aria-selected", "true")
    page.keyboard.press("Escape")
    page.wait_for_url(re.compile(r"/calls/?$"))
    expect(page.locator("#call-detail")).to_have_count(0)
    expect(when).to_be_focused()


@pytest.mark.parametrize("locale", LANGUAGES)
def test_a_phone_sheet_keeps_the_focus_until_escape_closes_it(
    page: Page, server: LiveServer, locale: str
) -> None:
    tenant = make_tenant(name="Sheet clinic", locale=locale)
    calls = _calls(tenant, 3)
    page.set_viewport_size(PHONE)
    sign_in(page, server, tenant.agent.email, PASSWORD, start="/calls")
    card = page.locator(f"[data-testid=call-card][data-call-id='{calls[0].id}']")
    card.click()
    page.wait_for_url(re.compile(rf"/calls/{calls[0].id}/?$"))
    expect(page.locator("#call-heading")).to_be_focused()
    inside = "document.getElementById('call-panel').contains(document.activeElement)"
    for _ in range(12):  # Tab never leaves the sheet for the list behind it
        page.keyboard.press("Tab")
        assert page.evaluate(inside)
    page.keyboard.press("Escape")
    page.wait_for_url(re.compile(r"/calls/?$"))
    expect(page.locator("#call-detail")).to_have_count(0)
    expect(card.get_by_role("link")).to_be_focused()
    card.get_by_role("link").press("Tab")  # the page behind is usable again
    assert not page.evaluate("document.activeElement.closest('[inert]')")


@pytest.mark.parametrize("locale", LANGUAGES)
def test_on_a_phone_lead_cards_are_ticked_for_bulk_changes_and_sorted_from_a_menu(
    page: Page, server: LiveServer, locale: str
) -> None:
    tenant = make_tenant(name="Bulk on the go", locale=locale)
    for name in ("Carmel", "Avi", "Bat-El"):
        make_lead(tenant, name=name)
    page.set_viewport_size(PHONE)
    sign_in(page, server, tenant.owner.email, PASSWORD, start="/leads")
    cards = page.locator("[data-testid=lead-card]")
    expect(cards).to_have_count(3)

    page.select_option("#phone-sort", "name")
    page.wait_for_url(re.compile(r"sort=name"))
    expect(cards.locator(".list-card-name")).to_have_text(["Avi", "Bat-El", "Carmel"])

    cards.nth(0).get_by_role("checkbox").click()
    cards.nth(2).get_by_role("checkbox").click()
    expect(page.get_by_text("2 נבחרו" if locale == "he" else "2 selected")).to_be_visible()
    page.click("#bulk-status")
    page.get_by_role("option", name="בניסיון קשר" if locale == "he" else "Attempting").click()
    page.click("#bulk-apply")
    attempting = "בניסיון קשר" if locale == "he" else "Attempting"
    expect(cards.nth(0)).to_contain_text(attempting)
    expect(cards.nth(2)).to_contain_text(attempting)
    expect(cards.nth(1)).not_to_contain_text(attempting)
    _no_sideways_scroll(page)

    page.locator("#select-all-cards").click()
    expect(page.get_by_text("3 נבחרו" if locale == "he" else "3 selected")).to_be_visible()


@pytest.mark.parametrize(("locale", "size"), [("he", DESKTOP), ("en", PHONE)])
def test_another_business_call_url_says_not_found_and_shows_nothing_of_it(
    page: Page, server: LiveServer, locale: str, size: dict[str, int]
) -> None:
    theirs = make_tenant(name="Their clinic")
    secret = make_call(theirs, make_lead(theirs, name="Their patient"), summary="their secret")
    mine = make_tenant(name="My clinic", locale=locale)
    _calls(mine, 2)
    page.set_viewport_size(size)
    for path in (f"/calls/{secret.id}", "/calls/junk"):
        if path.endswith("junk"):
            page.goto(server.url + path)
        else:
            sign_in(page, server, mine.agent.email, PASSWORD, start=path)
        notice = page.locator("#call-notice")
        expect(notice).to_be_visible()
        _in_window(page, notice)
        expect(page.locator("#call-detail")).to_have_count(0)
        expect(page.get_by_text("their secret")).to_have_count(0)
        expect(page.get_by_text("Their patient")).to_have_count(0)
        expect(page.locator("[data-testid=call-row][data-selected=true]")).to_have_count(0)
        _no_sideways_scroll(page)


def _one_line_phones(page: Page, card: str) -> None:
    """Every phone in the cards is an LTR isolate on one line, inside the screen."""
    facts = page.evaluate(
        """(card) => [...document.querySelectorAll(card + ' bdi')].map((b) => ({
            lines: b.getClientRects().length,
            wrap: getComputedStyle(b).whiteSpace,
            dir: getComputedStyle(b).direction,
            right: b.getBoundingClientRect().right,
            left: b.getBoundingClientRect().left,
        }))""",
        card,
    )
    assert facts
    width = page.evaluate("window.innerWidth")
    for fact in facts:
        assert (fact["lines"], fact["wrap"], fact["dir"]) == (1, "nowrap", "ltr"), fact
        assert fact["left"] >= 0 and fact["right"] <= width, fact
