"""Page states read the session from the socket's cookie and scope data to its business."""

from __future__ import annotations

from reflex.state import StateUpdate
from sqlmodel import select

from crm_app.db import unit_of_work
from crm_app.models import User
from crm_app.state.lead import LeadState
from crm_app.state.leads import PAGE_SIZE, LeadsState
from crm_app.state.session import SessionState
from tests.conftest import Database
from tests.factories import make_lead, make_tenant
from tests.state.conftest import guarded, session_cookie, state_for


def _redirect_target(update: StateUpdate | None) -> str:
    assert update is not None, "the guard let the event through"
    return str(update.events)


async def test_signed_out_visitor_is_sent_to_login_with_next(db: Database) -> None:
    state = await state_for(LeadsState, path="/leads")
    update = await guarded(state, "load")
    assert "/login?next=/leads" in _redirect_target(update)
    assert state.rows == [] and not state.signed_in


async def test_a_forged_cookie_is_a_signed_out_visitor(db: Database) -> None:
    state = await state_for(LeadsState, path="/leads", cookie="crm_session=forged-value")
    assert "/login" in _redirect_target(await guarded(state, "load"))


async def test_lead_list_shows_only_the_users_business(db: Database) -> None:
    mine, theirs = make_tenant(), make_tenant()
    make_lead(mine, name="שלי")
    make_lead(theirs, name="של אחרים")
    state = await state_for(LeadsState, path="/leads", cookie=session_cookie(mine.agent))
    state.load()
    assert state.signed_in and state.role == "agent"
    assert [r.name for r in state.rows] == ["שלי"]
    assert state.rows[0].status == "חדש"


async def test_lead_list_is_limited_to_one_page(db: Database) -> None:
    tenant = make_tenant()
    for i in range(PAGE_SIZE + 5):
        make_lead(tenant, name=f"lead {i}")
    state = await state_for(LeadsState, path="/leads", cookie=session_cookie(tenant.owner))
    state.load()
    assert len(state.rows) == PAGE_SIZE
    assert state.rows[0].name == f"lead {PAGE_SIZE + 4}"  # newest first


async def test_another_business_lead_reads_as_not_found(db: Database) -> None:
    mine, theirs = make_tenant(), make_tenant()
    foreign = make_lead(theirs, name="סוד")
    own = make_lead(mine, name="גלוי")
    state = await state_for(
        LeadState, path=f"/leads/{foreign.id}", cookie=session_cookie(mine.owner)
    )
    state.load()
    assert not state.found and state.lead.id == 0 and state.lead.name == ""
    state = await state_for(LeadState, path=f"/leads/{own.id}", cookie=session_cookie(mine.owner))
    state.load()
    assert state.found and state.lead.name == "גלוי"


async def test_switching_language_is_remembered_for_the_user(db: Database) -> None:
    tenant = make_tenant(locale="he")
    state = await state_for(SessionState, path="/settings", cookie=session_cookie(tenant.agent))
    state.require_login()
    assert state.locale == "he" and state.dir == "rtl"
    state.switch_locale()
    assert state.locale == "en" and state.dir == "ltr"
    with unit_of_work() as session:
        assert session.exec(select(User.locale).where(User.id == tenant.agent.id)).one() == "en"
