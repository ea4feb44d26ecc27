"""REST API v1: the voice agent's settings and their revisions (owners and admins)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path
from pydantic import BaseModel, Field, StrictBool

from crm_app.api.deps import JSON_INTEGER, CurrentPrincipal
from crm_app.db import unit_of_work
from crm_app.services import agent
from crm_app.services.agent import AgentSettings

router = APIRouter(prefix="/agent", tags=["agent"])


class AgentOut(BaseModel):
    """The settings the next call uses, and their revision number."""

    revision: int = Field(description="0 until the settings are first saved")
    settings: AgentSettings


class ChangeOut(BaseModel):
    """One setting a revision changed."""

    field: str
    before: Any
    after: Any


class RevisionOut(BaseModel):
    """A saved revision: who, when, what it changed."""

    number: int
    author: str
    created_at: datetime
    restored_from: int | None
    current: bool
    changes: list[ChangeOut]


class AgentSettingsIn(AgentSettings):
    """The settings as a client sends them: numbers are JSON numbers, flags JSON booleans."""

    books_appointments: StrictBool = False
    slot_minutes: Annotated[int, Field(ge=5, le=240), JSON_INTEGER] = 30
    booking_window_days: Annotated[int, Field(ge=1, le=365), JSON_INTEGER] = 30
    min_notice_minutes: Annotated[int, Field(ge=0, le=10080), JSON_INTEGER] = 120
    silence_seconds: Annotated[int, Field(ge=5, le=600), JSON_INTEGER] | None = None
    max_call_seconds: Annotated[int, Field(ge=30, le=3600), JSON_INTEGER] | None = None


@router.get("", response_model=AgentOut)
def get_agent(principal: CurrentPrincipal) -> AgentOut:
    """The current settings."""
    with unit_of_work(read_only=True) as session:
        settings, number = agent.get_current(session, principal=principal)
    return AgentOut(revision=number, settings=settings)


@router.put("", response_model=AgentOut)
def put_agent(sent: AgentSettingsIn, principal: CurrentPrincipal) -> AgentOut:
    """Save all the settings as the next revision; the next call uses them."""
    settings = AgentSettings.model_validate(sent.model_dump())
    with unit_of_work() as session:
        revision = agent.save(session, principal=principal, settings=settings)
    return AgentOut(revision=revision.number, settings=settings)


@router.get("/revisions", response_model=list[RevisionOut])
def list_revisions(principal: CurrentPrincipal) -> list[RevisionOut]:
    """The newest revisions first (up to 50), each with what it changed."""
    with unit_of_work() as session:
        views = agent.revisions(session, principal=principal)
    return [
        RevisionOut(
            number=v.number,
            author=v.author,
            created_at=v.created_at,
            restored_from=v.restored_from,
            current=v.current,
            changes=[ChangeOut(field=c.field, before=c.before, after=c.after) for c in v.changes],
        )
        for v in views
    ]


@router.post("/revisions/{number}/restore", response_model=AgentOut)
def restore_revision(
    principal: CurrentPrincipal, number: Annotated[int, Path(ge=1, le=2**31 - 1)]
) -> AgentOut:
    """Bring an older revision back, as a new revision."""
    with unit_of_work() as session:
        revision = agent.restore(session, principal=principal, number=number)
        settings = AgentSettings.model_validate(revision.settings)
    return AgentOut(revision=revision.number, settings=settings)
