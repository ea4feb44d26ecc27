"""A customer's text at ``POST /twilio/sms``: signed, idempotent; 1/כן confirms, 2/לא cancels."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlmodel import col, select
from starlette.testclient import TestClient

from crm_app.api.server import create_backend
from crm_app.db import unit_of_work
from crm_app.models import Appointment, Lead, Role, TextMessage, utcnow
from crm_app.services import notifications, timeline
from crm_app.services.text_replies import meaning
from crm_app.settings import reload_settings
from tests.conftest import Database
from tests.factories import Tenant, make_appointment, make_lead, make_tenant
from voice_bridge.security import sign_request

PUBLIC = "https://crm.test"
TOKEN = secrets.token_hex(16)


@pytest.fixture
def client(db: Database, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", TOKEN)
    monkeypatch.setenv("PUBLIC_BASE_URL", PUBLIC)
    reload_settings()
    with TestClient(create_backend(), base_url=PUBLIC) as c:
        yield c


def text(client: TestClient, tenant: Tenant, lead: Lead, body: str, sid: str = "") -> str:
    """Twilio delivers the customer's text; the TwiML answer."""
    form = {
        "MessageSid": sid or "SM" + secrets.token_hex(16),
        "AccountSid": "AC" + secrets.token_hex(16),
        "From": lead.phone_e164,
        "To": tenant.business.phone_number,
        "Body": body,
        "NumMedia": "0",
    }
    signature = sign_request(TOKEN, f"{PUBLIC}/twilio/sms", form)
    answer = client.post("/twilio/sms", data=form, headers={"X-Twilio-Signature": signature})
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("application/xml")
    return answer.text


def status_of(appointment: Appointment) -> str:
    with unit_of_work() as session:
        found = session.get(Appointment, appointment.id)
        assert found is not None
        return found.status


def upcoming(tenant: Tenant, lead: Lead, days: int = 2) -> Appointment:
    return make_appointment(tenant, lead, utcnow() + timedelta(days=days))


@pytest.mark.parametrize(
    ("body", "kind"),
    [("1", "confirmed"), (" כן ", "confirmed"), ("Yes!", "confirmed"), ("2", "cancelled"),
     ("לא.", "cancelled"), ("NO", "cancelled"), ("maybe", "unknown"), ("12", "unknown")],
)  # fmt: skip
def test_replies_are_read_in_both_languages(body: str, kind: str) -> None:
    assert meaning(body).value == kind


def test_a_reply_of_1_confirms_and_lands_on_the_timeline(client: TestClient) -> None:
    tenant = make_tenant(name="מרפאה")
    lead = make_lead(tenant, name="דנה")
    later, soon = upcoming(tenant, lead, days=5), upcoming(tenant, lead, days=1)
    answer = text(client, tenant, lead, "1")
    assert "<Message>מרפאה: תודה! התור שלך" in answer and "אושר" in answer
    assert status_of(soon) == "confirmed" and status_of(later) == "scheduled"
    with unit_of_work() as session:
        items = timeline.lead_timeline(
            session, principal=tenant.principal(Role.AGENT), lead_id=lead.id or 0
        )
    kinds = [
        (i.kind, i.data.get("direction"), i.data.get("body")) for i in items if i.kind == "text"
    ]
    assert ("text", "in", "1") in kinds
    assert any(direction == "out" and "אושר" in body for _, direction, body in kinds)


def test_a_reply_of_no_cancels_in_english_and_frees_the_time(client: TestClient) -> None:
    tenant = make_tenant(name="Bright Smile", locale="en")
    lead = make_lead(tenant, name="Dana")
    appointment = upcoming(tenant, lead)
    answer = text(client, tenant, lead, "no")
    assert "Bright Smile: your appointment on" in answer and "is cancelled" in answer
    assert status_of(appointment) == "cancelled"
    make_appointment(tenant, None, appointment.starts_at)  # the time is free again
    with unit_of_work() as session:  # nobody owns the lead: the owners and admins hear of it
        told = notifications.bell(session, user_id=tenant.admin.id or 0).items
    assert [(n.kind, n.data["name"]) for n in told] == [("cancelled_by_text", "Dana")]


def test_an_unknown_reply_changes_nothing_and_says_how_to_answer(client: TestClient) -> None:
    tenant = make_tenant(name="Bright Smile", locale="en")
    lead = make_lead(tenant)
    appointment = upcoming(tenant, lead)
    answer = text(client, tenant, lead, "what time was it?")
    assert "reply 1 to confirm or 2 to cancel" in answer
    assert status_of(appointment) == "scheduled"
    nothing_booked = make_lead(tenant)
    assert "we found no upcoming appointment" in text(client, tenant, nothing_booked, "1")


def test_twilio_delivering_a_text_twice_acts_once(client: TestClient) -> None:
    tenant = make_tenant()
    lead = make_lead(tenant)
    first, second = upcoming(tenant, lead, days=1), upcoming(tenant, lead, days=3)
    sid = "SM" + secrets.token_hex(16)
    assert text(client, tenant, lead, "2", sid) == text(client, tenant, lead, "2", sid)
    assert status_of(first) == "cancelled" and status_of(second) == "scheduled"
    with unit_of_work() as session:
        kept = len(
            session.exec(select(TextMessage).where(col(TextMessage.key) == f"in:{sid}")).all()
        )
    assert kept == 1


def test_unsigned_or_foreign_texts_are_refused(client: TestClient) -> None:
    tenant = make_tenant()
    lead = make_lead(tenant)
    appointment = upcoming(tenant, lead)
    form = {
        "MessageSid": "SM" + secrets.token_hex(16),
        "From": lead.phone_e164,
        "To": tenant.business.phone_number,
        "Body": "2",
    }
    assert client.post("/twilio/sms", data=form).status_code == 403
    forged = sign_request("not-the-token", f"{PUBLIC}/twilio/sms", form)
    answer = client.post("/twilio/sms", data=form, headers={"X-Twilio-Signature": forged})
    assert answer.status_code == 403
    # A text to a number that is no business's: nobody's appointment changes.
    other = {**form, "To": "+12025550123"}
    signed = sign_request(TOKEN, f"{PUBLIC}/twilio/sms", other)
    answer = client.post("/twilio/sms", data=other, headers={"X-Twilio-Signature": signed})
    assert answer.status_code == 200 and "<Message>" not in answer.text
    assert status_of(appointment) == "scheduled"


def test_a_customer_of_one_business_cannot_touch_anothers_appointment(client: TestClient) -> None:
    mine, theirs = make_tenant(), make_tenant(name="אחר")
    lead = make_lead(mine)
    their_lead = make_lead(theirs, phone=lead.phone_e164)  # the same person, two businesses
    appointment = upcoming(theirs, their_lead)
    text(client, mine, lead, "2")
    assert status_of(appointment) == "scheduled"
