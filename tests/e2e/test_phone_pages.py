"""The header and the lead page on a 390 px phone and a 1366 px desktop, in both languages."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from crm_app.db import unit_of_work
from crm_app.models import Role
from crm_app.services import notes
from tests.e2e.conftest import TIMEOUT_MS, open_tab, sign_in
from tests.factories import PASSWORD, Tenant, make_call, make_lead, make_tenant
from tests.live import LiveServer

pytestmark = pytest.mark.e2e

CAMERA = "[data-camera-for=note-upload]"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 800}
SIZES = [pytest.param(PHONE, id="phone"), pytest.param(DESKTOP, id="desktop")]
LANGUAGES = ["he", "en"]
LONG_NAME = "מרפאת השיניים המשפחתית של ד״ר ישראלה כהן-לוי, רמת השרון"
# A 1x1 PNG: the composer's preview of it loads only if the draft's file is served.
PIXEL = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c63f8cfc0f01f0005000201e2213ba70000000049454e44ae426082"
)


@pytest.fixture
def sized(browser: Browser, request: pytest.FixtureRequest) -> Page:
    context = browser.new_context(locale="he-IL", viewport=request.param)
    context.set_default_timeout(TIMEOUT_MS)
    request.addfinalizer(context.close)
    return context.new_page()


def _lead_page(page: Page, server: LiveServer, locale: str) -> tuple[Tenant, int]:
    tenant = make_tenant(name=LONG_NAME, locale=locale)
    lead = make_lead(tenant, name="דנה כהן Dana Cohen", phone="050-123-4567")
    assert lead.id is not None
    make_call(tenant, lead, summary="דנה ביקשה תור ל-Invisalign, לחזור אליה ב 052-555-1234.")
    sign_in(page, server, tenant.agent.email, PASSWORD, start=f"/leads/{lead.id}")
    expect(page.locator("#lead-name")).to_contain_text("Dana Cohen")
    expect(page.locator("html")).to_have_attribute("lang", locale)
    return tenant, lead.id


def _scroll_width(page: Page) -> int:
    return int(page.evaluate("document.documentElement.scrollWidth"))


def _lines(page: Page, selector: str) -> int:
    """How many lines the element's text takes (its line boxes)."""
    return int(
        page.eval_on_selector(
            selector,
            "el => { const r = document.createRange(); r.selectNodeContents(el);"
            " return new Set([...r.getClientRects()].map((b) => Math.round(b.top))).size; }",
        )
    )


@pytest.mark.parametrize("sized", SIZES, indirect=True)
@pytest.mark.parametrize("locale", LANGUAGES)
def test_the_lead_page_fits_the_screen_and_the_phone_stays_on_one_line(
    sized: Page, server: LiveServer, locale: str
) -> None:
    _lead_page(sized, server, locale)
    width = sized.viewport_size["width"] if sized.viewport_size else 0
    expect(sized.locator("#tab-appointments")).to_be_attached()
    assert _scroll_width(sized) <= width
    phone = "#lead-phone bdi"
    expect(sized.locator(phone)).to_have_text("050-123-4567")
    assert _lines(sized, phone) == 1
    assert _lines(sized, "#business-name") == 1  # truncated, never wrapped
    for tab in ("notes", "calls", "files", "appointments", "activity"):
        open_tab(sized, tab)
        assert _scroll_width(sized) <= width, tab
    open_tab(sized, "calls")
    sized.locator("[data-testid=lead-call]").first.click()  # the call panel opens below
    expect(sized.locator("#call-summary")).to_contain_text("052-555-1234")
    assert _scroll_width(sized) <= width


@pytest.mark.parametrize("sized", SIZES, indirect=True)
@pytest.mark.parametrize("locale", LANGUAGES)
def test_the_header_navigates_from_its_menu_on_a_phone_and_its_bar_on_a_desktop(
    sized: Page, server: LiveServer, locale: str
) -> None:
    tenant, _ = _lead_page(sized, server, locale)
    phone = sized.viewport_size == PHONE
    menu = sized.locator("#header-menu")
    if phone:
        expect(sized.locator("#nav-calls")).to_be_hidden()
        expect(sized.locator("#logout")).to_be_hidden()
        menu.click()
        expect(sized.locator("#menu-user-name")).to_have_text(tenant.agent.name)
        expect(sized.locator("#menu-switch-language")).to_be_visible()
        sized.click("#menu-nav-calls")
    else:
        expect(menu).to_be_hidden()
        expect(sized.locator("#user-name")).to_have_text(tenant.agent.name)
        sized.click("#nav-calls")
    expect(sized).to_have_url(re.compile(r"/calls/?$"))
    assert _scroll_width(sized) <= (sized.viewport_size or {"width": 0})["width"]
    if phone:
        menu.click()
        sized.click("#menu-logout")
        expect(sized).to_have_url(re.compile(r"/login/?$"))


@pytest.mark.parametrize("sized", [pytest.param(PHONE, id="phone")], indirect=True)
def test_the_phone_menu_switches_the_language(sized: Page, server: LiveServer) -> None:
    _lead_page(sized, server, "he")
    sized.click("#header-menu")
    sized.click("#menu-switch-language")
    expect(sized.locator("html")).to_have_attribute("lang", "en")
    expect(sized.get_by_role("tab", name="Activity")).to_be_visible()
    expect(sized.locator("html")).to_have_attribute("dir", "ltr")


@pytest.mark.parametrize("sized", SIZES, indirect=True)
@pytest.mark.parametrize("locale", LANGUAGES)
def test_a_note_with_a_photo_previews_before_saving_and_shows_its_file_on_the_timeline(
    sized: Page, server: LiveServer, locale: str, tmp_path: Path
) -> None:
    photo = tmp_path / "צילום מסך.png"
    photo.write_bytes(PIXEL)
    _lead_page(sized, server, locale)
    expect(sized.locator(CAMERA)).to_have_attribute("capture", "environment")
    expect(sized.locator(CAMERA)).to_have_attribute("accept", "image/*")
    sized.set_input_files(CAMERA, str(photo))  # the camera's photo
    preview = sized.locator("#note-upload img")
    expect(preview).to_have_attribute("src", re.compile(r"^/api/v1/files/[0-9a-f]{32}$"))
    sized.wait_for_function(
        "() => { const i = document.querySelector('#note-upload img');"
        " return i && i.complete && i.naturalWidth > 0; }"
    )
    sized.fill("#note-text", "להתקשר ל 050-765-4321 about the Premium plan")
    sized.click("#note-save")
    entry = sized.locator("[data-testid=timeline-item][data-kind=note]").first
    chip = entry.locator("[data-testid=attachment]")
    expect(chip).to_contain_text("צילום מסך.png")
    expect(chip).to_have_attribute("href", re.compile(r"^/api/v1/files/[0-9a-f]{32}$"))
    expect(entry.locator("[data-testid=timeline-text] bdi.ltr")).to_have_text("050-765-4321")
    assert _lines(sized, "[data-testid=timeline-text] bdi.ltr") == 1
    width = (sized.viewport_size or {"width": 0})["width"]
    assert _scroll_width(sized) <= width


@pytest.mark.parametrize("sized", [pytest.param(PHONE, id="phone")], indirect=True)
def test_a_photo_added_to_a_note_being_edited_previews_and_is_kept(
    sized: Page, server: LiveServer, tmp_path: Path
) -> None:
    photo = tmp_path / "קבלה.png"
    photo.write_bytes(PIXEL)
    tenant, lead_id = _lead_page(sized, server, "he")
    with unit_of_work() as session:
        notes.add_note(
            session,
            principal=tenant.principal(Role.AGENT),
            lead_id=lead_id,
            text="Dana מבקשת תור, טלפון נוסף 052-111-2233",
        )
    sized.reload()  # the note was written behind the page's back
    open_tab(sized, "notes")
    note = sized.locator("[data-testid=note]").first
    expect(note.locator("[data-testid=note-text] bdi.ltr")).to_have_text("052-111-2233")
    note.locator("[data-testid=note-edit]").click()
    sized.set_input_files("[data-camera-for=edit-upload]", str(photo))
    sized.wait_for_function(
        "() => { const i = document.querySelector('#edit-note-files img');"
        " return i && i.complete && i.naturalWidth > 0; }"
    )
    assert _scroll_width(sized) <= PHONE["width"]
    sized.click("#edit-note-save")
    expect(note.locator("[data-testid=attachment]")).to_contain_text("קבלה.png")
