"""API tokens as owners and admins manage them: create (shown once), list, revoke."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from crm_app.models import ApiToken, Role, User, utcnow
from crm_app.services import audit, auth
from crm_app.services.auth import Principal, require_role
from crm_app.services.errors import InvalidInput, NotFound


@dataclass(frozen=True)
class TokenView:
    """A token as the list shows it (never its secret)."""

    id: int
    name: str
    prefix: str
    creator: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


def list_tokens(session: Session, *, principal: Principal) -> list[TokenView]:
    """The business's tokens, newest first, revoked ones included (owners and admins)."""
    require_role(principal, Role.OWNER, Role.ADMIN)
    rows = session.exec(
        select(ApiToken, User.name)
        .join(User, col(User.id) == col(ApiToken.user_id))
        .where(col(ApiToken.business_id) == principal.business_id)
        .order_by(col(ApiToken.created_at).desc(), col(ApiToken.id).desc())
    )
    return [
        TokenView(
            id=token.id or 0,
            name=token.name,
            prefix=token.prefix,
            creator=creator,
            created_at=token.created_at,
            last_used_at=token.last_used_at,
            revoked_at=token.revoked_at,
        )
        for token, creator in rows
    ]


def create_token(
    session: Session, *, principal: Principal, name: str, ip: str = ""
) -> tuple[ApiToken, str]:
    """A token acting as the principal; the secret is returned once and stored hashed."""
    require_role(principal, Role.OWNER, Role.ADMIN)
    name = name.strip()
    if not name or len(name) > 100:
        raise InvalidInput("name the token", field="name", key="errors.token_name")
    user = session.get(User, principal.user_id)
    assert user is not None
    secret = auth.create_api_token(session, user=user, name=name)
    session.flush()
    token = session.exec(
        select(ApiToken).where(col(ApiToken.token_hash) == auth.hash_token(secret))
    ).one()
    audit.record(
        session,
        principal=principal,
        business_id=principal.business_id,
        action="token.create",
        entity="api_token",
        entity_id=token.id,
        details={"name": name, "prefix": token.prefix},
        ip=ip,
    )
    return token, secret


def revoke_token(
    session: Session, *, principal: Principal, token_id: int, ip: str = ""
) -> ApiToken:
    """Revoke a live token of the business (at once: its next request is refused).

    A token already revoked is not found: there is nothing left to revoke.
    """
    require_role(principal, Role.OWNER, Role.ADMIN)
    token = session.get(ApiToken, token_id)
    if token is None or token.business_id != principal.business_id or token.revoked_at:
        raise NotFound("no such token", key="errors.token_not_found")
    return _revoke(session, token, principal, ip)


def _revoke(
    session: Session, token: ApiToken, principal: Principal | None, ip: str = ""
) -> ApiToken:
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        session.add(token)
        audit.record(
            session,
            principal=principal,
            business_id=token.business_id,
            action="token.revoke",
            entity="api_token",
            entity_id=token.id,
            details={"name": token.name, "prefix": token.prefix},
            ip=ip,
        )
    return token


def revoke_by_prefix(session: Session, *, prefix: str) -> ApiToken:
    """The command line's revocation, by the token's shown prefix (``crm_abc123``)."""
    matches = list(session.exec(select(ApiToken).where(col(ApiToken.prefix) == prefix)))
    if len(matches) != 1:
        raise NotFound(f"{len(matches)} tokens have the prefix {prefix!r}")
    return _revoke(session, matches[0], None)
