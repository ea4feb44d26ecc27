"""What a caller wants and the business's own fields, as the lead page shows and edits them.

Pure functions from a lead and the business's field definitions to typed
rows: the Details card (label and value), the AI's pending suggestions, and
the edit dialog's inputs (one per field, by kind).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from crm_app.i18n import translate
from crm_app.models import Lead, LeadField
from crm_app.services import lead_fill
from crm_app.state.text_runs import TextRun, text_runs

BUILT_IN = ("reason", "service", "urgency")
CUSTOM_PREFIX = "custom."  # the edit form's names for the business's own fields


@dataclass(frozen=True)
class DetailRow:
    """A field on the Details card."""

    key: str
    label: str
    value: str
    runs: list[TextRun] = field(default_factory=list)


@dataclass(frozen=True)
class SuggestionRow:
    """An AI value beside the one a person entered."""

    key: str
    label: str
    value: str
    current: str


@dataclass(frozen=True)
class FieldInput:
    """One input of the edit dialog for a field of the business's own."""

    key: str
    name: str
    label: str
    kind: str
    value: str
    choices: list[str] = field(default_factory=list)


def field_label(key: str, fields: dict[str, LeadField], locale: str) -> str:
    """A field's label in ``locale``: built-in ones from the catalogue."""
    if key in fields:
        found = fields[key]
        return found.label_en if locale == "en" else found.label_he
    return translate(f"lead.field.{key}", locale)


def shown_value(key: str, value: Any, locale: str) -> str:
    """A value as text (urgency by its word; whole numbers without ``.0``)."""
    if value in (None, ""):
        return ""
    if key == "urgency":
        return translate(f"lead.urgency.{value}", locale)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def detail_rows(lead: Lead, fields: list[LeadField], locale: str) -> list[DetailRow]:
    """The Details card: what the caller wants, then the business's fields that have a value."""
    by_key = {f.key: f for f in fields}
    keys = [*BUILT_IN, *(f.key for f in fields)]
    rows = []
    for key in keys:
        value = shown_value(key, lead_fill.current_value(lead, key), locale)
        if value:
            rows.append(DetailRow(key, field_label(key, by_key, locale), value, text_runs(value)))
    return rows


def suggestion_rows(lead: Lead, fields: list[LeadField], locale: str) -> list[SuggestionRow]:
    """The AI's suggestions that wait for a person."""
    by_key = {f.key: f for f in fields}
    return [
        SuggestionRow(
            key=key,
            label=field_label(key, by_key, locale),
            value=shown_value(key, suggestion.get("value"), locale),
            current=shown_value(key, lead_fill.current_value(lead, key), locale),
        )
        for key, suggestion in lead.suggestions.items()
        if isinstance(suggestion, dict)
    ]


def field_inputs(lead: Lead, fields: list[LeadField], locale: str) -> list[FieldInput]:
    """The edit dialog's inputs for the business's own fields."""
    return [
        FieldInput(
            key=f.key,
            name=CUSTOM_PREFIX + f.key,
            label=f.label_en if locale == "en" else f.label_he,
            kind=f.kind,
            value=shown_value(f.key, lead.custom_fields.get(f.key), "en"),
            choices=list(f.choices),
        )
        for f in fields
    ]


def custom_changes(form: dict[str, str], fields: list[FieldInput]) -> dict[str, str | None]:
    """The business's fields from the edit form (an emptied one clears its value)."""
    return {
        f.key: (form.get(f.name) or "").strip() or None
        for f in fields
        if f.name in form and (form.get(f.name) or "").strip() != f.value
    }
