"""REST API v1 tasks, custom lead fields and alerts: create, filter, finish, read; tenancy."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from starlette.testclient import TestClient

from crm_app.db import unit_of_work
from crm_app.models import AlertKind
from crm_app.services import notifications
from tests.api.conftest import headers_for
from tests.factories import make_lead, make_tenant


def iso(delta: timedelta) -> str:
    return (datetime.now(UTC) + delta).isoformat()


def test_tasks_are_created_filtered_finished_and_snoozed(client: TestClient) -> None:
    tenant = make_tenant()
    agent = headers_for(tenant, "agent")
    lead = make_lead(tenant)
    made = client.post(
        "/api/v1/tasks",
        json={
            "title": "  Send   the quote ",
            "due_at": iso(timedelta(hours=2)),
            "lead_id": lead.id,
        },
        headers=agent,
    )
    assert made.status_code == 201, made.text
    task = made.json()
    assert task["title"] == "Send the quote" and task["state"] == "open"
    assert task["assignee_id"] == tenant.agent.id and task["kind"] == "manual"
    client.post(
        "/api/v1/tasks",
        json={"title": "Later", "due_at": iso(timedelta(days=3)), "assignee_id": tenant.owner.id},
        headers=agent,
    )

    mine = client.get("/api/v1/tasks", params={"assignee": "me"}, headers=agent).json()
    assert [t["title"] for t in mine["items"]] == ["Send the quote"]
    by_lead = client.get("/api/v1/tasks", params={"lead_id": lead.id}, headers=agent).json()
    assert [t["id"] for t in by_lead["items"]] == [task["id"]]
    soon = client.get(
        "/api/v1/tasks", params={"due_to": iso(timedelta(days=1))}, headers=agent
    ).json()
    assert [t["title"] for t in soon["items"]] == ["Send the quote"]

    snooze = client.patch(f"/api/v1/tasks/{task['id']}", json={"state": "snoozed"}, headers=agent)
    assert snooze.status_code == 422  # snoozing needs the new due time
    later = iso(timedelta(days=1))
    snoozed = client.patch(
        f"/api/v1/tasks/{task['id']}", json={"state": "snoozed", "due_at": later}, headers=agent
    ).json()
    assert snoozed["state"] == "snoozed" and snoozed["due_at"][:16] == later[:16]
    done = client.patch(f"/api/v1/tasks/{task['id']}", json={"state": "done"}, headers=agent)
    assert done.json()["state"] == "done" and done.json()["done_at"]
    unfinished = client.get(
        "/api/v1/tasks", params={"state": "unfinished", "assignee": "me"}, headers=agent
    ).json()
    assert unfinished["items"] == []


def test_another_businesss_tasks_leads_and_users_are_not_found(client: TestClient) -> None:
    ours, theirs = make_tenant(), make_tenant(name="עסק אחר")
    auth = headers_for(ours, "agent")
    foreign = client.post(
        "/api/v1/tasks", json={"title": "x", "due_at": iso(timedelta(hours=1))},
        headers=headers_for(theirs, "agent"),
    ).json()  # fmt: skip

    assert client.patch(f"/api/v1/tasks/{foreign['id']}", json={"state": "done"},
                        headers=auth).status_code == 404  # fmt: skip
    assert client.get("/api/v1/tasks", headers=auth).json()["items"] == []
    their_lead = make_lead(theirs)
    for body in ({"lead_id": their_lead.id}, {"assignee_id": theirs.agent.id}):
        answer = client.post(
            "/api/v1/tasks", json={"title": "x", "due_at": iso(timedelta(hours=1)), **body},
            headers=auth,
        )  # fmt: skip
        assert answer.status_code == 404, answer.text
        assert answer.json()["error"]["code"] == "not_found"
    naive = client.post("/api/v1/tasks", json={"title": "x", "due_at": "2026-12-03T10:00:00"},
                        headers=auth)  # fmt: skip
    assert naive.status_code == 422


def test_custom_fields_are_defined_by_admins_and_carried_by_leads(client: TestClient) -> None:
    tenant = make_tenant()
    owner, agent = headers_for(tenant, "owner"), headers_for(tenant, "agent")
    refused = client.post("/api/v1/fields", json={"label_en": "Branch"}, headers=agent)
    assert refused.status_code == 403
    branch = client.post(
        "/api/v1/fields",
        json={"label_en": "Branch", "label_he": "סניף", "kind": "choice",
              "choices": ["North", "South"]},
        headers=owner,
    )  # fmt: skip
    assert branch.status_code == 201, branch.text
    assert branch.json()["key"] == "x-branch"
    visits = client.post(
        "/api/v1/fields", json={"label_en": "Visits", "kind": "number"}, headers=owner
    ).json()
    no_choices = client.post("/api/v1/fields", json={"label_en": "X", "kind": "choice"},
                             headers=owner)  # fmt: skip
    assert no_choices.status_code == 422
    listed = client.get("/api/v1/fields", headers=agent).json()
    assert [f["key"] for f in listed] == ["x-branch", visits["key"]]

    north, south = make_lead(tenant, name="צפון"), make_lead(tenant, name="דרום")
    patched = client.patch(
        f"/api/v1/leads/{north.id}",
        json={"custom_fields": {"x-branch": "North", visits["key"]: "3"}, "reason": "הצעת מחיר"},
        headers=agent,
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["custom_fields"] == {"x-branch": "North", visits["key"]: 3}
    assert patched.json()["reason"] == "הצעת מחיר"
    client.patch(f"/api/v1/leads/{south.id}", json={"custom_fields": {"x-branch": "South"}},
                 headers=agent)  # fmt: skip
    for bad, status in (
        ({"x-branch": "East"}, 422),
        ({visits["key"]: "many"}, 422),
        ({"x-nothing": "1"}, 404),
    ):  # no such field: as an unknown id is
        answer = client.patch(f"/api/v1/leads/{north.id}", json={"custom_fields": bad},
                              headers=agent)  # fmt: skip
        assert answer.status_code == status, bad
    assert client.get(f"/api/v1/leads/{north.id}", headers=agent).json()["custom_fields"] == {
        "x-branch": "North", visits["key"]: 3,
    }  # fmt: skip
    filtered = client.get("/api/v1/leads", params={"f.x-branch": "North"}, headers=agent).json()
    assert [i["name"] for i in filtered["items"]] == ["צפון"]
    cleared = client.patch(f"/api/v1/leads/{north.id}", json={"custom_fields": {"x-branch": None}},
                           headers=agent).json()  # fmt: skip
    assert cleared["custom_fields"] == {visits["key"]: 3}


def test_alerts_are_listed_for_their_user_only_and_marked_read(client: TestClient) -> None:
    tenant = make_tenant()
    agent, owner = headers_for(tenant, "agent"), headers_for(tenant, "owner")
    lead = make_lead(tenant, name="דנה")
    with unit_of_work() as session:
        made = notifications.notify(
            session,
            business_id=tenant.id,
            user_ids={tenant.agent.id or 0},
            kind=AlertKind.ASSIGNED,
            data=notifications.about_lead(lead),
        )
        alert_id = made[0].id

    mine = client.get("/api/v1/notifications", headers=agent).json()
    assert mine["unread"] == 1
    assert [(i["kind"], i["title"], i["href"]) for i in mine["items"]] == [
        ("assigned", "ליד הועבר אליך: דנה", f"/leads/{lead.id}")
    ]
    assert client.get("/api/v1/notifications", headers=owner).json() == {"unread": 0, "items": []}
    taken = client.post("/api/v1/notifications/read", json={"ids": [alert_id]}, headers=owner)
    assert taken.json() == {"marked": 0}  # not the owner's alert
    assert client.get("/api/v1/notifications", headers=agent).json()["unread"] == 1
    read = client.post("/api/v1/notifications/read", json={}, headers=agent)
    assert read.json() == {"marked": 1}
    after = client.get("/api/v1/notifications", headers=agent).json()
    assert after["unread"] == 0 and after["items"][0]["read_at"]
