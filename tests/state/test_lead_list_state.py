"""The list page's state: the URL is the source of truth; actions re-check the session."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from sqlmodel import select

from crm_app.db import unit_of_work
from crm_app.models import Lead
from crm_app.services import statuses
from crm_app.services.errors import DomainError
from crm_app.state.lead_actions import BulkState, NewLeadState
from crm_app.state.leads import LeadsState
from tests.conftest import Database
from tests.factories import make_lead, make_tenant
from tests.state.conftest import session_cookie, state_for


def _redirect_url(event: object) -> str:
    text = str(event)
    start = text.index("/leads")
    return text[start : text.index("'", start)] if "'" in text[start:] else text[start:]


async def test_url_filters_drive_the_query(db: Database) -> None:
    tenant = make_tenant()
    make_lead(tenant, name="דנה כהן", phone="054-1234567")
    make_lead(tenant, name="יוסי לוי")
    state = await state_for(
        LeadsState, path="/leads?q=054-123&sort=name", cookie=session_cookie(tenant.agent)
    )
    state.load()
    assert [r.name for r in state.rows] == ["דנה כהן"]
    assert state.q == "054-123" and state.sort == "name" and state.has_filters
    href = state.rows[0].href
    assert href.startswith(f"/leads/{state.rows[0].id}?from=")
    assert parse_qs(parse_qs(urlsplit(href).query)["from"][0]) == {
        "q": ["054-123"],
        "sort": ["name"],
    }


async def test_controls_change_the_url_not_the_rows(db: Database) -> None:
    tenant = make_tenant()
    state = await state_for(
        LeadsState, path="/leads?status=new", cookie=session_cookie(tenant.agent)
    )
    state.load()
    assert "status=new%2Cwon" in str(state.toggle_status("won"))
    assert "status=" not in str(state.toggle_status("new"))
    assert "sort=name" in str(state.sort_by("name"))
    state.sort = "name"
    assert "sort=-name" in str(state.sort_by("name"))
    assert "owner=me" in str(state.set_owner_filter("me"))


async def test_a_bad_url_shows_a_message_not_a_crash(db: Database) -> None:
    tenant = make_tenant()
    state = await state_for(
        LeadsState, path="/leads?sort=password_hash", cookie=session_cookie(tenant.agent)
    )
    state.load()
    assert state.rows == [] and state.error


async def test_bulk_status_needs_a_reason_for_closed_statuses(db: Database) -> None:
    tenant = make_tenant()
    ids = [make_lead(tenant).id or 0 for _ in range(2)]
    state = await state_for(BulkState, path="/leads", cookie=session_cookie(tenant.agent))
    state.load()
    state.selected = ids
    with unit_of_work() as session:
        lost = statuses.status_by_key(session, business_id=tenant.id, key="lost")
    state.choose_bulk_status(str(lost.id))
    assert state.bulk_needs_reason
    with pytest.raises(DomainError, match="reason"):  # shown as a toast by the app
        state.apply_bulk_status()
    with unit_of_work() as session:
        assert {
            lead.status_id
            for lead in session.exec(select(Lead).where(Lead.business_id == tenant.id))
        } != {lost.id}
    state.set_bulk_reason("לא רלוונטי")
    state.apply_bulk_status()
    with unit_of_work() as session:
        assert {
            lead.status_id
            for lead in session.exec(select(Lead).where(Lead.business_id == tenant.id))
        } == {lost.id}


async def test_new_lead_dialog_explains_bad_phones_and_links_duplicates(db: Database) -> None:
    tenant = make_tenant()
    existing = make_lead(tenant, phone="054-1234567")
    state = await state_for(NewLeadState, path="/leads", cookie=session_cookie(tenant.agent))
    state.load()
    state.create({"name": "x", "phone": "12", "source": "manual", "owner": "none"})
    assert state.form_error == "מספר הטלפון אינו תקין." and state.existing_href == ""
    state.create({"name": "x", "phone": "+972 54 123 4567", "source": "manual", "owner": "none"})
    assert state.existing_href == f"/leads/{existing.id}"
    event = state.create(
        {
            "name": "חדשה",
            "phone": "052-7654321",
            "source": "web_form",
            "owner": str(tenant.agent.id),
        }
    )
    assert "/leads/" in str(event) and state.form_error == ""
    with unit_of_work() as session:
        created = session.exec(
            select(Lead).where(Lead.name == "חדשה", Lead.business_id == tenant.id)
        ).one()
    assert created.owner_id == tenant.agent.id and created.source == "web_form"
