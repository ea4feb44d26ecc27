"""REST API v1: the dashboard's figures for a date range, with the lists they link to."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from crm_app.api.deps import CurrentPrincipal, IsoDate
from crm_app.db import unit_of_work
from crm_app.services import dashboard

router = APIRouter(prefix="/dashboard", tags=["dashboard"])


class PartOut(BaseModel):
    """One figure: what it counts, the count, and the list (a page path) it counts."""

    key: str
    value: float
    href: str


class TileOut(BaseModel):
    """A tile's figures, or ``error`` when it could not be counted (the others still are)."""

    name: str
    error: str
    parts: list[PartOut]


class CallBackOut(BaseModel):
    """An unfinished call-back task due today or earlier."""

    task_id: int
    title: str
    due_at: datetime
    lead_id: int | None
    lead_name: str


class MissedOut(BaseModel):
    """A missed or abandoned call of the range."""

    call_id: int
    at: datetime
    from_number: str
    lead_id: int | None
    lead_name: str


class ActivityOut(BaseModel):
    """A recent event: a new lead, a call, a note or a status change."""

    kind: Literal["lead", "call", "note", "status"]
    at: datetime
    lead_id: int | None
    lead_name: str
    detail: str
    href: str


class DashboardOut(BaseModel):
    """The range (days in the business's zone, both included) and what it counts."""

    from_: date = Field(serialization_alias="from")
    to: date
    timezone: str
    tiles: list[TileOut]
    call_back: list[CallBackOut]
    missed: list[MissedOut]
    latest: list[ActivityOut]


@router.get("", response_model=DashboardOut)
def show(
    principal: CurrentPrincipal,
    range_: Annotated[
        Literal["today", "7d", "30d"] | None,
        Query(alias="range", description="a preset; ignored when from or to is given"),
    ] = None,
    from_: Annotated[IsoDate | None, Query(alias="from", description="first day")] = None,
    to: Annotated[IsoDate | None, Query(description="last day (up to 366 days after from)")] = None,
) -> DashboardOut:
    """Every tile for the range (default: the last 7 days), each counted on its own."""
    if from_ is None and to is None:
        period = dashboard.parse_range(range_ or "7d", "", "", principal.timezone)
    else:
        period = dashboard.parse_range(
            "custom",
            from_.isoformat() if from_ else "",
            to.isoformat() if to else "",
            principal.timezone,
        )
    tiles = [dashboard.compute(n, principal=principal, period=period) for n in dashboard.TILES]
    with unit_of_work(read_only=True) as session:
        found = dashboard.lists(session, principal=principal, period=period)
    return DashboardOut(
        from_=period.first,
        to=period.last,
        timezone=period.timezone,
        tiles=[TileOut.model_validate(dashboard.as_dict(tile)) for tile in tiles],
        call_back=[
            CallBackOut(task_id=task.id or 0, title=task.title, due_at=task.due_at,
                        lead_id=task.lead_id, lead_name=name)
            for task, name in found.call_back
        ],
        missed=[
            MissedOut(call_id=call.id or 0, at=call.created_at, from_number=call.from_number,
                      lead_id=call.lead_id, lead_name=name)
            for call, name in found.missed
        ],
        latest=[
            ActivityOut(kind=a.kind, at=a.at, lead_id=a.lead_id,
                        lead_name=a.lead_name, detail=a.detail, href=a.href)
            for a in found.latest
        ],
    )  # fmt: skip
