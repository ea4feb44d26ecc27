"""REST API v1: leads (list, create, read, edit, status) and their export."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import datetime
from typing import IO, Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field, WithJsonSchema
from sqlmodel import Session

from crm_app.api.bodies import NO_NUL, Body
from crm_app.api.deps import MAX_ID, BodyId, CurrentPrincipal, IsoDate, RowId, client_ip
from crm_app.api.downloads import EXPORT_MEDIA, download_headers, file_answer
from crm_app.api.streaming import spooled, stream_writer
from crm_app.db import unit_of_work
from crm_app.models import Lead, LeadSource, Role
from crm_app.services import exports, lead_fill, lead_query, leads, statuses
from crm_app.services.accounts import EMAIL_PATTERN
from crm_app.services.auth import Principal, require_role
from crm_app.services.errors import InvalidInput, NotFound
from crm_app.services.leads import LeadChanges

router = APIRouter(prefix="/leads", tags=["leads"])


class StatusOut(BaseModel):
    """A lead status."""

    key: str
    label_he: str
    label_en: str
    color: str
    is_closed: bool


class OwnerOut(BaseModel):
    """The user a lead is assigned to."""

    id: int
    name: str


FieldValue = str | float | int | None
# Custom field values by key, keys as ``POST /fields`` makes them (one the business
# lacks is a 404). Pydantic would put the key pattern in ``patternProperties``,
# which lets any other key through; the document says what is checked.
FIELD_KEY = r"^[a-z][a-z0-9_-]*$"
FieldChanges = Annotated[
    dict[Annotated[str, Field(max_length=40, pattern=FIELD_KEY)], FieldValue],
    Field(max_length=40),
    WithJsonSchema(
        {
            "type": "object",
            "maxProperties": 40,
            "propertyNames": {"maxLength": 40, "pattern": FIELD_KEY},
            "additionalProperties": {
                "anyOf": [
                    {"type": "string", "pattern": NO_NUL},
                    {"type": "number"},
                    {"type": "null"},
                ]
            },
        }
    ),
]
Urgency = Literal["", "low", "normal", "high"]


class SuggestionOut(BaseModel):
    """An AI value that differs from the one a person entered, from a call."""

    value: FieldValue
    call_id: int | None


class LeadOut(BaseModel):
    """A lead as the API shows it."""

    id: int
    name: str
    phone: str = Field(description="E.164")
    email: str
    city: str
    reason: str
    service: str
    urgency: Urgency
    custom_fields: dict[str, FieldValue] = Field(description="the business's own fields by key")
    suggestions: dict[str, SuggestionOut] = Field(
        description="AI values beside what a person entered, by field key"
    )
    source: str
    status: StatusOut
    owner: OwnerOut | None
    created_at: datetime
    updated_at: datetime
    last_contact_at: datetime | None


class LeadList(BaseModel):
    """One page of leads; pass ``next_cursor`` back as ``cursor`` for the next."""

    items: list[LeadOut]
    total: int
    total_exact: bool = Field(description="false when total is an estimate (over 1,000)")
    next_cursor: str | None
    prev_cursor: str | None


Phone = Annotated[
    str,
    Field(
        min_length=1,
        max_length=40,
        description="E.164, or a national number of the business's region",
        json_schema_extra={"format": "phone"},
    ),
]


Email = Annotated[str, Field(max_length=254, pattern=f"^$|{EMAIL_PATTERN}")]


class LeadIn(Body):
    """A new lead."""

    phone: Phone
    name: str = ""
    email: Email = ""
    city: str = ""
    source: LeadSource = LeadSource.MANUAL
    owner_id: BodyId | None = None


class LeadPatch(Body):
    """Fields to change; omitted fields stay. ``owner_id: null`` unassigns.

    ``custom_fields`` changes only the keys it names (``null`` clears one);
    each value is checked against its field's kind.
    """

    name: str | None = None
    phone: Phone | None = None
    email: Email | None = None
    city: str | None = None
    reason: Annotated[str, Field(max_length=500)] | None = None
    service: Annotated[str, Field(max_length=200)] | None = None
    urgency: Urgency | None = None
    custom_fields: FieldChanges | None = None
    source: LeadSource | None = None
    owner_id: BodyId | None = None


class SuggestionIn(Body):
    """Accept a suggestion (its value becomes the field's) or dismiss it."""

    field: Annotated[str, Field(min_length=1, max_length=40)]
    accept: bool


class StatusChangeIn(Body):
    """Move a lead to a status (by key); closed statuses need a reason."""

    status: str
    reason: str = ""


def _row_out(row: Any) -> LeadOut:
    return LeadOut(
        id=row.id,
        name=row.name,
        phone=row.phone_e164,
        email=row.email,
        city=row.city,
        reason=row.reason,
        service=row.service,
        urgency=row.urgency if row.urgency in ("low", "normal", "high") else "",
        custom_fields=row.custom_fields or {},
        suggestions={
            key: SuggestionOut(value=s.get("value"), call_id=s.get("call_id"))
            for key, s in (row.suggestions or {}).items()
            if isinstance(s, dict)
        },
        source=row.source,
        status=StatusOut(
            key=row.status_key,
            label_he=row.status_he,
            label_en=row.status_en,
            color=row.status_color,
            is_closed=row.status_closed,
        ),
        owner=OwnerOut(id=row.owner_id, name=row.owner_name) if row.owner_id else None,
        created_at=row.created_at,
        updated_at=row.updated_at,
        last_contact_at=row.last_contact_at,
    )


def _lead_out(session: Session, principal: Principal, lead_id: int) -> LeadOut:
    query = lead_query.base_select(principal, lead_query.LeadFilters(ids=(lead_id,)))
    row = session.execute(query).first()
    if row is None:
        raise NotFound("no such lead")
    return _row_out(row)


Sort = Literal[
    "created_at",
    "-created_at",
    "updated_at",
    "-updated_at",
    "name",
    "-name",
    "status",
    "-status",
    "source",
    "-source",
]
_SOURCE = "|".join(s.value for s in LeadSource)
SOURCES_PATTERN = f"^(({_SOURCE})(,({_SOURCE}))*)?$"
CURSOR = Query(
    max_length=2048,
    json_schema_extra={"format": "cursor"},
    description="a next_cursor or prev_cursor of this list (opaque)",
)


def lead_filters(
    request: Request,
    q: Annotated[str, Query(max_length=100, pattern="^[^\\x00]*$")] = "",
    status: Annotated[
        str,
        Query(max_length=500, pattern="^[^\\x00]*$", description="status keys, comma separated"),
    ] = "",
    source: Annotated[
        str, Query(pattern=SOURCES_PATTERN, description="sources, comma separated")
    ] = "",
    owner: Annotated[
        Literal["me", "unassigned"] | Annotated[int, Field(ge=1, le=MAX_ID)] | None,
        Query(description="me, unassigned or a user id"),
    ] = None,
    created_from: IsoDate | None = None,
    created_to: IsoDate | None = None,
    sort: Annotated[Sort, Query(description="a column; - first for descending")] = "-created_at",
) -> lead_query.LeadFilters:
    """The list's filters as query parameters (the list and the export share them).

    A field of the business's own filters as ``f.<key>=<value>`` (equal values).
    """
    custom = {k: v for k, v in request.query_params.items() if k.startswith("f.")}
    params = {
        **custom,
        "q": q,
        "status": status,
        "source": source,
        "owner": "" if owner is None else str(owner),
        "created_from": created_from.isoformat() if created_from else "",
        "created_to": created_to.isoformat() if created_to else "",
        "sort": sort,
    }
    return lead_query.parse_filters(params)


Filters = Annotated[lead_query.LeadFilters, Depends(lead_filters)]


@router.get("", response_model=LeadList)
def list_leads(
    principal: CurrentPrincipal,
    filters: Filters,
    limit: Annotated[int, Query(ge=1, le=lead_query.MAX_LIMIT)] = lead_query.DEFAULT_LIMIT,
    cursor: Annotated[str, CURSOR] = "",
) -> LeadList:
    """List the business's leads: search, filters, sort and keyset pages."""
    with unit_of_work() as session:
        page = lead_query.fetch_page(
            session,
            principal=principal,
            filters=filters,
            cursor=cursor or None,
            limit=limit,
        )
    return LeadList(
        items=[_row_out(r) for r in page.rows],
        total=page.total,
        total_exact=page.total_exact,
        next_cursor=page.next_cursor,
        prev_cursor=page.prev_cursor,
    )


@contextlib.contextmanager
def _unknown_owner_not_found() -> Iterator[None]:
    """An ``owner_id`` that is no user of this business is not found, like any other id."""
    try:
        yield
    except InvalidInput as exc:
        if exc.field != "owner_id":
            raise
        raise NotFound(exc.message, key=exc.key) from exc


@router.post("", response_model=LeadOut, status_code=201)
def create_lead(body: LeadIn, principal: CurrentPrincipal) -> LeadOut:
    """Create a lead; 409 (with ``existing_id``) when its phone is already a lead."""
    with _unknown_owner_not_found(), unit_of_work() as session:
        lead = leads.create_lead(
            session,
            business_id=principal.business_id,
            phone=body.phone,
            name=body.name,
            email=body.email,
            city=body.city,
            source=body.source,
            owner_id=body.owner_id,
        )
        assert lead.id is not None
        return _lead_out(session, principal, lead.id)


@router.get(
    "/export", response_class=StreamingResponse, responses=file_answer(*EXPORT_MEDIA.values())
)
def export_leads(
    request: Request,
    principal: CurrentPrincipal,
    filters: Filters,
    format: Literal["xlsx", "csv"] = "xlsx",  # noqa: A002  (the public parameter's name)
) -> StreamingResponse:
    """Export the listed leads (same filters and sort) as XLSX or CSV; owners and admins."""
    require_role(principal, Role.OWNER, Role.ADMIN)
    locale, ip = principal.locale, client_ip(request)

    def produce(out: IO[bytes]) -> None:
        exports.export_leads(
            principal=principal, filters=filters, fmt=format, locale=locale, out=out, ip=ip
        )

    body = stream_writer(produce) if format == "csv" else spooled(produce)
    return StreamingResponse(
        body,
        media_type=EXPORT_MEDIA[format],
        headers=download_headers(exports.export_filename(format, principal.timezone)),
    )


@router.get("/{lead_id:int}", response_model=LeadOut)
def get_lead(lead_id: RowId, principal: CurrentPrincipal) -> LeadOut:
    """One lead; another business's id is 404."""
    with unit_of_work() as session:
        leads.get_lead(session, principal=principal, lead_id=lead_id)
        return _lead_out(session, principal, lead_id)


@router.patch("/{lead_id:int}", response_model=LeadOut)
def patch_lead(lead_id: RowId, body: LeadPatch, principal: CurrentPrincipal) -> LeadOut:
    """Edit a lead's fields (validated like creation)."""
    sent = body.model_fields_set
    changes = LeadChanges(
        name=body.name,
        phone=body.phone,
        email=body.email,
        city=body.city,
        reason=body.reason,
        service=body.service,
        urgency=body.urgency,
        custom=dict(body.custom_fields or {}),
        source=body.source,
        owner_id=body.owner_id,
        clear_owner="owner_id" in sent and body.owner_id is None,
    )
    with _unknown_owner_not_found(), unit_of_work() as session:
        leads.update_lead(session, principal=principal, lead_id=lead_id, changes=changes)
    with unit_of_work() as session:
        return _lead_out(session, principal, lead_id)


@router.post("/{lead_id:int}/suggestions", response_model=LeadOut)
def resolve_suggestion(lead_id: RowId, body: SuggestionIn, principal: CurrentPrincipal) -> LeadOut:
    """Accept or dismiss the AI's suggestion for one field; 404 when there is none."""
    with unit_of_work() as session:
        lead_fill.resolve_suggestion(
            session, principal=principal, lead_id=lead_id, key=body.field, accept=body.accept
        )
    with unit_of_work() as session:
        return _lead_out(session, principal, lead_id)


@router.post("/{lead_id:int}/status", response_model=LeadOut)
def change_status(lead_id: RowId, body: StatusChangeIn, principal: CurrentPrincipal) -> LeadOut:
    """Move a lead to another status; history and audit are written with it."""
    with unit_of_work() as session:
        lead: Lead = leads.get_lead(session, principal=principal, lead_id=lead_id)
        try:
            status = statuses.status_by_key(
                session, business_id=principal.business_id, key=body.status
            )
        except InvalidInput as exc:  # a status this business does not have
            raise NotFound(exc.message, key=exc.key) from exc
        assert status.id is not None
        leads.change_status(
            session, principal=principal, lead=lead, status_id=status.id, reason=body.reason
        )
    with unit_of_work() as session:
        return _lead_out(session, principal, lead_id)
