"""REST API v1: the business's own lead fields (list, and define one as an owner or admin)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field
from pydantic.config import JsonDict

from crm_app.api.bodies import HAS_TEXT, Body
from crm_app.api.deps import CurrentPrincipal
from crm_app.db import unit_of_work
from crm_app.models import LeadField, LeadFieldKind
from crm_app.services import lead_fields

router = APIRouter(prefix="/fields", tags=["fields"])
Label = Annotated[str, Field(max_length=80)]


class FieldOut(BaseModel):
    """A lead field of the business's own; leads carry its value in ``custom_fields[key]``."""

    id: int
    key: str
    label_he: str
    label_en: str
    kind: LeadFieldKind
    choices: list[str]


_HAS_TEXT: JsonDict = {"pattern": HAS_TEXT}
_FIELD_IN_RULES: JsonDict = {  # what the service checks, for API clients
    "allOf": [
        {
            "anyOf": [
                {"required": ["label_he"], "properties": {"label_he": _HAS_TEXT}},
                {"required": ["label_en"], "properties": {"label_en": _HAS_TEXT}},
            ]
        },
        {
            "anyOf": [
                {"properties": {"kind": {"enum": ["text", "number", "date"]}}},
                {"required": ["choices"], "properties": {"choices": {"contains": _HAS_TEXT}}},
            ]
        },
    ]
}


class FieldIn(Body):
    """A new field: at least one label; ``choices`` for a choice field; the key is optional."""

    model_config = ConfigDict(json_schema_extra=_FIELD_IN_RULES)

    label_he: Label = ""
    label_en: Label = ""
    kind: LeadFieldKind = LeadFieldKind.TEXT
    choices: Annotated[list[Label], Field(max_length=50)] = []
    key: Annotated[
        str,
        Field(
            max_length=40,
            pattern=r"^$|^[a-z][a-z0-9_-]*$",
            json_schema_extra={"not": {"enum": sorted(lead_fields.RESERVED_KEYS)}},
        ),
    ] = ""


def _out(field: LeadField) -> FieldOut:
    assert field.id is not None
    return FieldOut(
        id=field.id,
        key=field.key,
        label_he=field.label_he,
        label_en=field.label_en,
        kind=LeadFieldKind(field.kind),
        choices=list(field.choices),
    )


@router.get("", response_model=list[FieldOut])
def list_fields(principal: CurrentPrincipal) -> list[FieldOut]:
    """The business's lead fields, in display order."""
    with unit_of_work(read_only=True) as session:
        return [
            _out(f) for f in lead_fields.list_fields(session, business_id=principal.business_id)
        ]


@router.post("", response_model=FieldOut, status_code=201)
def create_field(body: FieldIn, principal: CurrentPrincipal) -> FieldOut:
    """Add a field to every lead (owners and admins); 409 when the key is taken."""
    new = lead_fields.FieldInput(
        label_he=body.label_he,
        label_en=body.label_en,
        kind=body.kind.value,
        choices=tuple(body.choices),
        key=body.key,
    )
    with unit_of_work() as session:
        return _out(lead_fields.create_field(session, principal=principal, new=new))
