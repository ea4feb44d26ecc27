"""REST API v1 leads: list, create, read, edit, status, export; auth and tenancy."""

from __future__ import annotations

import csv
import io
import time

import pytest
from sqlmodel import select
from starlette.testclient import TestClient

from crm_app.db import unit_of_work
from crm_app.models import AuditEvent, LeadStatusChange
from tests.api.conftest import headers_for, login
from tests.factories import make_lead, make_tenant


def test_list_searches_filters_and_pages(client: TestClient) -> None:
    tenant = make_tenant()
    auth = headers_for(tenant, "agent")
    for i in range(7):
        make_lead(tenant, name=f"כהן {i}")
    make_lead(tenant, name="לוי", phone="054-1234567")
    first = client.get("/api/v1/leads", params={"q": "כהן", "limit": 5}, headers=auth).json()
    assert first["total"] == 7 and first["total_exact"] and len(first["items"]) == 5
    second = client.get(
        "/api/v1/leads",
        params={"q": "כהן", "limit": 5, "cursor": first["next_cursor"]},
        headers=auth,
    ).json()
    assert len(second["items"]) == 2 and second["next_cursor"] is None
    assert not {i["id"] for i in first["items"]} & {i["id"] for i in second["items"]}
    by_phone = client.get("/api/v1/leads", params={"q": "972 54 123 4567"}, headers=auth).json()
    assert [i["name"] for i in by_phone["items"]] == ["לוי"]
    assert by_phone["items"][0]["phone"] == "+972541234567"
    assert by_phone["items"][0]["status"]["key"] == "new"


def test_bad_filters_are_a_422_json_error(client: TestClient) -> None:
    auth = headers_for(make_tenant())
    response = client.get("/api/v1/leads", params={"sort": "password_hash"}, headers=auth)
    assert response.status_code == 422 and response.json()["error"]["field"] == "sort"
    response = client.get("/api/v1/leads", params={"cursor": "garbage!"}, headers=auth)
    assert response.status_code == 422 and response.json()["error"]["field"] == "cursor"


def test_create_validates_the_phone_and_reports_duplicates(client: TestClient) -> None:
    tenant = make_tenant()
    auth = headers_for(tenant)
    created = client.post(
        "/api/v1/leads", json={"phone": "054-1234567", "name": "דנה"}, headers=auth
    )
    assert created.status_code == 201 and created.json()["phone"] == "+972541234567"
    duplicate = client.post("/api/v1/leads", json={"phone": "+972541234567"}, headers=auth)
    assert duplicate.status_code == 409
    assert duplicate.json()["error"]["existing_id"] == created.json()["id"]
    invalid = client.post("/api/v1/leads", json={"phone": "12"}, headers=auth)
    assert invalid.status_code == 422 and invalid.json()["error"]["field"] == "phone"


def test_patch_and_status_change(client: TestClient) -> None:
    tenant = make_tenant()
    auth = headers_for(tenant, "agent")
    lead = make_lead(tenant)
    patched = client.patch(
        f"/api/v1/leads/{lead.id}", json={"name": "חדש", "owner_id": tenant.agent.id}, headers=auth
    )
    assert patched.status_code == 200 and patched.json()["owner"]["id"] == tenant.agent.id
    unassigned = client.patch(f"/api/v1/leads/{lead.id}", json={"owner_id": None}, headers=auth)
    assert unassigned.json()["owner"] is None and unassigned.json()["name"] == "חדש"
    no_reason = client.post(
        f"/api/v1/leads/{lead.id}/status", json={"status": "lost"}, headers=auth
    )
    assert no_reason.status_code == 422 and no_reason.json()["error"]["field"] == "reason"
    lost = client.post(
        f"/api/v1/leads/{lead.id}/status", json={"status": "lost", "reason": "מחיר"}, headers=auth
    )
    assert lost.status_code == 200 and lost.json()["status"] == {
        "key": "lost",
        "label_he": "אבד",
        "label_en": "Lost",
        "color": "red",
        "is_closed": True,
    }
    with unit_of_work() as session:
        change = session.exec(
            select(LeadStatusChange).where(LeadStatusChange.lead_id == lead.id)
        ).one()
        assert change.reason == "מחיר" and change.changed_by_id == tenant.agent.id


@pytest.mark.parametrize(
    "method,path,body",
    [
        ("get", "/api/v1/leads/{id}", None),
        ("patch", "/api/v1/leads/{id}", {"name": "x"}),
        ("post", "/api/v1/leads/{id}/status", {"status": "contacted"}),
    ],
)
def test_another_business_lead_is_404(
    client: TestClient, method: str, path: str, body: dict | None
) -> None:
    mine, theirs = make_tenant(), make_tenant()
    foreign = make_lead(theirs, name="סוד")
    response = getattr(client, method)(
        path.format(id=foreign.id), headers=headers_for(mine), **({"json": body} if body else {})
    )
    assert response.status_code == 404
    assert "סוד" not in response.text


@pytest.mark.parametrize(
    "method,path",
    [
        ("get", "/api/v1/leads"),
        ("post", "/api/v1/leads"),
        ("get", "/api/v1/leads/1"),
        ("patch", "/api/v1/leads/1"),
        ("post", "/api/v1/leads/1/status"),
        ("get", "/api/v1/leads/export"),
        ("post", "/api/v1/exports"),
        ("get", "/api/v1/exports/1"),
        ("get", "/api/v1/exports/1/file"),
    ],
)
def test_every_lead_route_needs_credentials(client: TestClient, method: str, path: str) -> None:
    response = getattr(client, method)(path)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthenticated"


def test_export_streams_csv_with_the_lists_filters(client: TestClient) -> None:
    tenant = make_tenant()
    make_lead(tenant, name="כהן", phone="054-1234567")
    make_lead(tenant, name="לוי")
    response = client.get(
        "/api/v1/leads/export",
        params={"format": "csv", "q": "כהן"},
        headers=headers_for(tenant, "admin"),
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "filename*=UTF-8''leads-" in response.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [r[1] for r in rows[1:]] == ["כהן"]
    assert rows[1][2:4] == ["054-123-4567", "+972541234567"]


def test_export_xlsx_is_the_default(client: TestClient) -> None:
    tenant = make_tenant()
    make_lead(tenant)
    response = client.get("/api/v1/leads/export", headers=headers_for(tenant))
    assert response.status_code == 200 and response.content.startswith(b"PK")
    assert "spreadsheetml" in response.headers["content-type"]


def test_agents_cannot_export(client: TestClient) -> None:
    tenant = make_tenant()
    response = client.get("/api/v1/leads/export", headers=headers_for(tenant, "agent"))
    assert response.status_code == 403 and response.json()["error"]["code"] == "forbidden"
    response = client.post("/api/v1/exports", json={}, headers=headers_for(tenant, "agent"))
    assert response.status_code == 403


def test_background_export_reports_progress_and_serves_its_file(client: TestClient) -> None:
    tenant = make_tenant()
    for i in range(3):
        make_lead(tenant, name=f"lead {i}")
    auth = headers_for(tenant, "admin")
    started = client.post(
        "/api/v1/exports", json={"format": "csv", "filters": {"sort": "name"}}, headers=auth
    )
    assert started.status_code == 202
    job = started.json()
    deadline = time.monotonic() + 30  # the export runs in a thread of its own
    while job["status"] == "running" and time.monotonic() < deadline:
        time.sleep(0.05)
        job = client.get(f"/api/v1/exports/{job['id']}", headers=auth).json()
    assert job["status"] == "done" and job["done_rows"] == 3
    file = client.get(job["download_url"], headers=auth)
    rows = list(csv.reader(io.StringIO(file.content.decode("utf-8-sig"))))
    assert [r[1] for r in rows[1:]] == ["lead 0", "lead 1", "lead 2"]
    other = make_tenant()
    assert client.get(job["download_url"], headers=headers_for(other)).status_code == 404
    with unit_of_work() as session:
        assert session.exec(
            select(AuditEvent).where(
                AuditEvent.business_id == tenant.id, AuditEvent.action == "lead.export"
            )
        ).one()


def test_cookie_session_works_for_the_api_and_refuses_cross_site_writes(client: TestClient) -> None:
    tenant = make_tenant()
    login(client, tenant.agent)
    assert client.get("/api/v1/leads").status_code == 200
    response = client.post(
        "/api/v1/leads", json={"phone": "0521234567"}, headers={"Origin": "https://evil.example"}
    )
    assert response.status_code == 403
    assert (
        client.post(
            "/api/v1/leads", json={"phone": "0521234567"}, headers={"Origin": "https://crm.test"}
        ).status_code
        == 201
    )
