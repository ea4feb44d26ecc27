"""The audit log section of the settings page: who did what, when; filters; keyset pages."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

import reflex as rx

from crm_app.db import unit_of_work
from crm_app.i18n import DEFAULT_LOCALE, translate
from crm_app.i18n.formats import local_datetime
from crm_app.models import AuditEvent
from crm_app.services import audit, team
from crm_app.services.auth import Principal
from crm_app.services.errors import DomainError, InvalidInput
from crm_app.state.days import day_from_input
from crm_app.state.session import SessionState
from crm_app.state.settings import SECTION_LOADERS

ACTIONS = audit.ACTIONS  # what the action filter offers, in order
ALL = "all"  # "no filter" (Radix selects cannot hold an empty value)
PAGE_SIZE = 25


@dataclass(frozen=True)
class AuditRow:
    """An audit event as the log shows it."""

    id: int
    when: str
    who: str
    action: str  # e.g. ``user.invite``
    label: str  # the action in the user's language
    what: str


@dataclass(frozen=True)
class Choice:
    """An option of a filter: its value and its label."""

    value: str
    label: str


_CLOCK = re.compile(r"^\d{2}:\d{2}$")

# Detail values that are words of their own: a role, a weekday, an agent field, a
# status editor's operation. Anything else (names, emails, numbers) is shown as is.
_WORDS = ("role.", "weekday.", "agent.field.", "audit.op.")


class _Reader:
    """Reads an event's details in one language: the keys named, the words translated."""

    def __init__(self, locale: str) -> None:
        self.locale = locale

    def _known(self, key: str) -> str | None:
        text = translate(key, self.locale)
        return None if text == key else text

    def key(self, name: str) -> str:
        return self._known(f"audit.detail.{name}") or self._word(name)

    def _word(self, value: str) -> str:
        for prefix in _WORDS:
            if (text := self._known(prefix + value)) is not None:
                return text
        return value

    def value(self, value: Any) -> str:
        if isinstance(value, bool):
            return translate("audit.yes" if value else "audit.no", self.locale)
        if isinstance(value, list | tuple):
            if len(value) == 2 and all(isinstance(v, str) and _CLOCK.match(v) for v in value):
                return f"{value[0]}–{value[1]}"  # an opening range
            return ", ".join(self.value(v) for v in value)
        if isinstance(value, dict):
            return ", ".join(
                f"{self.key(k)} {self.value(v)}" for k, v in value.items() if v not in (None, "")
            )
        return self._word(value) if isinstance(value, str) else str(value)

    def changes(self, changed: dict[str, Any]) -> list[str]:
        """``field: before → after`` for each ``field: [before, after]``."""
        return [
            f"{self.key(field)}: {self.value(pair[0]) or '∅'} → {self.value(pair[1]) or '∅'}"
            if isinstance(pair, list) and len(pair) == 2
            else f"{self.key(field)}: {self.value(pair)}"
            for field, pair in sorted(changed.items())
        ]


def describe(event: AuditEvent, locale: str = DEFAULT_LOCALE) -> str:
    """The event's details on one line in ``locale``: ``אימייל: a@b.c · תפקיד: נציג``.

    Keys are sorted: the database (JSONB) keeps no order of its own.
    """
    reader = _Reader(locale)
    parts: list[str] = []
    for key, value in sorted(event.details.items()):
        if key == "changed" and isinstance(value, dict):
            parts += reader.changes(value)
        elif value not in (None, "", [], {}):
            parts.append(f"{reader.key(key)}: {reader.value(value)}")
    if not parts and event.entity:
        entity = reader.key(event.entity)
        parts = [f"{entity} #{event.entity_id}" if event.entity_id else entity]
    return " · ".join(parts)


def _day(text: str) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise InvalidInput("not a date", field="date", key="errors.dates") from exc


class AuditLogState(SessionState):
    """The filters, one page of events, and the cursors of the pages before it."""

    events: list[AuditRow] = []
    users: list[Choice] = []
    actor: str = ALL
    action: str = ALL
    date_from: str = ""
    date_to: str = ""
    cursor: str = ""
    next_cursor: str = ""
    earlier: list[str] = []  # cursors of the pages before this one (for "previous")
    audit_error: str = ""

    @rx.event
    def load(self) -> Any:
        """The first page, unfiltered, and the users to filter by (owners and admins)."""
        self.actor, self.action, self.date_from, self.date_to = ALL, ALL, "", ""
        self._first_page()
        if self.audit_error:
            return
        with unit_of_work(read_only=True) as session:
            found = team.list_users(session, principal=self._me())
        self.users = [Choice(str(user.id), user.name or user.email) for user, _ in found]

    def _first_page(self) -> None:
        self.cursor, self.earlier = "", []
        self._read()

    def _read(self) -> None:
        principal = self._me()
        self.audit_error = ""
        try:
            page = self._page(principal)
        except DomainError as exc:
            self.events, self.next_cursor = [], ""
            self.audit_error = self._say(exc)
            return
        self.events = [
            AuditRow(
                id=event.id or 0,
                when=local_datetime(event.created_at, principal.timezone),
                who=name,
                action=event.action,
                label=self._label(event.action),
                what=describe(event, self.locale),
            )
            for event, name in page.rows
        ]
        self.next_cursor = page.next_cursor

    def _label(self, action: str) -> str:
        label = self._t(f"audit.action.{action}")
        return action if label.startswith("audit.action.") else label

    def _page(self, principal: Principal) -> audit.AuditPage:
        filters = audit.AuditFilters(
            actor_id=int(self.actor) if self.actor.isdigit() else None,
            action="" if self.action == ALL else self.action,
            date_from=_day(self.date_from),
            date_to=_day(self.date_to),
        )
        with unit_of_work(read_only=True) as session:
            return audit.list_events(
                session, principal=principal, filters=filters, cursor=self.cursor, limit=PAGE_SIZE
            )

    @rx.event
    def filter_actor(self, value: str) -> None:
        """Only this user's events (``all``: everyone's)."""
        self.actor = str(value or ALL)
        self._first_page()

    @rx.event
    def filter_action(self, value: str) -> None:
        """Only this action's events (``all``: every action)."""
        self.action = str(value or ALL)
        self._first_page()

    @rx.event
    def filter_from(self, value: str) -> None:
        """Events on or after this day (typed or picked; the business's time zone)."""
        self._filter_day("date_from", value)

    @rx.event
    def filter_to(self, value: str) -> None:
        """Events on or before this day."""
        self._filter_day("date_to", value)

    def _filter_day(self, name: str, value: str) -> None:
        """Set a day filter; a day that is not one is said under the filters, not applied."""
        try:
            day = day_from_input(value)
        except DomainError as exc:
            self.audit_error = self._say(exc)
            return
        if day != getattr(self, name):
            setattr(self, name, day)
            self._first_page()

    @rx.event
    def clear_filters(self) -> None:
        """Show every event again."""
        self.actor, self.action, self.date_from, self.date_to = ALL, ALL, "", ""
        self._first_page()

    @rx.event
    def next_page(self) -> None:
        """Older events."""
        if self.next_cursor:
            self.earlier = [*self.earlier, self.cursor]
            self.cursor = self.next_cursor
            self._read()

    @rx.event
    def prev_page(self) -> None:
        """Newer events."""
        if self.earlier:
            self.cursor, self.earlier = self.earlier[-1], self.earlier[:-1]
            self._read()


SECTION_LOADERS["audit"] = AuditLogState.load
