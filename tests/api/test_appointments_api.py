"""REST API v1 appointments, availability, calendars and feeds: booking rules, tenancy and roles."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from starlette.testclient import TestClient

from tests.api.conftest import headers_for
from tests.factories import Tenant, make_lead, make_tenant

ZONE = ZoneInfo("Asia/Jerusalem")


def workday(ahead: int = 2) -> date:
    """A Sunday-to-Thursday day at least ``ahead`` days from now (the default opening days)."""
    day = datetime.now(ZONE).date() + timedelta(days=ahead)
    while day.weekday() in (4, 5):  # Friday, Saturday
        day += timedelta(days=1)
    return day


def at(day: date, clock: str) -> str:
    return datetime.combine(day, time.fromisoformat(clock), tzinfo=ZONE).isoformat()


def book(client: TestClient, tenant: Tenant, starts_at: str, role: str = "agent", **more: object):  # type: ignore[no-untyped-def]
    lead = make_lead(tenant, name="דנה כהן")
    body = {"lead_id": lead.id, "starts_at": starts_at, **more}
    return client.post("/api/v1/appointments", json=body, headers=headers_for(tenant, role))


def test_booking_listing_moving_and_cancelling(client: TestClient) -> None:
    tenant = make_tenant()
    agent = headers_for(tenant, "agent")
    day = workday()
    made = book(client, tenant, at(day, "10:00"), title="בדיקה")
    assert made.status_code == 201, made.text
    appointment = made.json()
    assert appointment["status"] == "scheduled" and appointment["booked_by_id"] == tenant.agent.id
    again = book(client, tenant, at(day, "10:00"))
    assert again.status_code == 409 and again.json()["error"]["code"] == "conflict"
    outside = book(client, tenant, at(day, "20:00"))
    assert outside.status_code == 422 and outside.json()["error"]["field"] == "starts_at"

    listed = client.get(
        "/api/v1/appointments",
        params={"from": at(day, "00:00"), "to": at(day + timedelta(days=1), "00:00")},
        headers=agent,
    ).json()["items"]
    assert [(a["id"], a["lead_name"], a["title"]) for a in listed] == [
        (appointment["id"], "דנה כהן", "בדיקה")
    ]
    free = client.get(
        "/api/v1/availability",
        params={"from": day.isoformat(), "to": day.isoformat()},
        headers=agent,
    ).json()["slots"]
    starts = [datetime.fromisoformat(s["starts_at"]) for s in free]
    assert datetime.fromisoformat(at(day, "09:30")) in starts
    assert datetime.fromisoformat(at(day, "10:00")) not in starts

    moved = client.patch(
        f"/api/v1/appointments/{appointment['id']}",
        json={"starts_at": at(day, "11:30")},
        headers=agent,
    )
    assert moved.status_code == 200, moved.text
    assert datetime.fromisoformat(moved.json()["starts_at"]) == datetime.fromisoformat(
        at(day, "11:30")
    )
    confirmed = client.patch(
        f"/api/v1/appointments/{appointment['id']}", json={"status": "confirmed"}, headers=agent
    )
    assert confirmed.json()["status"] == "confirmed" and confirmed.json()["confirmed_at"]
    assert (
        client.delete(f"/api/v1/appointments/{appointment['id']}", headers=agent).status_code == 204
    )
    assert book(client, tenant, at(day, "11:30")).status_code == 201  # its time is free again


def test_an_appointment_downloads_as_an_ics_file(client: TestClient) -> None:
    tenant = make_tenant(name="Bright Smile", locale="en")
    made = book(client, tenant, at(workday(), "09:00"), title="Cleaning, 1st; visit").json()
    answer = client.get(f"/api/v1/appointments/{made['id']}.ics", headers=headers_for(tenant))
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/calendar")
    body = answer.text
    assert body.startswith("BEGIN:VCALENDAR\r\n") and body.endswith("END:VCALENDAR\r\n")
    start = datetime.fromisoformat(made["starts_at"]).astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    assert f"DTSTART:{start}\r\n" in body and "SUMMARY:Cleaning\\, 1st\\; visit" in body
    assert "STATUS:TENTATIVE" in body


def test_a_calendar_feed_lives_at_a_secret_url_until_it_is_rotated(client: TestClient) -> None:
    tenant = make_tenant()
    owner = headers_for(tenant)
    calendar = client.get("/api/v1/calendars", headers=owner).json()["items"][0]
    assert calendar["name"] == tenant.business.name and calendar["has_feed"] is False
    book(client, tenant, at(workday(), "12:00"), title="טיפול")
    first = client.post(f"/api/v1/calendars/{calendar['id']}/feed", headers=owner)
    assert first.status_code == 201
    url = first.json()["url"]
    assert url.startswith("https://crm.test/feeds/") and url.endswith(".ics")
    path = url.removeprefix("https://crm.test")
    feed = client.get(path)  # a calendar app: no cookie, no token
    assert feed.status_code == 200 and "SUMMARY:טיפול · דנה כהן" in feed.text
    second = client.post(f"/api/v1/calendars/{calendar['id']}/feed", headers=owner).json()["url"]
    assert client.get(path).status_code == 404
    assert client.get(second.removeprefix("https://crm.test")).status_code == 200
    assert client.get("/feeds/" + "x" * 43 + ".ics").status_code == 404


def test_calendars_and_types_are_set_up_by_owners_and_admins(client: TestClient) -> None:
    tenant = make_tenant()
    admin, agent = headers_for(tenant, "admin"), headers_for(tenant, "agent")
    room = {"name": "חדר 2", "hours": {"thu": [["08:00", "12:00"]]}}
    assert client.post("/api/v1/calendars", json=room, headers=agent).status_code == 403
    made = client.post("/api/v1/calendars", json=room, headers=admin)
    assert made.status_code == 201 and made.json()["hours"] == room["hours"]
    kind = client.post(
        "/api/v1/appointment-types", json={"name": "ניקוי", "minutes": 45}, headers=admin
    )
    assert kind.status_code == 201
    assert (
        client.post(
            "/api/v1/appointment-types", json={"name": "x", "minutes": 45}, headers=agent
        ).status_code
        == 403
    )
    types = client.get("/api/v1/appointment-types", headers=agent).json()["items"]
    assert [(t["name"], t["minutes"]) for t in types] == [("ניקוי", 45)]
    thursday = workday()
    while thursday.weekday() != 3:
        thursday += timedelta(days=1)
    booked = book(
        client,
        tenant,
        at(thursday, "08:00"),
        calendar_id=made.json()["id"],
        type_id=kind.json()["id"],
    )
    assert booked.status_code == 201, booked.text
    assert booked.json()["title"] == "ניקוי"
    length = datetime.fromisoformat(booked.json()["ends_at"]) - datetime.fromisoformat(
        booked.json()["starts_at"]
    )
    assert length == timedelta(minutes=45)
    bad_hours = {"name": "x", "hours": {"thu": [["12:00", "08:00"]]}}
    assert client.post("/api/v1/calendars", json=bad_hours, headers=admin).status_code == 422


def test_another_business_sees_none_of_it(client: TestClient) -> None:
    mine, theirs = make_tenant(), make_tenant(name="Other", locale="en")
    made = book(client, mine, at(workday(), "10:00")).json()
    calendar_id = made["calendar_id"]
    stranger = headers_for(theirs)
    for method, path, body in (
        ("patch", f"/api/v1/appointments/{made['id']}", {"status": "cancelled"}),
        ("delete", f"/api/v1/appointments/{made['id']}", None),
        ("get", f"/api/v1/appointments/{made['id']}.ics", None),
        ("patch", f"/api/v1/calendars/{calendar_id}", {"name": "mine now"}),
        ("post", f"/api/v1/calendars/{calendar_id}/feed", None),
    ):
        answer = client.request(method, path, json=body, headers=stranger)
        assert answer.status_code == 404, (method, path, answer.text)
    theirs_lead = make_lead(theirs)
    foreign_lead = client.post(
        "/api/v1/appointments",
        json={"lead_id": theirs_lead.id, "starts_at": at(workday(), "11:00")},
        headers=headers_for(mine),
    )
    assert foreign_lead.status_code == 404
    foreign_calendar = book(
        client, theirs, at(workday(), "11:00"), role="owner", calendar_id=calendar_id
    )
    assert foreign_calendar.status_code == 404
    listed = client.get(
        "/api/v1/appointments",
        params={
            "from": at(workday(), "00:00"),
            "to": at(workday(3), "23:00"),
            "calendar_id": calendar_id,
        },
        headers=stranger,
    )
    assert listed.status_code == 404
    assert (
        client.get(
            "/api/v1/appointments",
            params={"from": at(workday(), "00:00"), "to": at(workday(), "23:00")},
        ).status_code
        == 401
    )


def test_owners_choose_when_reminders_go_and_whether_customers_are_texted(
    client: TestClient,
) -> None:
    tenant = make_tenant()
    owner = headers_for(tenant)
    assert client.get("/api/v1/business", headers=owner).json()["reminder_minutes"] == [1440, 120]
    changed = client.patch(
        "/api/v1/business",
        json={"reminder_minutes": [60, 2880], "texts_customers": False},
        headers=owner,
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["reminder_minutes"] == [2880, 60]
    assert changed.json()["texts_customers"] is False
    too_soon = client.patch("/api/v1/business", json={"reminder_minutes": [5]}, headers=owner)
    assert too_soon.status_code == 422
    agent = client.patch(
        "/api/v1/business", json={"texts_customers": True}, headers=headers_for(tenant, "agent")
    )
    assert agent.status_code == 403
