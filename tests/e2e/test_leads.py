"""The lead list and lead page in chromium: phone search, URL filters, status reason, export."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import openpyxl
import pytest
from playwright.sync_api import Page, expect

from crm_app.db import unit_of_work
from crm_app.models import Lead
from crm_app.services import statuses
from tests.e2e.conftest import sign_in
from tests.factories import PASSWORD, Tenant, make_lead, make_tenant
from tests.live import LiveServer

pytestmark = pytest.mark.e2e


def _open_list(page: Page, server: LiveServer, tenant: Tenant, role: str = "owner") -> None:
    user = {"owner": tenant.owner, "agent": tenant.agent}[role]
    sign_in(page, server, user.email, PASSWORD)
    expect(page).to_have_url(re.compile(r"/leads/?$"))


def test_search_finds_the_lead_by_any_phone_variant(page: Page, server: LiveServer) -> None:
    tenant = make_tenant()
    make_lead(tenant, name="דנה כהן", phone="+972541234567")
    make_lead(tenant, name="יוסי לוי", phone="+972529876543")
    _open_list(page, server, tenant, "agent")
    rows = page.locator("[data-testid=lead-row]")
    expect(rows).to_have_count(2)
    for typed in ("054-123", "0541234567", "+972541234567", "972 54 123 4567"):
        page.fill("#lead-search", typed)
        expect(page).to_have_url(re.compile(r"q="))
        expect(rows).to_have_count(1)
        expect(rows.first).to_contain_text("דנה כהן")
    page.fill("#lead-search", "")
    expect(rows).to_have_count(2)


def test_only_the_layout_for_the_width_is_built_and_it_follows_a_resize(
    page: Page, server: LiveServer
) -> None:
    tenant = make_tenant()
    make_lead(tenant, name="דנה כהן", phone="+972541234567")
    _open_list(page, server, tenant, "agent")
    rows, cards = page.locator("[data-testid=lead-row]"), page.locator("[data-testid=lead-card]")
    expect(rows).to_have_count(1)
    expect(cards).to_have_count(0)  # not merely hidden: absent from the page
    page.set_viewport_size({"width": 390, "height": 844})
    expect(cards).to_have_count(1)
    expect(rows).to_have_count(0)
    expect(cards.first).to_contain_text("054-123-4567")
    page.set_viewport_size({"width": 1366, "height": 800})
    expect(rows).to_have_count(1)
    expect(cards).to_have_count(0)


def test_filters_live_in_the_url_survive_reload_and_back(page: Page, server: LiveServer) -> None:
    tenant = make_tenant()
    make_lead(tenant, name="ליד חדש")
    contacted = make_lead(tenant, name="ליד שדיברנו איתו")
    with unit_of_work() as session:
        lead = session.get(Lead, contacted.id)
        status = statuses.status_by_key(session, business_id=tenant.id, key="contacted")
        assert lead is not None
        lead.status_id = status.id  # type: ignore[assignment]
    _open_list(page, server, tenant)
    rows = page.locator("[data-testid=lead-row]")
    expect(rows).to_have_count(2)
    page.click("#status-filter-contacted")
    expect(page).to_have_url(re.compile(r"status=contacted"))
    expect(rows).to_have_count(1)
    shared = page.url
    page.reload()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("ליד שדיברנו איתו")
    page.go_back()
    expect(page).not_to_have_url(re.compile(r"status="))
    expect(rows).to_have_count(2)
    other_tab = page.context.new_page()  # a shared link shows the same list
    other_tab.goto(shared)
    expect(other_tab.locator("[data-testid=lead-row]")).to_have_count(1)


def test_closed_status_asks_for_a_reason(page: Page, server: LiveServer) -> None:
    tenant = make_tenant()
    lead = make_lead(tenant, name="מתלבט")
    _open_list(page, server, tenant, "agent")
    page.click("text=מתלבט")
    expect(page.locator("#lead-name")).to_have_text("מתלבט")
    page.click("#lead-status")
    page.get_by_role("option", name="אבד").click()
    expect(page.locator("#status-reason")).to_be_visible()
    expect(page.locator("#status-reason-save")).to_be_disabled()
    page.fill("#status-reason", "המחיר גבוה מדי")
    page.click("#status-reason-save")
    expect(page.locator("#lead-status")).to_contain_text("אבד")
    entry = page.locator("[data-testid=timeline-item][data-kind=status]").first
    expect(entry).to_contain_text("המחיר גבוה מדי")
    page.reload()
    expect(page.locator("#lead-status")).to_contain_text("אבד")
    with unit_of_work() as session:
        saved = session.get(Lead, lead.id)
        lost = statuses.status_by_key(session, business_id=tenant.id, key="lost")
    assert saved is not None and saved.status_id == lost.id


def test_owner_exports_the_filtered_list_as_csv(
    page: Page, server: LiveServer, tmp_path: Path
) -> None:
    tenant = make_tenant()
    make_lead(tenant, name="=cmd|' /C calc'!A0", phone="054-1234567")
    make_lead(tenant, name="לא בסינון", phone="052-7654321")
    _open_list(page, server, tenant)
    page.fill("#lead-search", "054")
    expect(page.locator("[data-testid=lead-row]")).to_have_count(1)
    page.click("#export-leads")
    with page.expect_download() as download:
        page.click("#export-csv")
    target = tmp_path / "export.csv"
    download.value.save_as(target)
    rows = list(csv.reader(io.StringIO(target.read_bytes().decode("utf-8-sig"))))
    assert rows[0][1] == "שם"
    assert [r[1] for r in rows[1:]] == ["'=cmd|' /C calc'!A0"]
    assert rows[1][2:4] == ["054-123-4567", "+972541234567"]


def test_big_export_runs_in_the_background_with_progress(
    page: Page, server: LiveServer, tmp_path: Path
) -> None:
    tenant = make_tenant()
    with unit_of_work() as session:
        status = statuses.default_status(session, business_id=tenant.id)
        session.add_all(
            [
                Lead(
                    business_id=tenant.id,
                    name=f"ליד {i}",
                    phone_e164=f"+97250{i:07d}",
                    phone_digits=f"97250{i:07d}",
                    status_id=status.id,
                )  # type: ignore[arg-type]
                for i in range(1200)
            ]
        )
    _open_list(page, server, tenant)
    page.click("#export-leads")
    with page.expect_download(timeout=60_000) as download:
        page.click("#export-xlsx")
        expect(page.locator("#export-progress")).to_be_visible()
    target = tmp_path / "export.xlsx"
    download.value.save_as(target)
    sheet = openpyxl.load_workbook(target, read_only=True).active
    assert sheet is not None and sheet.max_row == 1201
    expect(page.locator("#export-download")).to_be_visible()
    with page.expect_download() as again:  # the link downloads the same file again
        page.click("#export-download")
    assert again.value.suggested_filename.endswith(".xlsx")


def test_agents_have_no_export_button(page: Page, server: LiveServer) -> None:
    tenant = make_tenant()
    make_lead(tenant)
    _open_list(page, server, tenant, "agent")
    expect(page.locator("[data-testid=lead-row]")).to_have_count(1)
    expect(page.locator("#export-leads")).to_have_count(0)
    response = page.request.get(f"{server.url}/api/v1/leads/export?format=csv")
    assert response.status == 403
