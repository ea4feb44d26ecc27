"""Words on screen: plural forms by Babel's rules, empty lists that say why they are empty."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import open_tab, sign_in
from tests.factories import PASSWORD, make_call, make_lead, make_tenant
from tests.live import LiveServer

pytestmark = pytest.mark.e2e


def test_one_lead_is_counted_in_the_singular(page: Page, server: LiveServer) -> None:
    tenant = make_tenant()
    make_lead(tenant, name="דנה כהן")
    sign_in(page, server, tenant.owner.email, PASSWORD)
    expect(page.locator("#lead-total")).to_have_text("ליד אחד")
    make_lead(tenant, name="יוסי לוי")
    page.reload()
    expect(page.locator("#lead-total")).to_have_text("2 לידים")


def test_an_empty_lead_list_tells_nothing_yet_from_no_match(page: Page, server: LiveServer) -> None:
    tenant = make_tenant()
    sign_in(page, server, tenant.owner.email, PASSWORD)
    empty = page.locator("#leads-empty")
    expect(empty).to_have_text("אין עדיין לידים.")
    make_lead(tenant, name="דנה כהן")
    page.goto(f"{server.url}/leads?q=zzz")
    expect(empty).to_contain_text("אין לידים שמתאימים לסינון הזה.")
    page.click("#leads-empty-clear")
    expect(page).to_have_url(re.compile(r"/leads/?$"))
    expect(page.locator("[data-testid=lead-row]")).to_have_count(1)


def test_an_empty_call_list_tells_nothing_yet_from_no_match(page: Page, server: LiveServer) -> None:
    tenant = make_tenant()
    sign_in(page, server, tenant.owner.email, PASSWORD)
    page.goto(f"{server.url}/calls")
    empty = page.locator("#calls-empty")
    expect(empty).to_have_text("אין עדיין שיחות.")
    page.goto(f"{server.url}/calls?q=zzz")
    expect(empty).to_contain_text("אין שיחות שמתאימות לסינון הזה.")
    page.click("#calls-empty-clear")
    expect(page).to_have_url(re.compile(r"/calls/?$"))
    expect(empty).to_have_text("אין עדיין שיחות.")


def test_date_filters_take_days_as_the_tables_show_them(page: Page, server: LiveServer) -> None:
    tenant = make_tenant()
    lead = make_lead(tenant, name="דנה כהן")
    now = datetime.now(UTC)
    make_call(tenant, lead, started_at=now - timedelta(days=10))
    make_call(tenant, lead, started_at=now - timedelta(minutes=5))
    since = (now - timedelta(days=3)).astimezone(ZoneInfo("Asia/Jerusalem")).date()
    sign_in(page, server, tenant.owner.email, PASSWORD, start="/calls")
    rows = page.locator("[data-testid=call-row]")
    expect(rows).to_have_count(2)
    box = page.locator("#call-from")
    expect(box).to_have_attribute("placeholder", "יי/חח/שששש")
    box.fill(since.strftime("%d/%m/%Y"))
    box.press("Enter")
    expect(page).to_have_url(re.compile(rf"from={since.isoformat()}"))
    expect(rows).to_have_count(1)
    page.reload()
    expect(box).to_have_value(since.strftime("%d/%m/%Y"))

    box.fill("31/02/2026")
    box.press("Enter")
    expect(page.get_by_text("יש להקליד תאריך כמו 28/11/2026")).to_be_visible()
    expect(page).to_have_url(re.compile(rf"from={since.isoformat()}"))
    expect(rows).to_have_count(1)


def test_status_editor_speaks_hebrew_and_saves_every_row_at_once(
    page: Page, server: LiveServer
) -> None:
    tenant = make_tenant()
    sign_in(page, server, tenant.owner.email, PASSWORD)
    page.goto(f"{server.url}/settings?section=statuses")
    rows = page.locator("[data-testid=status-row]")
    expect(rows.first).to_be_visible()
    editor = page.locator("#status-editor")
    for raw in ("attempting", "gray", "blue"):
        expect(editor).not_to_contain_text(raw)
    expect(rows.first.locator("[role=combobox]")).to_have_text("כחול")
    expect(page.locator("#save-statuses")).to_have_count(1)
    rows.nth(0).locator("input[name^=label_en]").fill("Fresh lead")
    rows.nth(1).locator("input[name^=label_en]").fill("Trying")
    page.click("#save-statuses")
    expect(rows.nth(0).locator("input[name^=label_en]")).to_have_value("Fresh lead")
    page.reload()
    expect(rows.nth(0).locator("input[name^=label_en]")).to_have_value("Fresh lead")
    expect(rows.nth(1).locator("input[name^=label_en]")).to_have_value("Trying")
    boxes = [rows.nth(i).locator("input[name^=label_he]").bounding_box() for i in range(3)]
    assert len({round(b["x"]) for b in boxes if b}) == 1  # the rows line up


def test_the_lead_tab_lives_in_the_address_and_survives_reload(
    page: Page, server: LiveServer
) -> None:
    tenant = make_tenant()
    lead = make_lead(tenant, name="ליד עם לשוניות")
    sign_in(page, server, tenant.agent.email, PASSWORD, start=f"/leads/{lead.id}")
    expect(page.locator("#lead-name")).to_have_text("ליד עם לשוניות")
    open_tab(page, "notes")
    expect(page).to_have_url(re.compile(r"[?&]tab=notes"))
    page.reload()
    expect(page.locator("#tab-notes")).to_have_attribute("aria-selected", "true")
    open_tab(page, "activity")
    expect(page).not_to_have_url(re.compile(r"tab="))
