"""The lead fields section of the settings page: the business's own fields, and adding one."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import reflex as rx

from crm_app.db import unit_of_work
from crm_app.i18n import translate
from crm_app.services import lead_fields
from crm_app.services.errors import DomainError
from crm_app.state.session import SessionState
from crm_app.state.settings import SECTION_LOADERS


@dataclass(frozen=True)
class FieldRow:
    """A field as the list shows it."""

    key: str
    label_he: str
    label_en: str
    kind: str
    choices: str


class FieldsState(SessionState):
    """The business's lead fields (owners and admins add them)."""

    lead_fields: list[FieldRow] = []
    field_error: str = ""

    @rx.event
    def load(self) -> None:
        """Read the fields."""
        self.field_error = ""
        self._read()

    def _read(self) -> None:
        with unit_of_work(read_only=True) as session:
            found = lead_fields.list_fields(session, business_id=self._me().business_id)
        self.lead_fields = [
            FieldRow(
                key=f.key,
                label_he=f.label_he,
                label_en=f.label_en,
                kind=translate(f"fields.kind.{f.kind}", self.locale),
                choices=", ".join(f.choices),
            )
            for f in found
        ]

    @rx.event
    def add(self, form: dict[str, Any]) -> Any:
        """Define a field on every lead."""
        self.field_error = ""
        choices = tuple(c.strip() for c in str(form.get("choices", "")).split(",") if c.strip())
        new = lead_fields.FieldInput(
            label_he=str(form.get("label_he", "")),
            label_en=str(form.get("label_en", "")),
            kind=str(form.get("kind", "text")),
            choices=choices,
        )
        try:
            with unit_of_work() as session:
                lead_fields.create_field(session, principal=self._me(), new=new)
        except DomainError as exc:
            self.field_error = self._say(exc)
            return None
        self._read()
        return [
            rx.set_value("field-label-he", ""),
            rx.set_value("field-label-en", ""),
            rx.set_value("field-choices", ""),
            rx.toast.success(self._t("fields.added")),
        ]


SECTION_LOADERS["fields"] = FieldsState.load
