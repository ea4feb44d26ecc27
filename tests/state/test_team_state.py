"""The team section and the set-password page: invitations, roles, deactivation, resets."""

from __future__ import annotations

import inspect
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
from sqlalchemy import update
from sqlmodel import col, select

from crm_app.db import unit_of_work
from crm_app.models import PasswordLink, User, utcnow
from crm_app.services import auth
from crm_app.services.errors import AuthenticationFailed
from crm_app.state.audit_log import AuditLogState
from crm_app.state.password_link import PasswordLinkState
from crm_app.state.settings import SettingsState
from crm_app.state.team import TeamState
from crm_app.state.tokens import TokensState
from tests.conftest import Database
from tests.factories import make_tenant, unique_email
from tests.state.conftest import guarded, session_cookie, state_for

NEW_PASSWORD = "a brand new password"
FORBIDDEN = "אין לתפקיד שלך הרשאה לפעולה הזו."
NOT_FOUND = "המשתמש הזה לא קיים."


async def run(state: Any, handler: str, *args: Any) -> Any:
    """Run one handler as the browser would: the guard first, with the tab's own cookie."""
    assert await guarded(state, handler) is None
    result = getattr(state, handler)(*args)
    return await result if inspect.isawaitable(result) else result


async def team_of(user: User) -> TeamState:
    state = await state_for(TeamState, path="/settings?section=team", cookie=session_cookie(user))
    await run(state, "load")
    return state


def _row(state: TeamState, email: str) -> Any:
    return next(m for m in state.members if m.email == email)


async def _invite(state: TeamState, email: str, role: str = "agent") -> None:
    await run(state, "invite", {"name": "דנה חדשה", "email": email, "role": role, "locale": "he"})


async def _link_page(url: str) -> PasswordLinkState:
    parts = urlsplit(url)
    page = await state_for(PasswordLinkState, path=f"{parts.path}?{parts.query}")
    await run(page, "load")
    return page


def _signs_in(email: str, password: str) -> bool:
    try:
        auth.sign_in(email=email, password=password, ip="127.0.0.3")
    except AuthenticationFailed:
        return False
    return True


@pytest.mark.parametrize("section", ["team", "tokens", "audit"])
async def test_the_settings_page_loads_the_section_in_its_url(db: Database, section: str) -> None:
    loader = {"team": TeamState, "tokens": TokensState, "audit": AuditLogState}[section].load
    tenant = make_tenant()
    path = f"/settings?section={section}"
    state = await state_for(SettingsState, path=path, cookie=session_cookie(tenant.admin))
    assert loader in state.load() and state.section == section
    agents = await state_for(SettingsState, path=path, cookie=session_cookie(tenant.agent))
    assert loader not in agents.load() and agents.section == "profile"


async def test_an_invited_user_sets_a_password_once_through_the_link(db: Database) -> None:
    tenant = make_tenant()
    team = await team_of(tenant.owner)
    assert {m.email for m in team.members} == {
        tenant.owner.email,
        tenant.admin.email,
        tenant.agent.email,
    }
    email = unique_email("invited")
    await _invite(team, email)
    assert team.team_error == ""
    assert team.link_url.startswith("https://crm.test/password?token=")
    assert team.link_for == email and team.link_purpose == "invite"
    assert team.link_mail == "off" and team.link_expires  # SMTP is not set up in tests
    assert _row(team, email).role == "agent" and _row(team, email).last_seen == ""

    page = await _link_page(team.link_url)
    assert page.valid and page.owner_email == email and page.owner_name == "דנה חדשה"
    assert page.purpose == "invite"
    await run(page, "set_password", {"password": NEW_PASSWORD, "confirm": "something else"})
    assert page.link_error == "שתי הסיסמאות אינן זהות." and not _signs_in(email, NEW_PASSWORD)
    await run(page, "set_password", {"password": "short", "confirm": "short"})
    assert page.link_error == "הסיסמה חייבת להכיל לפחות 10 תווים."
    events = await run(page, "set_password", {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert "/login?email=" in str(events)
    assert _signs_in(email, NEW_PASSWORD)

    again = await _link_page(team.link_url)
    assert again.checked and not again.valid  # the page says the link is spent


async def test_an_expired_link_shows_the_spent_message(db: Database) -> None:
    tenant = make_tenant()
    team = await team_of(tenant.owner)
    await run(team, "reset_password", tenant.agent.id)
    assert team.link_purpose == "reset" and team.link_for == tenant.agent.email
    with unit_of_work() as session:
        session.execute(
            update(PasswordLink)
            .where(col(PasswordLink.user_id) == tenant.agent.id)
            .values(expires_at=utcnow() - timedelta(minutes=1))
        )
    page = await _link_page(team.link_url)
    assert not page.valid
    await run(page, "set_password", {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert not _signs_in(tenant.agent.email, NEW_PASSWORD)


async def test_a_reset_link_replaces_the_password(db: Database) -> None:
    tenant = make_tenant()
    team = await team_of(tenant.admin)
    await run(team, "reset_password", tenant.agent.id)
    page = await _link_page(team.link_url)
    assert page.valid and page.purpose == "reset"
    await run(page, "set_password", {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert _signs_in(tenant.agent.email, NEW_PASSWORD)
    await run(team, "dismiss_link")
    assert team.link_url == ""


async def test_roles_change_and_the_last_owner_stays(db: Database) -> None:
    tenant = make_tenant()
    team = await team_of(tenant.owner)
    await run(team, "change_role", tenant.agent.id, "admin")
    assert _row(team, tenant.agent.email).role == "admin" and team.team_error == ""
    await run(team, "change_role", tenant.owner.id, "agent")
    assert team.team_error == "לעסק חייב להישאר בעלים פעיל."
    assert _row(team, tenant.owner.email).role == "owner"
    await run(team, "set_active", tenant.owner.id, False)
    assert team.team_error == "אי אפשר להשבית את עצמך."


async def test_an_admin_cannot_make_owners(db: Database) -> None:
    tenant = make_tenant()
    team = await team_of(tenant.admin)
    await _invite(team, unique_email("would-be-owner"), role="owner")
    assert team.team_error == FORBIDDEN and team.link_url == ""
    await run(team, "change_role", tenant.agent.id, "owner")
    assert team.team_error == FORBIDDEN and _row(team, tenant.agent.email).role == "agent"


async def test_a_deactivated_users_next_event_is_refused(db: Database) -> None:
    tenant = make_tenant()
    agent_tab = await state_for(
        SettingsState, path="/settings", cookie=session_cookie(tenant.agent)
    )
    await run(agent_tab, "load")
    assert agent_tab.signed_in
    with unit_of_work() as session:
        token = auth.create_api_token(session, user=session.get(User, tenant.agent.id))
    team = await team_of(tenant.owner)
    await run(team, "set_active", tenant.agent.id, False)
    assert not _row(team, tenant.agent.email).active

    refused = await guarded(agent_tab, "load")
    assert refused is not None and "/login" in str(refused.events)
    assert not agent_tab.signed_in and agent_tab.user_email == ""
    assert not _signs_in(tenant.agent.email, "correct horse battery")
    with unit_of_work() as session:
        assert auth.resolve_api_token(session, token) is None  # their API token stopped too

    await run(team, "set_active", tenant.agent.id, True)
    assert _row(team, tenant.agent.email).active
    assert _signs_in(tenant.agent.email, "correct horse battery")


@pytest.mark.parametrize(
    ("handler", "args"),
    [
        ("invite", ({"email": "x@example.com", "role": "agent"},)),
        ("change_role", (None, "admin")),
        ("set_active", (None, False)),
        ("reset_password", (None,)),
    ],
)
async def test_agents_are_refused(db: Database, handler: str, args: tuple[Any, ...]) -> None:
    tenant = make_tenant()
    team = await team_of(tenant.agent)
    assert team.members == [] and team.team_error == FORBIDDEN
    team.team_error = ""
    args = tuple(tenant.admin.id if a is None else a for a in args)
    await run(team, handler, *args)
    assert team.team_error == FORBIDDEN and team.link_url == ""
    with unit_of_work() as session:
        admin = session.get(User, tenant.admin.id)
        assert admin is not None and admin.role == "admin" and admin.is_active
        invited = session.exec(select(User).where(col(User.email) == "x@example.com")).first()
        assert invited is None or invited.business_id != tenant.id


@pytest.mark.parametrize(
    ("handler", "args"),
    [("change_role", ("admin",)), ("set_active", (False,)), ("reset_password", ())],
)
async def test_another_business_users_are_not_found(
    db: Database, handler: str, args: tuple[Any, ...]
) -> None:
    mine, theirs = make_tenant(), make_tenant()
    team = await team_of(mine.owner)
    await run(team, handler, theirs.agent.id, *args)
    assert team.team_error == NOT_FOUND and team.link_url == ""
    with unit_of_work() as session:
        other = session.get(User, theirs.agent.id)
        assert other is not None and other.role == "agent" and other.is_active
