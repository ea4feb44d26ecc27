"""The team: invitations and resets by one-time link, roles, deactivation, profiles, tokens."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update
from sqlmodel import col, select

from crm_app.db import unit_of_work
from crm_app.models import PasswordLink, Role, User, utcnow
from crm_app.services import api_tokens, auth, team
from crm_app.services.errors import (
    AuthenticationFailed,
    Conflict,
    InvalidInput,
    NotFound,
    PermissionDenied,
)
from tests.conftest import Database
from tests.factories import PASSWORD, make_tenant, unique_email
from tests.state.conftest import session_cookie

NEW_PASSWORD = "a brand new password"


def _session_key(user: User) -> str:
    return auth.hash_token(session_cookie(user).split("=", 1)[1])


def test_an_invited_user_sets_a_password_through_the_link_once(db: Database) -> None:
    tenant = make_tenant()
    email = unique_email("invited")
    with unit_of_work() as session:
        link = team.invite(
            session, principal=tenant.principal(Role.ADMIN), email=email, name="נועה"
        )
    assert link.path().startswith("/password?token=") and link.token not in str(link.user)
    with pytest.raises(AuthenticationFailed):  # nobody knows the password it was created with
        auth.sign_in(email=email, password=NEW_PASSWORD, ip="127.0.0.70")
    with unit_of_work() as session:
        owner, purpose = team.link_owner(session, token=link.token)
        assert (owner.email, owner.role, purpose) == (email, "agent", "invite")
        team.use_link(session, token=link.token, password=NEW_PASSWORD)
    principal, _ = auth.sign_in(email=email, password=NEW_PASSWORD, ip="127.0.0.70")
    assert principal.business_id == tenant.id and principal.name == "נועה"
    with pytest.raises(NotFound), unit_of_work() as session:  # used: the link is spent
        team.use_link(session, token=link.token, password="another password 1")


def test_a_link_older_than_a_day_or_superseded_does_not_work(db: Database) -> None:
    tenant = make_tenant()
    with unit_of_work() as session:
        first = team.reset_link(
            session, principal=tenant.principal(Role.OWNER), user_id=tenant.agent.id or 0
        )
        second = team.reset_link(
            session, principal=tenant.principal(Role.OWNER), user_id=tenant.agent.id or 0
        )
    with pytest.raises(NotFound), unit_of_work() as session:
        team.link_owner(session, token=first.token)
    with unit_of_work() as session:
        session.execute(
            update(PasswordLink)
            .where(col(PasswordLink.user_id) == tenant.agent.id)
            .values(expires_at=utcnow() - timedelta(minutes=1))
        )
    with pytest.raises(NotFound), unit_of_work() as session:
        team.use_link(session, token=second.token, password=NEW_PASSWORD)


def test_a_reset_ends_the_users_sessions(db: Database) -> None:
    tenant = make_tenant()
    key = _session_key(tenant.agent)
    with unit_of_work() as session:
        link = team.reset_link(
            session, principal=tenant.principal(Role.ADMIN), user_id=tenant.agent.id or 0
        )
        team.use_link(session, token=link.token, password=NEW_PASSWORD)
    with unit_of_work() as session:
        assert auth.resolve_session_key(session, key) is None


def test_a_deactivated_users_sessions_and_tokens_stop_at_once(db: Database) -> None:
    tenant = make_tenant()
    key = _session_key(tenant.admin)
    with unit_of_work() as session:
        _, secret = api_tokens.create_token(
            session, principal=tenant.principal(Role.ADMIN), name="zapier"
        )
        team.set_active(
            session,
            principal=tenant.principal(Role.OWNER),
            user_id=tenant.admin.id or 0,
            active=False,
        )
    with unit_of_work() as session:
        assert auth.resolve_session_key(session, key) is None
        assert auth.resolve_api_token(session, secret) is None
    with pytest.raises(AuthenticationFailed):
        auth.sign_in(email=tenant.admin.email, password=PASSWORD, ip="127.0.0.71")
    with unit_of_work() as session:  # reactivated, the password works again (tokens stay revoked)
        team.set_active(
            session,
            principal=tenant.principal(Role.OWNER),
            user_id=tenant.admin.id or 0,
            active=True,
        )
    auth.sign_in(email=tenant.admin.email, password=PASSWORD, ip="127.0.0.71")
    with unit_of_work() as session:
        assert auth.resolve_api_token(session, secret) is None


def test_the_last_owner_stays_an_owner_and_only_owners_grant_owner_or_admin(db: Database) -> None:
    tenant = make_tenant()
    owner, admin = tenant.principal(Role.OWNER), tenant.principal(Role.ADMIN)
    with pytest.raises(InvalidInput, match="owner"), unit_of_work() as session:
        team.set_role(session, principal=owner, user_id=tenant.owner.id or 0, role=Role.ADMIN)
    with pytest.raises(InvalidInput), unit_of_work() as session:
        team.set_active(session, principal=owner, user_id=tenant.owner.id or 0, active=False)
    with pytest.raises(PermissionDenied), unit_of_work() as session:
        team.set_role(session, principal=admin, user_id=tenant.agent.id or 0, role=Role.OWNER)
    with pytest.raises(PermissionDenied), unit_of_work() as session:
        team.invite(session, principal=admin, email=unique_email(), role=Role.ADMIN)
    with unit_of_work() as session:  # with a second owner, the first may step down
        team.set_role(session, principal=owner, user_id=tenant.agent.id or 0, role=Role.OWNER)
        team.set_role(session, principal=owner, user_id=tenant.owner.id or 0, role=Role.ADMIN)
        roles = {
            u.id: u.role for u in session.exec(select(User).where(User.business_id == tenant.id))
        }
    assert roles[tenant.agent.id] == "owner" and roles[tenant.owner.id] == "admin"


def test_agents_manage_nobody_and_other_businesses_users_are_not_found(db: Database) -> None:
    mine, theirs = make_tenant(), make_tenant()
    with pytest.raises(PermissionDenied), unit_of_work() as session:
        team.list_users(session, principal=mine.principal(Role.AGENT))
    with pytest.raises(NotFound), unit_of_work() as session:
        team.set_active(
            session,
            principal=mine.principal(Role.OWNER),
            user_id=theirs.agent.id or 0,
            active=False,
        )
    with pytest.raises(NotFound), unit_of_work() as session:
        team.reset_link(session, principal=mine.principal(Role.OWNER), user_id=theirs.agent.id or 0)
    with pytest.raises(Conflict), unit_of_work() as session:  # an email is one account
        team.invite(session, principal=mine.principal(Role.OWNER), email=theirs.agent.email)


def test_a_user_changes_their_password_with_the_current_one_and_keeps_this_session(
    db: Database,
) -> None:
    tenant = make_tenant()
    here, elsewhere = _session_key(tenant.agent), _session_key(tenant.agent)
    me = tenant.principal(Role.AGENT)
    with pytest.raises(InvalidInput), unit_of_work() as session:
        team.change_password(session, principal=me, current="wrong one!!", new=NEW_PASSWORD)
    with unit_of_work() as session:
        ended = team.change_password(
            session, principal=me, current=PASSWORD, new=NEW_PASSWORD, keep_session_key=here
        )
        team.update_profile(session, principal=me, name="יואב")
    assert ended == 1
    with unit_of_work() as session:
        assert auth.resolve_session_key(session, here) is not None
        assert auth.resolve_session_key(session, elsewhere) is None
    principal, _ = auth.sign_in(email=tenant.agent.email, password=NEW_PASSWORD, ip="127.0.0.72")
    assert principal.name == "יואב"


def test_tokens_are_listed_without_secrets_and_revoked_at_once(db: Database) -> None:
    mine, theirs = make_tenant(), make_tenant()
    admin = mine.principal(Role.ADMIN)
    with unit_of_work() as session:
        token, secret = api_tokens.create_token(session, principal=admin, name="export bot")
        _, foreign = api_tokens.create_token(
            session, principal=theirs.principal(Role.OWNER), name="theirs"
        )
    with unit_of_work() as session:
        assert auth.resolve_api_token(session, secret) is not None
        listed = api_tokens.list_tokens(session, principal=admin)
    assert [(t.name, t.prefix, t.creator) for t in listed] == [
        ("export bot", secret[: len(auth.TOKEN_PREFIX) + 6], "admin user")
    ]
    assert listed[0].last_used_at is not None  # the check above used it
    with pytest.raises(NotFound), unit_of_work() as session:
        foreign_id = api_tokens.list_tokens(session, principal=theirs.principal(Role.OWNER))[0].id
        api_tokens.revoke_token(session, principal=admin, token_id=foreign_id)
    with pytest.raises(PermissionDenied), unit_of_work() as session:
        api_tokens.create_token(session, principal=mine.principal(Role.AGENT), name="x")
    with unit_of_work() as session:
        api_tokens.revoke_token(session, principal=admin, token_id=token.id or 0)
    with unit_of_work() as session:
        assert auth.resolve_api_token(session, secret) is None
        assert auth.resolve_api_token(session, foreign) is not None
