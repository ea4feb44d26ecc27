"""Settings: the page's sections (in the URL), and the lead statuses editor.

Everyone has the profile section; owners and admins also run the business
from here. ``load`` reads ``?section=`` and asks only that section's state to
load its data.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import reflex as rx
from sqlmodel import Session

from crm_app.db import unit_of_work
from crm_app.models import Role
from crm_app.services import audit, statuses
from crm_app.services.auth import require_role
from crm_app.services.errors import DomainError
from crm_app.state.session import SessionState


@dataclass(frozen=True)
class StatusRow:
    """A lead status as the editor shows it."""

    id: int
    key: str
    label_he: str
    label_en: str
    color: str
    closed: bool
    default: bool


SECTIONS = (
    "profile",
    "business",
    "calendars",
    "agent",
    "team",
    "tokens",
    "audit",
    "statuses",
    "fields",
)
MANAGER_SECTIONS = SECTIONS[1:]


class SettingsState(SessionState):
    """The section shown, and the business's statuses (editable by owners and admins)."""

    section: str = "profile"
    pipeline: list[StatusRow] = []
    colors: list[str] = list(statuses.COLORS)
    status_error: str = ""

    @rx.var
    def sections(self) -> list[str]:
        """The sections this user has."""
        return list(SECTIONS if self.role in ("owner", "admin") else SECTIONS[:1])

    @rx.event
    def load(self) -> Any:
        """Show the section in the URL (agents have only their profile) and load its data."""
        wanted = self.router.url.query_parameters.get("section", "profile")
        manager = self._me().role in (Role.OWNER, Role.ADMIN)
        if wanted not in SECTIONS or (wanted in MANAGER_SECTIONS and not manager):
            wanted = "profile"
        self.section = wanted
        if wanted == "statuses":
            self._read(self._me().business_id)
        loader = SECTION_LOADERS.get(wanted)
        return [self._language_script(), *([loader] if loader is not None else [])]

    def _read(self, business_id: int) -> None:
        with unit_of_work() as session:
            rows = statuses.list_statuses(session, business_id=business_id)
        self.pipeline = [
            StatusRow(
                id=s.id or 0,
                key=s.key,
                label_he=s.label_he,
                label_en=s.label_en,
                color=s.color,
                closed=s.is_closed,
                default=s.is_default,
            )
            for s in rows
        ]

    def _change(
        self, action: Callable[[Session, int], Any], op: str, details: dict[str, Any]
    ) -> Any:
        principal = self._me()
        self.status_error = ""
        try:
            require_role(principal, Role.OWNER, Role.ADMIN)
            with unit_of_work() as session:
                action(session, principal.business_id)
                audit.record(  # in the change's own transaction
                    session,
                    principal=principal,
                    business_id=principal.business_id,
                    action="statuses.change",
                    entity="lead_status",
                    details={"op": op, **details},
                )
        except DomainError as exc:
            self.status_error = self._say(exc)
            return None
        self._read(principal.business_id)
        return None

    @rx.event
    def add_status(self, form: dict[str, Any]) -> Any:
        """Add a status at the end of the pipeline."""
        return self._change(
            lambda s, b: statuses.add_status(
                s,
                business_id=b,
                label_he=form.get("label_he", ""),
                label_en=form.get("label_en", ""),
                color=form.get("color") or "gray",
                is_closed=bool(form.get("closed")),
            ),
            "add",
            {"label_he": form.get("label_he", ""), "label_en": form.get("label_en", "")},
        )

    @rx.event
    def save_pipeline(self, form: dict[str, Any]) -> Any:
        """Save every row of the editor at once: names, colours, open/closed.

        Fields are ``label_he-<id>``, ``label_en-<id>``, ``color-<id>`` and
        ``closed-<id>``; only rows that changed are written, in one transaction.
        """
        changes = [c for row in self.pipeline if (c := _row_change(row, form)) is not None]
        if not changes:
            return None

        def apply(session: Session, business_id: int) -> None:
            for change in changes:
                statuses.update_status(session, business_id=business_id, **change)

        return self._change(apply, "update", {"statuses": changes})

    @rx.event
    def move(self, status_id: int, offset: int) -> Any:
        """Move a status up (-1) or down (+1)."""
        return self._change(
            lambda s, b: statuses.move_status(
                s, business_id=b, status_id=int(status_id), offset=offset
            ),
            "move",
            {"id": int(status_id), "offset": offset},
        )

    @rx.event
    def delete(self, status_id: int) -> Any:
        """Delete a status no lead uses."""
        return self._change(
            lambda s, b: statuses.delete_status(s, business_id=b, status_id=int(status_id)),
            "delete",
            {"id": int(status_id)},
        )


def _row_change(row: StatusRow, form: dict[str, Any]) -> dict[str, Any] | None:
    """The update of ``row`` in the editor's form, or None when it is unchanged or absent."""
    if f"label_he-{row.id}" not in form:
        return None  # a row added since the form was drawn
    change: dict[str, Any] = {
        "status_id": row.id,
        "label_he": form.get(f"label_he-{row.id}", row.label_he),
        "label_en": form.get(f"label_en-{row.id}", row.label_en),
        "color": form.get(f"color-{row.id}") or row.color,
        "is_closed": bool(form.get(f"closed-{row.id}")),
    }
    before = (row.label_he, row.label_en, row.color, row.closed)
    after = (change["label_he"], change["label_en"], change["color"], change["is_closed"])
    return None if before == after else change


# Each section's state registers its loader here (a section without one has nothing to read).
SECTION_LOADERS: dict[str, Any] = {}
