"""REST API v1 dashboard: tiles equal the API lists they link to; tenancy; bad ranges."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qsl, urlsplit

from starlette.testclient import TestClient

from crm_app.models import LeadSource, utcnow
from tests.api.conftest import headers_for
from tests.factories import make_call, make_lead, make_tenant

SAID = [{"speaker": "caller", "text": "hello", "start_ms": 0, "end_ms": 900}]


def _api_total(client: TestClient, href: str, headers: dict[str, str]) -> int:
    """The total of the API list that serves the page a tile links to."""
    parts = urlsplit(href)
    listed = client.get(
        f"/api/v1{parts.path}", params=dict(parse_qsl(parts.query)), headers=headers
    )
    assert listed.status_code == 200, (href, listed.text)
    return int(listed.json()["total"])


def test_the_dashboard_counts_what_its_lists_show(client: TestClient) -> None:
    tenant = make_tenant(locale="en")
    lead = make_lead(tenant, name="Dana Levi", source=LeadSource.PHONE_AI)
    now = utcnow()
    make_call(tenant, lead, transcript=SAID, duration_sec=100, started_at=now - timedelta(hours=1))
    make_call(tenant, lead, transcript=[], duration_sec=2, started_at=now - timedelta(hours=2))
    owner = headers_for(tenant)

    shown = client.get("/api/v1/dashboard", params={"range": "today"}, headers=owner)

    assert shown.status_code == 200, shown.text
    body = shown.json()
    assert body["from"] == body["to"] and body["timezone"] == "Asia/Jerusalem"
    tiles = {t["name"]: {p["key"]: p for p in t["parts"]} for t in body["tiles"]}
    assert all(t["error"] == "" for t in body["tiles"])
    calls = tiles["calls"]
    assert (calls["answered"]["value"], calls["missed"]["value"]) == (1, 1)
    assert calls["average_seconds"]["value"] == 100
    assert tiles["sources"]["phone_ai"]["value"] == 1
    for part in (calls["answered"], calls["missed"], tiles["sources"]["phone_ai"],
                 tiles["funnel"]["new"]):  # fmt: skip
        assert _api_total(client, part["href"], owner) == part["value"], part
    assert [m["lead_name"] for m in body["missed"]] == ["Dana Levi"]
    assert {a["kind"] for a in body["latest"]} == {"call", "lead"}


def test_a_custom_range_and_its_limits(client: TestClient) -> None:
    tenant = make_tenant()
    owner = headers_for(tenant, "agent")
    week = client.get(
        "/api/v1/dashboard", params={"from": "2026-11-01", "to": "2026-11-07"}, headers=owner
    )
    assert week.status_code == 200 and (week.json()["from"], week.json()["to"]) == (
        "2026-11-01",
        "2026-11-07",
    )
    per_day = next(t for t in week.json()["tiles"] if t["name"] == "per_day")
    assert [p["key"] for p in per_day["parts"]][0] == "2026-11-01" and len(per_day["parts"]) == 7
    inverted = client.get(
        "/api/v1/dashboard", params={"from": "2026-11-07", "to": "2026-11-01"}, headers=owner
    )
    assert inverted.status_code == 422 and inverted.json()["error"]["field"] == "to"
    too_long = client.get(
        "/api/v1/dashboard", params={"from": "2024-01-01", "to": "2026-11-01"}, headers=owner
    )
    assert too_long.status_code == 422


def test_another_business_and_no_credentials(client: TestClient) -> None:
    tenant = make_tenant()
    make_call(tenant, make_lead(tenant), transcript=SAID, started_at=utcnow())
    other = headers_for(make_tenant(name="עסק אחר"))
    theirs = client.get("/api/v1/dashboard", params={"range": "today"}, headers=other).json()
    calls = next(t for t in theirs["tiles"] if t["name"] == "calls")
    assert all(p["value"] == 0 for p in calls["parts"]) and theirs["latest"] == []
    assert client.get("/api/v1/dashboard").status_code == 401
