"""Sign-in, sessions, tokens and throttling, on SQLite and Postgres."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from crm_app.db import unit_of_work
from crm_app.models import ApiToken, Role, User, UserSession, utcnow
from crm_app.services import accounts, auth
from crm_app.services.errors import AuthenticationFailed, PermissionDenied, Throttled
from crm_app.settings import reload_settings
from tests.conftest import Database
from tests.factories import PASSWORD, make_tenant, unique_email


def test_passwords_are_stored_as_argon2_hashes(db: Database) -> None:
    tenant = make_tenant()
    with unit_of_work() as session:
        stored = session.get(User, tenant.owner.id)
    assert stored is not None
    assert stored.password_hash.startswith("$argon2id$")
    assert PASSWORD not in stored.password_hash


def test_sign_in_returns_the_principal_of_the_users_business(db: Database) -> None:
    tenant = make_tenant()
    principal, token = auth.sign_in(
        email=tenant.agent.email.upper(), password=PASSWORD, ip="10.0.0.1"
    )
    assert principal.business_id == tenant.id
    assert principal.role == Role.AGENT
    with unit_of_work() as session:
        assert auth.resolve_session(session, token) == principal


def test_wrong_password_and_unknown_email_fail_alike(db: Database) -> None:
    tenant = make_tenant()
    with pytest.raises(AuthenticationFailed) as wrong:
        auth.sign_in(email=tenant.owner.email, password="not the password", ip="10.0.0.2")
    with pytest.raises(AuthenticationFailed) as unknown:
        auth.sign_in(email=unique_email(), password="not the password", ip="10.0.0.2")
    assert wrong.value.message == unknown.value.message


def test_five_failures_throttle_that_email_from_that_ip(db: Database) -> None:
    tenant = make_tenant()
    for _ in range(5):
        with pytest.raises(AuthenticationFailed):
            auth.sign_in(email=tenant.owner.email, password="guess", ip="10.0.0.3")
    with pytest.raises(Throttled) as throttled:
        auth.sign_in(email=tenant.owner.email, password=PASSWORD, ip="10.0.0.3")
    assert 0 < throttled.value.retry_after <= 15 * 60
    # Another IP is not locked out by someone else's guessing.
    principal, _ = auth.sign_in(email=tenant.owner.email, password=PASSWORD, ip="10.0.0.4")
    assert principal.user_id == tenant.owner.id


def test_throttle_expires_after_the_window(db: Database) -> None:
    tenant = make_tenant()
    for _ in range(5):
        with pytest.raises(AuthenticationFailed):
            auth.sign_in(email=tenant.owner.email, password="guess", ip="10.0.0.5")
    with unit_of_work() as session:
        from crm_app.models import LoginAttempt

        for attempt in session.exec(select(LoginAttempt).where(LoginAttempt.ip == "10.0.0.5")):
            attempt.attempted_at = utcnow() - timedelta(minutes=16)
            session.add(attempt)
    principal, _ = auth.sign_in(email=tenant.owner.email, password=PASSWORD, ip="10.0.0.5")
    assert principal.user_id == tenant.owner.id


def _age_session(
    token: str, *, idle: timedelta = timedelta(0), created: timedelta = timedelta(0)
) -> None:
    with unit_of_work() as session:
        row = session.exec(
            select(UserSession).where(UserSession.token_hash == auth.hash_token(token))
        ).one()
        row.last_seen_at = utcnow() - idle
        row.expires_at = row.created_at + timedelta(hours=12) - created
        session.add(row)


def test_session_expires_when_idle(db: Database) -> None:
    tenant = make_tenant()
    _, token = auth.sign_in(email=tenant.owner.email, password=PASSWORD, ip="10.0.1.1")
    _age_session(token, idle=timedelta(minutes=121))
    with unit_of_work() as session:
        assert auth.resolve_session(session, token) is None


def test_session_expires_at_its_absolute_limit_even_when_active(db: Database) -> None:
    tenant = make_tenant()
    _, token = auth.sign_in(email=tenant.owner.email, password=PASSWORD, ip="10.0.1.2")
    _age_session(token, created=timedelta(hours=12, minutes=1))
    with unit_of_work() as session:
        assert auth.resolve_session(session, token) is None


def test_sign_out_ends_the_session(db: Database) -> None:
    tenant = make_tenant()
    _, token = auth.sign_in(email=tenant.owner.email, password=PASSWORD, ip="10.0.1.3")
    with unit_of_work() as session:
        auth.end_session(session, token)
    with unit_of_work() as session:
        assert auth.resolve_session(session, token) is None


def test_deactivated_user_loses_their_session(db: Database) -> None:
    tenant = make_tenant()
    _, token = auth.sign_in(email=tenant.agent.email, password=PASSWORD, ip="10.0.1.4")
    with unit_of_work() as session:
        user = session.get(User, tenant.agent.id)
        assert user is not None
        user.is_active = False
        session.add(user)
    with unit_of_work() as session:
        assert auth.resolve_session(session, token) is None


def test_api_tokens_are_stored_hashed_and_resolve_to_their_user(db: Database) -> None:
    tenant = make_tenant()
    with unit_of_work() as session:
        user = session.get(User, tenant.admin.id)
        assert user is not None
        token = auth.create_api_token(session, user=user, name="zapier")
    with unit_of_work() as session:
        rows = session.exec(select(ApiToken).where(ApiToken.user_id == tenant.admin.id)).all()
        assert [r.token_hash for r in rows] == [auth.hash_token(token)]
        principal = auth.resolve_api_token(session, token)
    assert principal is not None and principal.role == Role.ADMIN
    with unit_of_work() as session:
        assert auth.resolve_api_token(session, token + "x") is None


def test_demo_users_cannot_sign_in_outside_demo_mode(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    tenant = make_tenant()
    email = unique_email("demo")
    with unit_of_work() as session:
        accounts.add_user(
            session,
            business_id=tenant.id,
            email=email,
            password=PASSWORD,
            role=Role.OWNER,
            is_demo=True,
        )
    with pytest.raises(AuthenticationFailed):
        auth.sign_in(email=email, password=PASSWORD, ip="10.0.2.1")
    monkeypatch.setenv("DEMO_MODE", "1")
    reload_settings()
    principal, _ = auth.sign_in(email=email, password=PASSWORD, ip="10.0.2.1")
    assert principal.business_id == tenant.id


def test_only_owners_create_admins_and_nobody_creates_owners(db: Database) -> None:
    tenant = make_tenant()
    with unit_of_work() as session:
        agent = accounts.create_user_by(
            session,
            manager_email=tenant.admin.email,
            email=unique_email(),
            password=PASSWORD,
            role=Role.AGENT,
        )
        assert agent.business_id == tenant.id
    with pytest.raises(PermissionDenied), unit_of_work() as session:
        accounts.create_user_by(
            session,
            manager_email=tenant.admin.email,
            email=unique_email(),
            password=PASSWORD,
            role=Role.ADMIN,
        )
    with pytest.raises(PermissionDenied), unit_of_work() as session:
        accounts.create_user_by(
            session,
            manager_email=tenant.agent.email,
            email=unique_email(),
            password=PASSWORD,
            role=Role.AGENT,
        )
    with pytest.raises(PermissionDenied), unit_of_work() as session:
        accounts.create_user_by(
            session,
            manager_email=tenant.owner.email,
            email=unique_email(),
            password=PASSWORD,
            role=Role.OWNER,
        )
