"""Filling a lead from what a call said, without overwriting what a person entered.

The rule, per field: an empty field, or one the pipeline filled earlier and no
person has edited since, takes the AI's value; a field a person entered keeps
its value, and a differing AI value is kept beside it as a suggestion, which a
person accepts (it becomes the value) or dismisses. A person's edit of a
field makes it theirs: it leaves ``lead.ai_filled`` and loses its suggestion.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlmodel import Session

from crm_app.models import Lead, utcnow
from crm_app.services import audit, lead_fields
from crm_app.services.auth import Principal
from crm_app.services.errors import InvalidInput, NotFound

# The lead's own columns the pipeline may fill, and their lengths.
COLUMNS = {"name": 200, "city": 100, "reason": 500, "service": 200, "urgency": 10}
URGENCIES = ("low", "normal", "high")


@dataclass(frozen=True)
class Filled:
    """What one call did to its lead."""

    filled: tuple[str, ...]
    suggested: tuple[str, ...]


def current_value(lead: Lead, key: str) -> Any:
    """The lead's value for a column or a field of the business's own."""
    return getattr(lead, key) if key in COLUMNS else lead.custom_fields.get(key)


def _set(lead: Lead, key: str, value: Any) -> None:
    if key in COLUMNS:
        setattr(lead, key, value if value is not None else "")
    else:
        custom = {k: v for k, v in lead.custom_fields.items() if k != key}
        lead.custom_fields = custom if value is None else {**custom, key: value}


def fill_from_call(session: Session, *, lead: Lead, values: dict[str, Any], call_id: int) -> Filled:
    """Apply a call's checked values (``key -> value``) to its lead, by the rule above."""
    fields = {f.key: f for f in lead_fields.list_fields(session, business_id=lead.business_id)}
    filled: list[str] = []
    suggested: dict[str, Any] = dict(lead.suggestions)
    for key, raw in values.items():
        value = _checked(key, raw, fields)
        if value is None:
            continue
        current = current_value(lead, key)
        if current in (None, "") or key in lead.ai_filled:
            if current != value:
                _set(lead, key, value)
                filled.append(key)
            suggested.pop(key, None)
        elif current != value:
            suggested[key] = {"value": value, "call_id": call_id}
    lead.ai_filled = sorted({*lead.ai_filled, *filled})
    new_suggestions = tuple(k for k in suggested if suggested[k] != lead.suggestions.get(k))
    lead.suggestions = suggested
    if filled or new_suggestions:
        lead.updated_at = utcnow()
        session.add(lead)
        session.flush()
    return Filled(tuple(filled), new_suggestions)


def _checked(key: str, raw: Any, fields: dict[str, Any]) -> Any:
    """A value the lead can hold, or None (unknown key, empty, or not of the field's kind)."""
    if key in COLUMNS:
        text = str(raw).strip()[: COLUMNS[key]] if isinstance(raw, str | int | float) else ""
        if key == "urgency" and text not in URGENCIES:
            return None
        return text or None
    if key not in fields:
        return None
    try:
        return lead_fields.coerce(fields[key], raw)
    except InvalidInput:
        return None


def person_edited(lead: Lead, keys: set[str]) -> None:
    """Fields a person just set are theirs: no longer AI-filled, no pending suggestion."""
    if lead.ai_filled and keys & set(lead.ai_filled):
        lead.ai_filled = [k for k in lead.ai_filled if k not in keys]
    if lead.suggestions and keys & set(lead.suggestions):
        lead.suggestions = {k: v for k, v in lead.suggestions.items() if k not in keys}


def resolve_suggestion(
    session: Session, *, principal: Principal, lead_id: int, key: str, accept: bool
) -> Lead:
    """Accept (the AI's value becomes the field's) or dismiss a suggestion.

    Raises:
        NotFound: no such lead in the business, or no suggestion for ``key``.
    """
    lead = session.get(Lead, lead_id)
    if lead is None or lead.business_id != principal.business_id:
        raise NotFound("no such lead", key="errors.not_found")
    suggestion = lead.suggestions.get(key)
    if not isinstance(suggestion, dict):
        raise NotFound("no such suggestion", key="errors.not_found")
    before = current_value(lead, key)
    if accept:
        _set(lead, key, suggestion.get("value"))
    person_edited(lead, {key})
    lead.updated_at = utcnow()
    session.add(lead)
    audit.record(
        session,
        principal=principal,
        business_id=lead.business_id,
        action="lead.suggestion_accepted" if accept else "lead.suggestion_dismissed",
        entity="lead",
        entity_id=lead.id,
        details={"field": key, "before": before, "suggested": suggestion.get("value")},
    )
    session.flush()
    return lead
