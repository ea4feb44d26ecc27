"""The business's own lead fields in chromium: defined in settings, edited on a lead, filtered."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, expect

from crm_app.db import unit_of_work
from crm_app.models import Lead
from tests.e2e.conftest import TIMEOUT_MS, sign_in
from tests.factories import PASSWORD, make_lead, make_tenant
from tests.live import LiveServer

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize(
    ("width", "lang"), [(390, "he"), (1366, "en")], ids=["phone-he", "desktop-en"]
)
def test_an_owner_defines_a_choice_field_an_agent_fills_it_and_the_list_filters_by_it(
    browser: Browser, server: LiveServer, width: int, lang: str
) -> None:
    tenant = make_tenant(name="Bright Smile" if lang == "en" else "מרפאה", locale=lang)
    north = make_lead(tenant, name="Dana North")
    make_lead(tenant, name="Avi South")
    context = browser.new_context(
        locale="he-IL" if lang == "he" else "en-US", viewport={"width": width, "height": 844}
    )
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    try:
        sign_in(page, server, tenant.owner.email, PASSWORD, start="/settings?section=fields")
        page.fill("#field-label-he", "סניף")
        page.fill("#field-label-en", "Branch")
        page.select_option("#field-kind", "choice")
        page.fill("#field-choices", "North, South")
        page.click("#field-add")
        expect(page.locator("[data-testid=lead-field][data-key=x-branch]")).to_be_visible()

        page.goto(f"{server.url}/leads/{north.id}")
        page.click("#edit-lead")
        page.select_option("[id='edit-custom.x-branch']", "North")
        page.click("#edit-save")
        expect(page.locator("#lead-details [data-key=x-branch]")).to_contain_text("North")
        with unit_of_work(read_only=True) as session:
            saved = session.get(Lead, north.id)
            assert saved is not None and saved.custom_fields == {"x-branch": "North"}

        page.goto(f"{server.url}/leads")
        page.select_option("[data-testid=field-filter][data-key=x-branch]", "North")
        page.wait_for_url("**/leads?*f.x-branch=North*")
        shown = page.locator("text=Avi South >> visible=true")
        expect(shown).to_have_count(0)
        expect(page.locator("text=Dana North >> visible=true").first).to_be_visible()
        assert int(page.evaluate("document.documentElement.scrollWidth")) <= width
    finally:
        context.close()
