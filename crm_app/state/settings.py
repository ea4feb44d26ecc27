"""Settings: the user's profile and language; for owners and admins, the pipeline."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import reflex as rx
from reflex.event import EventSpec
from sqlmodel import Session

from crm_app.db import unit_of_work
from crm_app.models import Role
from crm_app.services import statuses
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


class SettingsState(SessionState):
    """The business's statuses, editable by owners and admins."""

    pipeline: list[StatusRow] = []
    colors: list[str] = list(statuses.COLORS)
    status_error: str = ""

    @rx.event
    def load(self) -> EventSpec:
        """Read the pipeline."""
        self._read(self._me().business_id)
        return self._language_script()

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

    def _change(self, action: Callable[[Session, int], Any]) -> Any:
        principal = self._me()
        self.status_error = ""
        try:
            require_role(principal, Role.OWNER, Role.ADMIN)
            with unit_of_work() as session:
                action(session, principal.business_id)
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
            )
        )

    @rx.event
    def save_status(self, form: dict[str, Any]) -> Any:
        """Rename, recolour or open/close a status."""
        return self._change(
            lambda s, b: statuses.update_status(
                s,
                business_id=b,
                status_id=int(form["id"]),
                label_he=form.get("label_he", ""),
                label_en=form.get("label_en", ""),
                color=form.get("color") or "gray",
                is_closed=bool(form.get("closed")),
            )
        )

    @rx.event
    def move(self, status_id: int, offset: int) -> Any:
        """Move a status up (-1) or down (+1)."""
        return self._change(
            lambda s, b: statuses.move_status(
                s, business_id=b, status_id=int(status_id), offset=offset
            )
        )

    @rx.event
    def delete(self, status_id: int) -> Any:
        """Delete a status no lead uses."""
        return self._change(
            lambda s, b: statuses.delete_status(s, business_id=b, status_id=int(status_id))
        )
