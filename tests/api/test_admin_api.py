"""The API for running the business: business, agent, users, tokens, audit (owners and admins)."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from crm_app.db import unit_of_work
from crm_app.models import Business, Role
from crm_app.services import api_tokens, auth
from tests.api.conftest import headers_for
from tests.factories import make_tenant, unique_email

READS = ["/api/v1/business", "/api/v1/agent", "/api/v1/agent/revisions", "/api/v1/users"]
READS += ["/api/v1/tokens", "/api/v1/audit"]


@pytest.mark.parametrize("path", READS)
def test_agents_are_refused_every_admin_read(client: TestClient, path: str) -> None:
    tenant = make_tenant()
    assert client.get(path, headers=headers_for(tenant, "agent")).status_code == 403
    assert client.get(path).status_code == 401
    assert client.get(path, headers=headers_for(tenant, "admin")).status_code == 200


def test_agents_are_refused_every_admin_write(client: TestClient) -> None:
    tenant = make_tenant()
    agent = headers_for(tenant, "agent")
    admin_id = tenant.admin.id
    for method, path, body in (
        ("PATCH", "/api/v1/business", {"name": "x"}),
        ("PUT", "/api/v1/agent", {"greeting": "hi"}),
        ("POST", "/api/v1/agent/revisions/1/restore", None),
        ("POST", "/api/v1/users", {"email": unique_email()}),
        ("PATCH", f"/api/v1/users/{admin_id}", {"active": False}),
        ("POST", "/api/v1/tokens", {"name": "mine"}),
    ):
        answer = client.request(method, path, json=body, headers=agent)
        assert answer.status_code == 403, (method, path, answer.text)
        assert answer.json()["error"]["code"] == "forbidden"


def test_another_businesses_users_and_tokens_are_not_found(client: TestClient) -> None:
    mine, theirs = make_tenant(), make_tenant()
    with unit_of_work() as session:
        token, _ = api_tokens.create_token(
            session, principal=theirs.principal(Role.OWNER), name="theirs"
        )
    owner = headers_for(mine)
    patched = client.patch(
        f"/api/v1/users/{theirs.agent.id}", json={"active": False}, headers=owner
    )
    assert patched.status_code == 404
    assert client.delete(f"/api/v1/tokens/{token.id}", headers=owner).status_code == 404
    assert client.patch(
        "/api/v1/users/99999999999999999999", json={}, headers=owner
    ).status_code in (
        404,
        422,
    )
    listed = client.get("/api/v1/users", headers=owner).json()
    assert {u["email"] for u in listed} == {mine.owner.email, mine.admin.email, mine.agent.email}


def test_the_business_is_read_and_changed(client: TestClient) -> None:
    tenant = make_tenant()
    owner = headers_for(tenant)
    changed = client.patch(
        "/api/v1/business",
        json={
            "hours": {"sun": [["09:00", "13:00"], ["15:00", "19:00"]]},
            "closed_dates": ["2027-04-22"],
        },
        headers=owner,
    )
    assert changed.status_code == 200, changed.text
    body = client.get("/api/v1/business", headers=owner).json()
    assert body["hours"] == {"sun": [["09:00", "13:00"], ["15:00", "19:00"]]}
    assert body["closed_dates"] == ["2027-04-22"]
    assert body["webhooks"] == {
        "voice": "https://crm.test/twilio/voice",
        "status": "https://crm.test/twilio/status",
        "sms": "https://crm.test/twilio/sms",
    }
    bad = client.patch(
        "/api/v1/business", json={"hours": {"sun": [["13:00", "09:00"]]}}, headers=owner
    )
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "hours"


def test_the_follow_ups_of_unowned_leads_go_to_a_chosen_active_member(
    client: TestClient,
) -> None:
    mine, theirs = make_tenant(), make_tenant()
    owner = headers_for(mine)
    chosen = client.patch(
        "/api/v1/business", json={"default_assignee_id": mine.agent.id}, headers=owner
    )
    assert chosen.status_code == 200 and chosen.json()["default_assignee_id"] == mine.agent.id
    assert client.get("/api/v1/business", headers=owner).json()["default_assignee_id"] == (
        mine.agent.id
    )
    kept = client.patch("/api/v1/business", json={"name": "שם אחר"}, headers=owner)
    assert kept.json()["default_assignee_id"] == mine.agent.id  # absent: left alone

    foreign = client.patch(
        "/api/v1/business", json={"default_assignee_id": theirs.agent.id}, headers=owner
    )
    assert foreign.status_code == 404 and str(theirs.agent.id) not in foreign.text
    client.patch(f"/api/v1/users/{mine.admin.id}", json={"active": False}, headers=owner)
    inactive = client.patch(
        "/api/v1/business", json={"default_assignee_id": mine.admin.id}, headers=owner
    )
    assert inactive.status_code == 422
    assert inactive.json()["error"]["field"] == "default_assignee_id"
    assert client.get("/api/v1/business", headers=owner).json()["default_assignee_id"] == (
        mine.agent.id
    )

    cleared = client.patch("/api/v1/business", json={"default_assignee_id": None}, headers=owner)
    assert cleared.json()["default_assignee_id"] is None


def test_the_agent_is_saved_as_revisions_and_one_is_restored(client: TestClient) -> None:
    tenant = make_tenant()
    admin = headers_for(tenant, "admin")
    first = client.put("/api/v1/agent", json={"greeting": "שלום", "voice": "cedar"}, headers=admin)
    assert first.status_code == 200 and first.json()["revision"] == 2
    second = client.put("/api/v1/agent", json={"greeting": "היי"}, headers=admin)
    assert second.json()["revision"] == 3
    assert client.put("/api/v1/agent", json={"voice": "robot"}, headers=admin).status_code == 422
    revisions = client.get("/api/v1/agent/revisions", headers=admin).json()
    assert [r["number"] for r in revisions] == [3, 2, 1]
    assert {c["field"] for c in revisions[0]["changes"]} == {"greeting", "voice"}
    restored = client.post("/api/v1/agent/revisions/2/restore", headers=admin)
    assert restored.json()["revision"] == 4 and restored.json()["settings"]["voice"] == "cedar"
    assert client.post("/api/v1/agent/revisions/77/restore", headers=admin).status_code == 404
    current = client.get("/api/v1/agent", headers=admin).json()
    assert current["revision"] == 4 and current["settings"]["greeting"] == "שלום"


def test_users_are_invited_changed_and_deactivated(client: TestClient) -> None:
    tenant = make_tenant()
    owner = headers_for(tenant)
    email = unique_email("new")
    invited = client.post("/api/v1/users", json={"email": email, "name": "דנה"}, headers=owner)
    assert invited.status_code == 201, invited.text
    body = invited.json()
    assert body["link"].startswith("https://crm.test/password?token=")
    assert body["user"]["role"] == "agent" and body["user"]["email"] == email
    again = client.post("/api/v1/users", json={"email": email}, headers=owner)
    assert again.status_code == 409
    user_id = body["user"]["id"]
    assert (
        client.patch(f"/api/v1/users/{user_id}", json={"role": "admin"}, headers=owner).json()[
            "role"
        ]
        == "admin"
    )
    last_owner = client.patch(
        f"/api/v1/users/{tenant.owner.id}", json={"role": "agent"}, headers=owner
    )
    assert last_owner.status_code == 422
    agent_token = headers_for(tenant, "agent")
    off = client.patch(f"/api/v1/users/{tenant.agent.id}", json={"active": False}, headers=owner)
    assert off.status_code == 200 and off.json()["active"] is False
    assert client.get("/api/v1/me", headers=agent_token).status_code == 401  # at its next request


def test_tokens_are_shown_once_listed_and_revoked(client: TestClient) -> None:
    tenant = make_tenant()
    admin = headers_for(tenant, "admin")
    made = client.post("/api/v1/tokens", json={"name": "zapier"}, headers=admin)
    assert made.status_code == 201
    secret, info = made.json()["token"], made.json()["info"]
    assert secret.startswith(auth.TOKEN_PREFIX) and info["prefix"] == secret[: len(info["prefix"])]
    own = {"Authorization": f"Bearer {secret}"}
    assert client.get("/api/v1/me", headers=own).status_code == 200
    listed = client.get("/api/v1/tokens", headers=admin).json()
    assert secret not in str(listed) and "zapier" in [t["name"] for t in listed]
    assert client.delete(f"/api/v1/tokens/{info['id']}", headers=admin).status_code == 204
    assert client.delete(f"/api/v1/tokens/{info['id']}", headers=admin).status_code == 404
    assert client.get("/api/v1/me", headers=own).status_code == 401


def test_the_audit_log_lists_and_filters_what_happened(client: TestClient) -> None:
    tenant = make_tenant()
    owner = headers_for(tenant)
    client.patch("/api/v1/business", json={"name": "חדש"}, headers=owner)
    client.post("/api/v1/tokens", json={"name": "bot"}, headers=owner)
    everything = client.get("/api/v1/audit", headers=owner).json()
    assert [e["action"] for e in everything["items"]][:2] == ["token.create", "business.update"]
    assert everything["items"][0]["actor"] == "owner user"
    tokens = client.get("/api/v1/audit", params={"action": "token"}, headers=owner).json()
    assert [e["action"] for e in tokens["items"]] == ["token.create"]
    page = client.get("/api/v1/audit", params={"limit": 1}, headers=owner).json()
    assert page["next_cursor"]
    rest = client.get("/api/v1/audit", params={"cursor": page["next_cursor"]}, headers=owner).json()
    assert rest["items"][0]["action"] == "business.update"
    assert client.get("/api/v1/audit", params={"cursor": "junk"}, headers=owner).status_code == 422
    with unit_of_work() as session:
        assert session.get(Business, tenant.id).name == "חדש"  # type: ignore[union-attr]
