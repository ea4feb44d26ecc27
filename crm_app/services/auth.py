"""Sign-in, server-side sessions, API tokens and the authenticated principal.

The cookie and the bearer token carry only a random secret; the database keeps
its SHA-256. The business of every request comes from the principal resolved
here, never from request input.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, func
from sqlmodel import Session, col, select

from crm_app.db import unit_of_work
from crm_app.models import (
    ApiToken,
    AuditEvent,
    Business,
    LoginAttempt,
    Role,
    User,
    UserSession,
    utcnow,
)
from crm_app.services.errors import AuthenticationFailed, PermissionDenied, Throttled
from crm_app.services.passwords import verify_password
from crm_app.settings import get_settings

SESSION_COOKIE = "crm_session"
TOKEN_PREFIX = "crm_"
_TOUCH_EVERY = timedelta(seconds=60)
_IP_FAILURE_FACTOR = 4  # one IP may fail this many times the per-email limit


@dataclass(frozen=True)
class Principal:
    """Who is acting, and for which business."""

    user_id: int
    business_id: int
    role: Role
    email: str
    name: str
    locale: str
    business_name: str
    timezone: str

    @property
    def can_export(self) -> bool:
        """Owners and admins may export leads."""
        return self.role in (Role.OWNER, Role.ADMIN)

    @property
    def is_admin(self) -> bool:
        """Owners and admins manage users and settings."""
        return self.role in (Role.OWNER, Role.ADMIN)


def hash_token(token: str) -> str:
    """The stored form of a session or API token."""
    return hashlib.sha256(token.encode()).hexdigest()


def require_role(principal: Principal, *roles: Role) -> None:
    """Raise ``PermissionDenied`` unless the principal has one of ``roles``."""
    if principal.role not in roles:
        raise PermissionDenied("your role may not do this", key="errors.forbidden")


def principal_for(session: Session, user: User) -> Principal:
    """Build the principal of an active user."""
    business = session.get(Business, user.business_id)
    assert business is not None and user.id is not None
    return Principal(
        user_id=user.id,
        business_id=user.business_id,
        role=Role(user.role),
        email=user.email,
        name=user.name,
        locale=user.locale,
        business_name=business.name,
        timezone=business.timezone,
    )


def _usable(user: User | None) -> bool:
    if user is None or not user.is_active:
        return False
    return not user.is_demo or get_settings().demo_mode


def sign_in(*, email: str, password: str, ip: str, user_agent: str = "") -> tuple[Principal, str]:
    """Check an email and password and open a session.

    A failure is recorded in its own transaction, so it counts towards the
    throttle even though the sign-in itself fails.

    Returns:
        The principal and the session secret for the cookie.

    Raises:
        Throttled: after too many recent failures for this email and IP.
        AuthenticationFailed: on a wrong email or password (one message for both).
    """
    email = email.strip().lower()
    with unit_of_work() as session:
        _check_throttle(session, email=email, ip=ip)
        user = session.exec(select(User).where(User.email == email)).first()
        ok = verify_password(user.password_hash if user else None, password)
        if ok and user is not None and _usable(user):
            session.execute(
                delete(LoginAttempt).where(
                    col(LoginAttempt.email) == email, col(LoginAttempt.ip) == ip
                )
            )
            token = start_session(session, user=user, ip=ip, user_agent=user_agent)
            _audit_sign_in(session, user, "auth.sign_in", ip, actor=True)
            return principal_for(session, user), token
    with unit_of_work() as session:
        session.add(LoginAttempt(email=email, ip=ip[:64]))
        known = session.exec(select(User).where(User.email == email)).first()
        if known is not None:  # a failure against an account is its business's to see
            _audit_sign_in(session, known, "auth.sign_in_failed", ip, actor=False)
    raise AuthenticationFailed("wrong email or password", key="login.error.invalid")


def _audit_sign_in(session: Session, user: User, action: str, ip: str, *, actor: bool) -> None:
    session.add(
        AuditEvent(
            business_id=user.business_id,
            actor_id=user.id if actor else None,
            action=action,
            entity="user",
            entity_id=user.id,
            details={"email": user.email},
            ip=ip[:64],
        )
    )


def _check_throttle(session: Session, *, email: str, ip: str) -> None:
    settings = get_settings()
    window = timedelta(minutes=settings.login_window_minutes)
    since = utcnow() - window
    recent = select(func.count(), func.min(LoginAttempt.attempted_at)).where(
        LoginAttempt.attempted_at >= since
    )
    pair_count, pair_first = session.exec(
        recent.where(LoginAttempt.email == email, LoginAttempt.ip == ip)
    ).one()
    ip_count, ip_first = session.exec(recent.where(LoginAttempt.ip == ip)).one()
    limit = settings.login_max_failures
    blocked_since = None
    if pair_count >= limit:
        blocked_since = pair_first
    elif ip_count >= limit * _IP_FAILURE_FACTOR:
        blocked_since = ip_first
    if blocked_since is not None:
        retry_after = int((blocked_since + window - utcnow()).total_seconds()) + 1
        raise Throttled(
            "too many failed sign-in attempts; try again later",
            retry_after=max(retry_after, 1),
            key="login.error.throttled",
        )


def start_session(session: Session, *, user: User, ip: str = "", user_agent: str = "") -> str:
    """Create a server-side session and return the secret for the cookie."""
    settings = get_settings()
    token = secrets.token_urlsafe(32)
    now = utcnow()
    assert user.id is not None
    session.add(
        UserSession(
            business_id=user.business_id,
            user_id=user.id,
            token_hash=hash_token(token),
            last_seen_at=now,
            expires_at=now + timedelta(hours=settings.session_absolute_hours),
            ip=ip[:64],
            user_agent=user_agent[:300],
        )
    )
    return token


def resolve_session(session: Session, token: str | None) -> Principal | None:
    """The principal behind a session cookie, or None when absent or expired.

    Idle and absolute expiry are both enforced; the idle clock is refreshed at
    most once a minute to keep reads cheap.
    """
    return resolve_session_key(session, hash_token(token)) if token else None


def resolve_session_key(session: Session, key: str) -> Principal | None:
    """Like :func:`resolve_session`, from the session's key (the stored hash of its secret).

    The browser UI keeps only the key, never the cookie's secret, in its state.
    """
    if not key:
        return None
    row = session.exec(select(UserSession).where(UserSession.token_hash == key)).first()
    if row is None:
        return None
    now = utcnow()
    idle = timedelta(minutes=get_settings().session_idle_minutes)
    if now >= row.expires_at or now - row.last_seen_at >= idle:
        session.delete(row)
        return None
    user = session.get(User, row.user_id)
    if not _usable(user):
        return None
    assert user is not None
    if now - row.last_seen_at >= _TOUCH_EVERY:
        row.last_seen_at = now
        session.add(row)
    return principal_for(session, user)


def end_session(session: Session, token: str | None, ip: str = "") -> None:
    """Delete the session behind ``token`` (sign-out); unknown tokens are ignored."""
    if not token:
        return
    row = session.exec(
        select(UserSession).where(col(UserSession.token_hash) == hash_token(token))
    ).first()
    if row is None:
        return
    user = session.get(User, row.user_id)
    session.delete(row)
    if user is not None:
        _audit_sign_in(session, user, "auth.sign_out", ip, actor=True)


def create_api_token(session: Session, *, user: User, name: str = "") -> str:
    """Create an API token for ``user``; the plain token is returned once, never stored."""
    assert user.id is not None
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    session.add(
        ApiToken(
            business_id=user.business_id,
            user_id=user.id,
            name=name[:100],
            token_hash=hash_token(token),
            prefix=token[: len(TOKEN_PREFIX) + 6],
        )
    )
    return token


def resolve_api_token(session: Session, token: str | None) -> Principal | None:
    """The principal behind a bearer token, or None when unknown or revoked."""
    if not token:
        return None
    row = session.exec(select(ApiToken).where(ApiToken.token_hash == hash_token(token))).first()
    if row is None or row.revoked_at is not None:
        return None
    user = session.get(User, row.user_id)
    if not _usable(user):
        return None
    assert user is not None
    now = utcnow()
    if row.last_used_at is None or now - row.last_used_at >= _TOUCH_EVERY:
        row.last_used_at = now
        session.add(row)
    return principal_for(session, user)
