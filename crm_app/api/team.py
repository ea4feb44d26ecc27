"""REST API v1: the team, API tokens and the audit log (owners and admins)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, Field, StrictBool

from crm_app.api.bodies import HAS_TEXT, Body
from crm_app.api.deps import MAX_ID, CurrentPrincipal, IsoDate, RowId, client_ip
from crm_app.db import unit_of_work
from crm_app.models import Role, User
from crm_app.services import api_tokens, audit, mail, team
from crm_app.services.accounts import EMAIL_PATTERN
from crm_app.services.errors import NotFound
from crm_app.settings import get_settings

router = APIRouter(tags=["team"])


class UserOut(BaseModel):
    """A user of the business."""

    id: int
    email: str
    name: str
    role: Role
    active: bool
    created_at: datetime
    last_seen_at: datetime | None


class UserIn(Body):
    """A user to invite; they set their own password through the link."""

    email: str = Field(max_length=254, pattern=EMAIL_PATTERN)
    name: str = ""
    role: Role = Role.AGENT
    locale: str = Field(default="he", pattern="^(he|en)$")


class Invitation(BaseModel):
    """The invited user and their one-time link (valid 24 hours, shown this once)."""

    user: UserOut
    link: str
    expires_at: datetime
    emailed: Literal["sent", "failed", "off"] = Field(
        description="whether the link was e-mailed to the user: off when SMTP_URL is not set"
    )


class UserPatch(Body):
    """A role or an active flag to change."""

    role: Role | None = None
    active: StrictBool | None = None


class TokenOut(BaseModel):
    """An API token (never its secret)."""

    id: int
    name: str
    prefix: str
    creator: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class TokenIn(Body):
    """A token to create, acting as the caller."""

    name: str = Field(min_length=1, max_length=100, pattern=HAS_TEXT)


class NewToken(BaseModel):
    """The new token: ``token`` is shown this once and stored only as a hash."""

    token: str
    info: TokenOut


class AuditOut(BaseModel):
    """Who did what, when."""

    id: int
    at: datetime
    action: str
    actor_id: int | None
    actor: str
    entity: str
    entity_id: int | None
    details: dict[str, Any]
    ip: str


class AuditList(BaseModel):
    """One page of events, newest first; pass ``next_cursor`` back as ``cursor``."""

    items: list[AuditOut]
    next_cursor: str | None


def _user(user: User, seen: datetime | None = None) -> UserOut:
    assert user.id is not None
    return UserOut(
        id=user.id,
        email=user.email,
        name=user.name,
        role=Role(user.role),
        active=user.is_active,
        created_at=user.created_at,
        last_seen_at=seen,
    )


@router.get("/users", response_model=list[UserOut])
def list_users(principal: CurrentPrincipal) -> list[UserOut]:
    """The business's users, active ones first."""
    with unit_of_work(read_only=True) as session:
        return [_user(u, seen) for u, seen in team.list_users(session, principal=principal)]


@router.post("/users", response_model=Invitation, status_code=201)
def invite_user(new: UserIn, request: Request, principal: CurrentPrincipal) -> Invitation:
    """Invite a user; the answer carries their one-time set-password link."""
    with unit_of_work() as session:
        link = team.invite(
            session,
            principal=principal,
            email=new.email,
            name=new.name,
            role=new.role,
            locale=new.locale,
            ip=client_ip(request),
        )
        out = _user(link.user)
        locale = link.user.locale
    url = get_settings().public_base_url.rstrip("/") + link.path()
    emailed = mail.send_link(  # after the commit: the link works by the time it arrives
        mail.LinkMail(
            to=out.email,
            name=out.name,
            url=url,
            purpose="invite",
            business=principal.business_name,
            expires_at=link.expires_at,
            locale=locale,
            timezone=principal.timezone,
        )
    )
    return Invitation(user=out, link=url, expires_at=link.expires_at, emailed=emailed)


@router.patch("/users/{user_id}", response_model=UserOut)
def patch_user(
    patch: UserPatch, request: Request, principal: CurrentPrincipal, user_id: RowId
) -> UserOut:
    """Change a user's role or deactivate (or reactivate) them."""
    ip = client_ip(request)
    with unit_of_work() as session:
        if patch.role is not None:
            team.set_role(session, principal=principal, user_id=user_id, role=patch.role, ip=ip)
        if patch.active is not None:
            team.set_active(
                session, principal=principal, user_id=user_id, active=patch.active, ip=ip
            )
        for found, seen in team.list_users(session, principal=principal):
            if found.id == user_id:
                return _user(found, seen)
    raise NotFound("no such user", key="errors.user_not_found")


def _token(view: api_tokens.TokenView) -> TokenOut:
    return TokenOut(**view.__dict__)


@router.get("/tokens", response_model=list[TokenOut])
def list_tokens(principal: CurrentPrincipal) -> list[TokenOut]:
    """The business's API tokens, newest first, revoked ones included."""
    with unit_of_work(read_only=True) as session:
        return [_token(t) for t in api_tokens.list_tokens(session, principal=principal)]


@router.post("/tokens", response_model=NewToken, status_code=201)
def create_token(new: TokenIn, request: Request, principal: CurrentPrincipal) -> NewToken:
    """Create a token acting as the caller; its secret is in this answer only."""
    with unit_of_work() as session:
        token, secret = api_tokens.create_token(
            session, principal=principal, name=new.name, ip=client_ip(request)
        )
        views = api_tokens.list_tokens(session, principal=principal)
    return NewToken(token=secret, info=_token(next(v for v in views if v.id == token.id)))


@router.delete("/tokens/{token_id}", status_code=204)
def revoke_token(request: Request, principal: CurrentPrincipal, token_id: RowId) -> Response:
    """Revoke a token: its next request is refused."""
    with unit_of_work() as session:
        api_tokens.revoke_token(
            session, principal=principal, token_id=token_id, ip=client_ip(request)
        )
    return Response(status_code=204)


@router.get("/audit", response_model=AuditList)
def list_audit(
    principal: CurrentPrincipal,
    actor_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    action: Annotated[str, Query(max_length=60, pattern=r"^[a-z_.]*$")] = "",
    date_from: Annotated[IsoDate | None, Query(alias="from")] = None,
    date_to: Annotated[IsoDate | None, Query(alias="to")] = None,
    cursor: Annotated[str, Query(max_length=80, json_schema_extra={"format": "audit-cursor"})] = "",
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> AuditList:
    """The audit log, filtered by user, action (or family: ``user``) and dates."""
    filters = audit.AuditFilters(
        actor_id=actor_id, action=action, date_from=date_from, date_to=date_to
    )
    with unit_of_work(read_only=True) as session:
        page = audit.list_events(
            session, principal=principal, filters=filters, cursor=cursor, limit=limit
        )
    return AuditList(
        items=[
            AuditOut(
                id=event.id or 0,
                at=event.created_at,
                action=event.action,
                actor_id=event.actor_id,
                actor=name,
                entity=event.entity,
                entity_id=event.entity_id,
                details=event.details,
                ip=event.ip,
            )
            for event, name in page.rows
        ],
        next_cursor=page.next_cursor or None,
    )
