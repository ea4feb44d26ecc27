"""The lead page's state: status with reason, validated edits, previous/next."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest

from crm_app.db import unit_of_work
from crm_app.models import Lead
from crm_app.services import statuses
from crm_app.state.lead import LeadState
from tests.conftest import Database
from tests.factories import make_lead, make_tenant
from tests.state.conftest import session_cookie, state_for


async def test_previous_and_next_follow_the_list_the_agent_came_from(db: Database) -> None:
    tenant = make_tenant()
    a, b, c = (make_lead(tenant, name=n) for n in ("אבי כהן", "בני כהן", "גל לוי"))
    origin = urlencode({"from": urlencode({"sort": "name", "q": "כהן"})})
    state = await state_for(
        LeadState, path=f"/leads/{b.id}?{origin}", cookie=session_cookie(tenant.agent)
    )
    state.load()
    assert state.lead.name == "בני כהן"
    assert state.prev_href.startswith(f"/leads/{a.id}?from=")
    assert state.next_href == ""  # "גל לוי" is not in that search
    assert state.back_href == "/leads?sort=name&q=%D7%9B%D7%94%D7%9F"
    state = await state_for(
        LeadState, path=f"/leads/{b.id}?from=sort%3Dname", cookie=session_cookie(tenant.agent)
    )
    state.load()
    assert state.next_href.startswith(f"/leads/{c.id}") and state.back_href == "/leads?sort=name"


async def test_closed_status_asks_for_a_reason_then_records_it(db: Database) -> None:
    tenant = make_tenant()
    lead = make_lead(tenant)
    state = await state_for(
        LeadState, path=f"/leads/{lead.id}", cookie=session_cookie(tenant.agent)
    )
    state.load()
    with unit_of_work() as session:
        lost = statuses.status_by_key(session, business_id=tenant.id, key="lost")
    state.choose_status(str(lost.id))
    assert state.reason_open and state.lead.status == "חדש"
    state.set_reason("בחר במתחרה")
    state.confirm_status()
    assert not state.reason_open and state.lead.status == "אבד"
    assert state.timeline[0].kind == "status" and state.timeline[0].detail == "בחר במתחרה"


async def test_edit_shows_validation_errors_and_saves_valid_changes(db: Database) -> None:
    tenant = make_tenant()
    lead = make_lead(tenant, name="ישן")
    state = await state_for(
        LeadState, path=f"/leads/{lead.id}", cookie=session_cookie(tenant.agent)
    )
    state.load()
    form = {
        "name": "חדש",
        "phone": "123",
        "email": "",
        "city": "",
        "source": "manual",
        "owner": "none",
    }
    state.save_edit(form)
    assert state.edit_error == "מספר הטלפון אינו תקין."
    state.save_edit({**form, "phone": "0527654321", "owner": str(tenant.agent.id)})
    assert state.edit_error == "" and state.lead.name == "חדש" and state.lead.owner == "agent user"
    with unit_of_work() as session:
        saved = session.get(Lead, lead.id)
    assert saved is not None and saved.phone_e164 == "+972527654321"


async def test_a_lead_id_beyond_64_bits_in_the_url_is_not_found(db: Database) -> None:
    tenant = make_tenant()
    state = await state_for(
        LeadState, path="/leads/36893488147419103231", cookie=session_cookie(tenant.agent)
    )
    state.load()
    assert state.found is False


@pytest.mark.parametrize(
    ("query", "tab"), [("?tab=notes", "notes"), ("?tab=bogus", "activity"), ("", "activity")]
)
async def test_the_tab_in_the_address_opens_on_load(db: Database, query: str, tab: str) -> None:
    tenant = make_tenant()
    lead = make_lead(tenant)
    state = await state_for(
        LeadState, path=f"/leads/{lead.id}{query}", cookie=session_cookie(tenant.agent)
    )
    state.load()
    assert state.tab == tab


async def test_switching_to_an_unknown_tab_shows_activity(db: Database) -> None:
    tenant = make_tenant()
    lead = make_lead(tenant)
    state = await state_for(
        LeadState, path=f"/leads/{lead.id}", cookie=session_cookie(tenant.agent)
    )
    state.load()
    state.set_tab("calls")
    assert state.tab == "calls"
    state.set_tab("nonsense")
    assert state.tab == "activity"
