"""The business's own lead fields: their definitions, and the values a lead holds for them.

An owner or admin defines a field (text, number, date or a choice from a
list); every lead of the business then has it, on the lead page, in the list
filters and in exports. Values live in ``lead.custom_fields`` by key and are
always checked against the field's kind here, whoever writes them (a person,
the API or the call pipeline).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlmodel import Session, col, func, select

from crm_app.models import LeadField, LeadFieldKind, Role
from crm_app.services import audit
from crm_app.services.auth import Principal, require_role
from crm_app.services.errors import Conflict, InvalidInput, NotFound

MAX_FIELDS = 40
MAX_TEXT = 500
KEY_PATTERN = re.compile(r"^[a-z][a-z0-9_-]{0,39}$")
# Keys the lead's own columns (and the agent's built-in questions) use.
RESERVED_KEYS = frozenset(
    {"name", "phone", "email", "city", "reason", "service", "urgency", "callback_time", "status"}
)


@dataclass(frozen=True)
class FieldInput:
    """A new field as a form or the API gives it."""

    label_he: str = ""
    label_en: str = ""
    kind: str = LeadFieldKind.TEXT.value
    choices: tuple[str, ...] = ()
    key: str = ""


def list_fields(session: Session, *, business_id: int) -> list[LeadField]:
    """The business's fields in their display order."""
    return list(
        session.exec(
            select(LeadField)
            .where(col(LeadField.business_id) == business_id)
            .order_by(col(LeadField.position), col(LeadField.id))
        )
    )


def create_field(session: Session, *, principal: Principal, new: FieldInput) -> LeadField:
    """Add a field to every lead of the business (owners and admins).

    Raises:
        InvalidInput: no label, an unknown kind, a choice field without choices, a bad key.
        Conflict: the key is taken.
    """
    require_role(principal, Role.OWNER, Role.ADMIN)
    existing = list_fields(session, business_id=principal.business_id)
    field = _validated(new, taken={f.key for f in existing})
    if len(existing) >= MAX_FIELDS:
        raise Conflict(f"the business has {MAX_FIELDS} fields, the most it may have")
    if field.key in {f.key for f in existing}:
        raise Conflict("a field with this key exists", key="errors.field_exists")
    field.business_id = principal.business_id
    field.position = 1 + max((f.position for f in existing), default=0)
    session.add(field)
    session.flush()
    audit.record(
        session,
        principal=principal,
        business_id=principal.business_id,
        action="lead_field.create",
        entity="lead_field",
        entity_id=field.id,
        details={"key": field.key, "kind": field.kind},
    )
    return field


def _validated(new: FieldInput, taken: set[str]) -> LeadField:
    label_he, label_en = new.label_he.strip()[:80], new.label_en.strip()[:80]
    if not (label_he or label_en):
        raise InvalidInput("a field needs a label", field="label_en", key="errors.field_label")
    if new.kind not in {k.value for k in LeadFieldKind}:
        raise InvalidInput(f"unknown kind {new.kind!r}", field="kind")
    choices = [c.strip()[:80] for c in new.choices if c.strip()]
    if new.kind == LeadFieldKind.CHOICE and not choices:
        raise InvalidInput(
            "a choice field needs its choices", field="choices", key="errors.field_choices"
        )
    key = new.key.strip() or _key_from(label_en or label_he, taken)
    if not KEY_PATTERN.match(key) or key in RESERVED_KEYS:
        raise InvalidInput(f"the key {key!r} cannot be used", field="key")
    return LeadField(
        key=key,
        label_he=label_he or label_en,
        label_en=label_en or label_he,
        kind=new.kind,
        choices=list(dict.fromkeys(choices)) if new.kind == LeadFieldKind.CHOICE else [],
    )


def _key_from(label: str, taken: set[str]) -> str:
    """``x-`` and the label's latin letters and digits (a Hebrew label: ``x-field``), unique."""
    base = "x-" + (re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-")[:30] or "field")
    key, number = base, 1
    while key in taken:
        number += 1
        key = f"{base}-{number}"
    return key


def ensure_for_questions(
    session: Session, *, business_id: int, questions: list[dict[str, str]]
) -> None:
    """A text field for each question of the agent's own, so what it hears has a place."""
    known = {f.key for f in list_fields(session, business_id=business_id)}
    position = _max_position(session, business_id)
    for question in questions:
        key, label = question.get("key", ""), question.get("label", "").strip()
        if label and key not in known and key not in RESERVED_KEYS:
            position += 1
            session.add(
                LeadField(
                    business_id=business_id,
                    key=key,
                    label_he=label[:80],
                    label_en=label[:80],
                    position=position,
                )
            )
            known.add(key)
    session.flush()


def _max_position(session: Session, business_id: int) -> int:
    found = session.exec(
        select(func.max(LeadField.position)).where(col(LeadField.business_id) == business_id)
    ).one()
    return int(found or 0)


def coerce(field: LeadField, value: Any) -> Any:
    """The value as the field stores it (None clears it).

    Raises:
        InvalidInput: a value that does not fit the field's kind.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        return _COERCE[field.kind](field, value)
    except (TypeError, ValueError) as exc:
        raise InvalidInput(
            f"{field.key}: {exc}", field=field.key, key="errors.field_value"
        ) from exc


def _text(field: LeadField, value: Any) -> str:
    if not isinstance(value, str | int | float):
        raise TypeError("text expected")
    return str(value).strip()[:MAX_TEXT]


def _number(field: LeadField, value: Any) -> int | float:
    if isinstance(value, bool):
        raise TypeError("a number expected")
    number = float(str(value).replace(",", "").strip()) if isinstance(value, str) else float(value)
    if number != number or number in (float("inf"), float("-inf")):
        raise ValueError("a number expected")
    return int(number) if number.is_integer() else number


def _date(field: LeadField, value: Any) -> str:
    return date.fromisoformat(str(value).strip()[:10]).isoformat()


def _choice(field: LeadField, value: Any) -> str:
    if str(value).strip() not in field.choices:
        raise ValueError(f"one of {', '.join(field.choices)} expected")
    return str(value).strip()


_COERCE = {
    LeadFieldKind.TEXT.value: _text,
    LeadFieldKind.NUMBER.value: _number,
    LeadFieldKind.DATE.value: _date,
    LeadFieldKind.CHOICE.value: _choice,
}


def merged_values(
    fields: list[LeadField], current: dict[str, Any], changes: dict[str, Any]
) -> dict[str, Any]:
    """``current`` with ``changes`` applied, each checked.

    Raises:
        NotFound: a key is not one of the business's fields (as an unknown id is).
        InvalidInput: a value does not fit its field's kind.
    """
    by_key = {f.key: f for f in fields}
    values = dict(current)
    for key, value in changes.items():
        if key not in by_key:
            raise NotFound(f"no field {key!r}", field=key, key="errors.field_unknown")
        checked = coerce(by_key[key], value)
        if checked is None:
            values.pop(key, None)
        else:
            values[key] = checked
    return values
