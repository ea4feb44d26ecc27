"""REST API v1: the signed-in user's alerts, and marking them read."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from crm_app.api.bodies import Body
from crm_app.api.deps import BodyId, CurrentPrincipal
from crm_app.db import unit_of_work
from crm_app.models import AlertKind
from crm_app.services import notifications
from crm_app.services.alert_mail import words

router = APIRouter(prefix="/notifications", tags=["notifications"])


class AlertOut(BaseModel):
    """An alert: what it is about, in the user's language, and where it leads."""

    id: int
    kind: AlertKind
    title: str
    href: str = Field(description="the page of the app it opens")
    data: dict[str, Any]
    created_at: datetime
    read_at: datetime | None


class AlertList(BaseModel):
    """The unread count and the newest alerts."""

    unread: int
    items: list[AlertOut]


class ReadIn(Body):
    """Which alerts to mark read; without ``ids``, all of them."""

    ids: Annotated[list[BodyId], Field(max_length=500)] | None = None


class ReadOut(BaseModel):
    """How many alerts were marked read."""

    marked: int


@router.get("", response_model=AlertList)
def list_alerts(
    principal: CurrentPrincipal, limit: Annotated[int, Query(ge=1, le=100)] = 30
) -> AlertList:
    """The user's newest alerts and how many are unread."""
    with unit_of_work(read_only=True) as session:
        found = notifications.bell(session, user_id=principal.user_id, limit=limit)
    items = []
    for n in found.items:
        said = words(n, principal.locale)
        items.append(
            AlertOut(
                id=n.id or 0,
                kind=AlertKind(n.kind),
                title=said.title,
                href=said.href,
                data=n.data,
                created_at=n.created_at,
                read_at=n.read_at,
            )
        )
    return AlertList(unread=found.unread, items=items)


@router.post("/read", response_model=ReadOut)
def mark_read(body: ReadIn, principal: CurrentPrincipal) -> ReadOut:
    """Mark alerts read (only the user's own: other ids change nothing)."""
    with unit_of_work() as session:
        marked = notifications.mark_read(session, principal=principal, ids=body.ids)
    return ReadOut(marked=marked)
