"""The guard: a tab's data belongs to the sign-in that loaded it, whatever cookie comes next."""

from __future__ import annotations

from crm_app.db import unit_of_work
from crm_app.services import auth
from crm_app.state.calls import CallViewState
from crm_app.state.leads import LeadsState
from crm_app.state.login import LoginState
from crm_app.state.session import SessionState, current_principal
from tests.conftest import Database
from tests.factories import make_call, make_lead, make_tenant
from tests.state.conftest import HYDRATE, guarded, session_cookie, state_for


async def _loaded_for_a(cookie: str) -> LeadsState:
    state = await state_for(LeadsState, path="/leads", cookie=cookie)
    state.load()
    assert [r.name for r in state.rows] == ["של א׳"]
    return state


async def test_another_users_cookie_on_a_loaded_tab_gets_none_of_its_data(db: Database) -> None:
    a, b = make_tenant(), make_tenant()
    make_lead(a, name="של א׳")
    make_lead(b, name="של ב׳")
    state = await _loaded_for_a(session_cookie(a.agent))

    update = await guarded(state, "next_page", cookie=session_cookie(b.agent))

    assert update is not None and "/login" in str(update.events)
    assert state.rows == [] and state.status_options == [] and not state.signed_in
    assert state.user_email == "" and current_principal() is None
    assert "של א׳" not in str(update.delta)  # what goes back to the browser holds nothing of A
    # The browser's next hydration binds the tab to B, who sees only B's leads.
    assert await guarded(state, HYDRATE) is None
    assert await guarded(state, "load") is None
    state.load()
    assert [r.name for r in state.rows] == ["של ב׳"] and state.user_email == b.agent.email


async def test_a_tab_driven_without_a_cookie_is_cleared_and_sent_to_sign_in(db: Database) -> None:
    a = make_tenant()
    make_lead(a, name="של א׳")
    state = await _loaded_for_a(session_cookie(a.agent))
    update = await guarded(state, "load", cookie="")
    assert update is not None and "/login?next=/leads" in str(update.events)
    assert state.rows == [] and state.business_name == "" and state.total == 0


async def test_hydrating_without_a_cookie_sends_back_an_empty_tab(db: Database) -> None:
    a = make_tenant()
    lead = make_lead(a, name="של א׳")
    cookie = session_cookie(a.agent)
    panel = await state_for(CallViewState, path="/calls", cookie=cookie)
    panel.open_call(make_call(a, lead, summary="סוד השיחה").id or 0)
    assert panel.call.summary == "סוד השיחה"
    assert await guarded(panel, HYDRATE, cookie="") is None  # hydration runs, on cleared data
    assert panel.call.id == 0 and panel.call.summary == "" and panel.transcript == []


async def test_after_sign_out_the_same_cookie_gets_nothing(db: Database) -> None:
    a = make_tenant()
    make_lead(a, name="של א׳")
    cookie = session_cookie(a.agent)
    state = await _loaded_for_a(cookie)
    with unit_of_work() as session:
        auth.end_session(session, cookie.split("=", 1)[1])
    update = await guarded(state, "toggle_all", cookie=cookie)
    assert update is not None and "/login" in str(update.events)
    assert state.rows == [] and state.selected == []


async def test_the_sign_in_page_works_for_a_signed_out_visitor(db: Database) -> None:
    state = await state_for(LoginState, path="/login?next=/calls")
    assert await guarded(state, "load") is None  # a public handler runs
    state.load()
    assert state.next_path == "/calls" and current_principal() is None


async def test_the_language_stays_when_a_tab_is_cleared(db: Database) -> None:
    a = make_tenant(locale="en")
    make_lead(a, name="של א׳")
    state = await _loaded_for_a(session_cookie(a.agent))
    session_state = await state._get_root_state().get_state(SessionState)
    assert session_state.locale == "en"
    await guarded(state, "load", cookie="")
    assert session_state.locale == "en" and state.rows == []
