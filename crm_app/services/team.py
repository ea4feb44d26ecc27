"""The team: invitations and password resets by one-time link, roles, deactivation, profiles.

A link's secret is shown once (to the admin, and e-mailed when SMTP is set up)
and stored only as its hash; it works once, for 24 hours. Deactivating a user
ends their sessions and revokes their API tokens in the same transaction, so
their next request is refused. A business always keeps an active owner.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, update
from sqlmodel import Session, col, select

from crm_app.models import ApiToken, PasswordLink, Role, User, UserSession, utcnow
from crm_app.services import audit
from crm_app.services.accounts import add_user
from crm_app.services.auth import Principal, hash_token, require_role
from crm_app.services.errors import InvalidInput, NotFound, PermissionDenied
from crm_app.services.passwords import hash_password, verify_password

LINK_LIFETIME = timedelta(hours=24)
PURPOSES = ("invite", "reset")


@dataclass(frozen=True)
class Link:
    """A one-time link just made: its secret (shown once) and when it stops working."""

    user: User
    token: str
    expires_at: datetime

    def path(self) -> str:
        """Where it leads, on this server."""
        return f"/password?token={self.token}"


def _manager(principal: Principal) -> None:
    require_role(principal, Role.OWNER, Role.ADMIN)


def _member(session: Session, principal: Principal, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None or user.business_id != principal.business_id:
        raise NotFound("no such user", key="errors.user_not_found")
    return user


def list_users(session: Session, *, principal: Principal) -> list[tuple[User, datetime | None]]:
    """The business's users with when each was last seen (owners and admins)."""
    _manager(principal)
    seen = (
        select(UserSession.user_id, func.max(UserSession.last_seen_at).label("seen"))
        .group_by(col(UserSession.user_id))
        .subquery()
    )
    rows = session.exec(
        select(User, seen.c.seen)
        .join(seen, seen.c.user_id == User.id, isouter=True)
        .where(col(User.business_id) == principal.business_id)
        .order_by(col(User.is_active).desc(), col(User.name), col(User.id))
    )
    return [(user, last) for user, last in rows]


def _new_link(session: Session, user: User, purpose: str, by: Principal | None) -> Link:
    assert user.id is not None and purpose in PURPOSES
    session.execute(  # an older unused link of the same kind stops working
        delete(PasswordLink).where(
            col(PasswordLink.user_id) == user.id,
            col(PasswordLink.purpose) == purpose,
            col(PasswordLink.used_at).is_(None),
        )
    )
    token = secrets.token_urlsafe(32)
    expires = utcnow() + LINK_LIFETIME
    session.add(
        PasswordLink(
            business_id=user.business_id,
            user_id=user.id,
            purpose=purpose,
            token_hash=hash_token(token),
            created_by=by.user_id if by else None,
            expires_at=expires,
        )
    )
    return Link(user, token, expires)


def invite(
    session: Session,
    *,
    principal: Principal,
    email: str,
    name: str = "",
    role: Role = Role.AGENT,
    locale: str = "he",
    ip: str = "",
) -> Link:
    """Add a user who sets their own password through a one-time link (owners and admins).

    Only an owner may invite an owner or an admin.
    """
    _manager(principal)
    _may_grant(principal, role)
    user = add_user(
        session,
        business_id=principal.business_id,
        email=email,
        password=secrets.token_urlsafe(24),  # nobody knows it: the link sets the real one
        role=role,
        name=name,
        locale=locale,
    )
    link = _new_link(session, user, "invite", principal)
    _audit(session, principal, "user.invite", user, {"email": user.email, "role": role.value}, ip)
    return link


def reset_link(session: Session, *, principal: Principal, user_id: int, ip: str = "") -> Link:
    """A one-time link for a user of the business to choose a new password."""
    _manager(principal)
    user = _member(session, principal, user_id)
    if not user.is_active:
        raise InvalidInput("reactivate the user first", field="user", key="errors.user_inactive")
    link = _new_link(session, user, "reset", principal)
    _audit(session, principal, "user.reset_link", user, {"email": user.email}, ip)
    return link


def _open_link(session: Session, token: str) -> tuple[PasswordLink, User]:
    row = session.exec(
        select(PasswordLink).where(col(PasswordLink.token_hash) == hash_token(token or ""))
    ).first()
    if row is None or row.used_at is not None or row.expires_at <= utcnow():
        raise NotFound("this link is not valid any more", key="errors.link_invalid")
    user = session.get(User, row.user_id)
    if user is None or not user.is_active:
        raise NotFound("this link is not valid any more", key="errors.link_invalid")
    return row, user


def link_owner(session: Session, *, token: str) -> tuple[User, str]:
    """Whose link this is and what for (``invite`` or ``reset``); ``NotFound`` when spent."""
    row, user = _open_link(session, token)
    return user, row.purpose


def use_link(session: Session, *, token: str, password: str, ip: str = "") -> User:
    """Set the password through a link, once; ends the user's other sessions."""
    row, user = _open_link(session, token)
    user.password_hash = hash_password(password)
    row.used_at = utcnow()
    session.add_all([user, row])
    assert user.id is not None
    session.execute(delete(UserSession).where(col(UserSession.user_id) == user.id))
    audit.record(
        session,
        principal=None,
        business_id=user.business_id,
        action="user.password_set",
        entity="user",
        entity_id=user.id,
        details={"email": user.email, "purpose": row.purpose},
        ip=ip,
    )
    return user


def _may_grant(principal: Principal, role: Role) -> None:
    if role in (Role.OWNER, Role.ADMIN) and principal.role != Role.OWNER:
        raise PermissionDenied("only an owner gives that role", key="errors.forbidden")


def _active_owners(session: Session, business_id: int) -> int:
    return session.exec(
        select(func.count())
        .select_from(User)
        .where(
            col(User.business_id) == business_id,
            col(User.role) == Role.OWNER.value,
            col(User.is_active).is_(True),
        )
    ).one()


def _keep_an_owner(session: Session, user: User) -> None:
    if user.role == Role.OWNER.value and user.is_active:
        if _active_owners(session, user.business_id) <= 1:
            raise InvalidInput("the business needs an owner", field="role", key="errors.last_owner")


def set_role(
    session: Session, *, principal: Principal, user_id: int, role: Role, ip: str = ""
) -> User:
    """Change a user's role; only owners touch owners and admins; the last owner stays."""
    _manager(principal)
    user = _member(session, principal, user_id)
    if user.role == role.value:
        return user
    _may_grant(principal, role)
    _may_grant(principal, Role(user.role))
    if role != Role.OWNER:
        _keep_an_owner(session, user)
    before, user.role = user.role, role.value
    session.add(user)
    _audit(session, principal, "user.role", user, {"from": before, "to": role.value}, ip)
    return user


def set_active(
    session: Session, *, principal: Principal, user_id: int, active: bool, ip: str = ""
) -> User:
    """Deactivate (sessions end, tokens are revoked, at once) or reactivate a user."""
    _manager(principal)
    user = _member(session, principal, user_id)
    if user.is_active == active:
        return user
    if not active:
        if user.id == principal.user_id:
            raise InvalidInput("you cannot deactivate yourself", key="errors.self_deactivate")
        _may_grant(principal, Role(user.role))
        _keep_an_owner(session, user)
        _cut_off(session, user)
    user.is_active = active
    session.add(user)
    action = "user.reactivate" if active else "user.deactivate"
    _audit(session, principal, action, user, {"email": user.email}, ip)
    return user


def _cut_off(session: Session, user: User) -> None:
    assert user.id is not None
    session.execute(delete(UserSession).where(col(UserSession.user_id) == user.id))
    session.execute(
        update(ApiToken)
        .where(col(ApiToken.user_id) == user.id, col(ApiToken.revoked_at).is_(None))
        .values(revoked_at=utcnow())
    )
    session.execute(delete(PasswordLink).where(col(PasswordLink.user_id) == user.id))


def update_profile(session: Session, *, principal: Principal, name: str) -> User:
    """A user renames themself."""
    user = _member(session, principal, principal.user_id)
    name = name.strip()
    if not name or len(name) > 200:
        raise InvalidInput("enter your name", field="name", key="errors.name")
    user.name = name
    session.add(user)
    return user


def change_password(
    session: Session,
    *,
    principal: Principal,
    current: str,
    new: str,
    keep_session_key: str = "",
    ip: str = "",
) -> int:
    """A user changes their password with the current one; their other sessions end.

    Returns how many other sessions were signed out.
    """
    user = _member(session, principal, principal.user_id)
    if not verify_password(user.password_hash, current):
        raise InvalidInput(
            "the current password is wrong", field="current", key="errors.password_wrong"
        )
    user.password_hash = hash_password(new)
    session.add(user)
    ended = sign_out_others(session, principal=principal, keep_session_key=keep_session_key)
    _audit(session, principal, "user.password_change", user, {}, ip)
    return ended


def sign_out_others(session: Session, *, principal: Principal, keep_session_key: str) -> int:
    """End every session of the user but the one whose key is ``keep_session_key``."""
    result = session.execute(
        delete(UserSession).where(
            col(UserSession.user_id) == principal.user_id,
            col(UserSession.token_hash) != keep_session_key,
        )
    )
    return int(getattr(result, "rowcount", 0) or 0)


def _audit(
    session: Session,
    principal: Principal,
    action: str,
    user: User,
    details: dict[str, object],
    ip: str,
) -> None:
    audit.record(
        session,
        principal=principal,
        business_id=principal.business_id,
        action=action,
        entity="user",
        entity_id=user.id,
        details=details,
        ip=ip,
    )
