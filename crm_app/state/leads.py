"""The lead list: filters live in the URL, one page of rows lives in the state.

Every control changes the URL (so a link can be shared and Back works); the
page's ``on_load`` reads the URL and asks the one lead query for one page.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import reflex as rx
from reflex.event import EventSpec

from crm_app.db import unit_of_work
from crm_app.i18n import translate
from crm_app.i18n.formats import local_datetime
from crm_app.models import LeadFieldKind, LeadSource
from crm_app.services import lead_fields, lead_query, leads, statuses
from crm_app.services.auth import Principal
from crm_app.services.errors import DomainError
from crm_app.services.lead_query import LeadFilters
from crm_app.services.phones import display_phone
from crm_app.state.days import day_from_input
from crm_app.state.session import SessionState

PAGE_SIZE = 50
ALL = "all"  # the "no filter" choice (Radix selects cannot hold an empty value)


@dataclass(frozen=True)
class LeadRow:
    """A lead in the list, as the table shows it."""

    id: int
    name: str
    phone: str
    email: str
    status: str
    status_color: str
    source: str
    owner: str
    created: str
    href: str  # the lead page, remembering the list it was opened from


@dataclass(frozen=True)
class StatusOption:
    """A status to filter or change to (``id`` is a form value)."""

    id: str
    key: str
    label: str
    color: str
    closed: bool


@dataclass(frozen=True)
class Choice:
    """A value of a select and its label."""

    value: str
    label: str


def status_options(rows: Any, locale: str) -> list[StatusOption]:
    """The business's statuses as choices, labelled in ``locale``."""
    return [
        StatusOption(
            id=str(s.id),
            key=s.key,
            label=statuses.status_label(s, locale),
            color=s.color,
            closed=s.is_closed,
        )
        for s in rows
    ]


def owner_choices(users: Any) -> list[Choice]:
    """The business's users, to assign a lead to."""
    return [Choice(value=str(u.id), label=u.name) for u in users]


def _row(row: Any, locale: str, timezone: str, list_query: str) -> LeadRow:
    return LeadRow(
        id=row.id,
        name=row.name,
        phone=display_phone(row.phone_e164),
        email=row.email,
        status=row.status_en if locale == "en" else row.status_he,
        status_color=row.status_color,
        source=translate(f"source.{row.source}", locale),
        owner=row.owner_name or "",
        created=local_datetime(row.created_at, timezone),
        href=f"/leads/{row.id}?{urlencode({'from': list_query})}"
        if list_query
        else f"/leads/{row.id}",
    )


@dataclass(frozen=True)
class FieldFilter:
    """A choice field of the business's own, as a filter: its choices and the chosen one."""

    key: str
    label: str
    choices: list[str]
    value: str


class LeadsState(SessionState):
    """The list's filters (mirroring the URL), one page of rows and the selection."""

    rows: list[LeadRow] = []
    total: int = 0
    total_exact: bool = True
    next_cursor: str = ""
    prev_cursor: str = ""
    q: str = ""
    status_filter: list[str] = []
    source_filter: str = ALL
    owner_filter: str = ALL
    created_from: str = ""
    created_to: str = ""
    sort: str = "-created_at"
    status_options: list[StatusOption] = []
    owner_options: list[Choice] = []
    selected: list[int] = []
    error: str = ""
    field_filters: list[FieldFilter] = []
    custom_filter: dict[str, str] = {}  # f.<key> -> value, as in the URL

    @rx.var
    def source_options(self) -> list[Choice]:
        """Sources with labels in the user's language."""
        return [Choice(s.value, translate(f"source.{s.value}", self.locale)) for s in LeadSource]

    @rx.var
    def has_filters(self) -> bool:
        """Whether anything narrows the list."""
        return bool(
            self.q
            or self.status_filter
            or self.source_filter != ALL
            or self.owner_filter != ALL
            or self.created_from
            or self.created_to
            or self.custom_filter
        )

    @rx.var
    def all_selected(self) -> bool:
        """Whether every row on the page is ticked."""
        return bool(self.rows) and len(self.selected) == len(self.rows)

    def _filters(self) -> LeadFilters:
        """The current filters as the query builder wants them."""
        return lead_query.parse_filters(self._params())

    def _params(self, **changes: str) -> dict[str, str]:
        params = {
            "q": self.q,
            "status": ",".join(self.status_filter),
            "source": "" if self.source_filter == ALL else self.source_filter,
            "owner": "" if self.owner_filter == ALL else self.owner_filter,
            "created_from": self.created_from,
            "created_to": self.created_to,
            "sort": "" if self.sort == "-created_at" else self.sort,
            **self.custom_filter,
        }
        params.update(changes)
        return {k: v for k, v in params.items() if v}

    def _go(self, replace: bool = False, **changes: str) -> EventSpec:
        query = urlencode(self._params(**changes))
        return rx.redirect(f"/leads?{query}" if query else "/leads", replace=replace)

    def _read_url(self) -> str:
        params = dict(self.router.url.query_parameters)
        self.q = params.get("q", "")
        self.status_filter = [s for s in params.get("status", "").split(",") if s]
        self.source_filter = params.get("source") or ALL
        self.owner_filter = params.get("owner") or ALL
        self.created_from = params.get("created_from", "")
        self.created_to = params.get("created_to", "")
        self.sort = params.get("sort") or "-created_at"
        self.custom_filter = {
            k: v for k, v in params.items() if k.startswith(lead_query.CUSTOM_PREFIX) and v
        }
        return params.get("cursor", "")

    def _load_options(self, principal: Principal) -> None:
        with unit_of_work() as session:
            rows = statuses.list_statuses(session, business_id=principal.business_id)
            users = leads.business_users(session, principal=principal)
            fields = lead_fields.list_fields(session, business_id=principal.business_id)
        self.status_options = status_options(rows, self.locale)
        self.owner_options = owner_choices(users)
        prefix = lead_query.CUSTOM_PREFIX
        self.field_filters = [
            FieldFilter(
                key=f.key,
                label=f.label_en if self.locale == "en" else f.label_he,
                choices=list(f.choices),
                value=self.custom_filter.get(prefix + f.key, ""),
            )
            for f in fields
            if f.kind == LeadFieldKind.CHOICE
        ]

    def _fetch(self, principal: Principal, cursor: str) -> None:
        list_query = urlencode({**self._params(), **({"cursor": cursor} if cursor else {})})
        with unit_of_work() as session:
            page = lead_query.fetch_page(
                session,
                principal=principal,
                filters=self._filters(),
                cursor=cursor or None,
                limit=PAGE_SIZE,
            )
        self.rows = [_row(r, self.locale, principal.timezone, list_query) for r in page.rows]
        self.total, self.total_exact = page.total, page.total_exact
        self.next_cursor = page.next_cursor or ""
        self.prev_cursor = page.prev_cursor or ""

    @rx.event
    def load(self) -> EventSpec:
        """Read the URL and fetch one page (never the whole table)."""
        principal = self._me()
        cursor = self._read_url()
        self.selected, self.error = [], ""
        self._load_options(principal)
        try:
            self._fetch(principal, cursor)
        except DomainError as exc:
            self.rows, self.error = [], self._say(exc)
        return self._language_script()

    @rx.event
    def search(self, value: str) -> EventSpec:
        """Search as the user types (debounced by the input); replaces the history entry."""
        return self._go(replace=True, q=value.strip())

    @rx.event
    def toggle_status(self, key: str) -> EventSpec:
        """Add or remove a status from the filter."""
        chosen = [s for s in self.status_filter if s != key]
        if key not in self.status_filter:
            chosen.append(key)
        return self._go(status=",".join(chosen))

    @rx.event
    def set_source_filter(self, value: str) -> EventSpec:
        """Filter by source (``all`` clears)."""
        return self._go(source="" if value == ALL else value)

    @rx.event
    def set_owner_filter(self, value: str) -> EventSpec:
        """Filter by owner: ``me``, ``unassigned``, a user id, or ``all``."""
        return self._go(owner="" if value == ALL else value)

    @rx.event
    def set_created_from(self, value: str) -> EventSpec | None:
        """Leads created on or after this date (typed or picked)."""
        day = day_from_input(value)
        return None if day == self.created_from else self._go(created_from=day)

    @rx.event
    def set_created_to(self, value: str) -> EventSpec | None:
        """Leads created on or before this date (typed or picked)."""
        day = day_from_input(value)
        return None if day == self.created_to else self._go(created_to=day)

    @rx.event
    def set_field_filter(self, key: str, value: str) -> EventSpec:
        """Filter by one of the business's choice fields ("" clears it)."""
        changes: dict[str, str] = {lead_query.CUSTOM_PREFIX + key: value}
        return self._go(False, **changes)

    @rx.event
    def sort_by(self, column: str) -> EventSpec:
        """Sort by a column; clicking it again reverses the order."""
        new = f"-{column}" if self.sort == column else column
        return self._go(sort="" if new == "-created_at" else new)

    @rx.event
    def sort_as(self, sort: str) -> EventSpec:
        """Sort as a phone's sort menu says (``name``, ``-created_at``...)."""
        return self._go(sort="" if sort == "-created_at" else sort)

    @rx.event
    def clear_filters(self) -> EventSpec:
        """Back to the whole list."""
        return rx.redirect("/leads")

    @rx.event
    def next_page(self) -> EventSpec:
        """The page after this one."""
        return self._go(cursor=self.next_cursor)

    @rx.event
    def prev_page(self) -> EventSpec:
        """The page before this one."""
        return self._go(cursor=self.prev_cursor)

    @rx.event
    def toggle_row(self, lead_id: int) -> None:
        """Tick or untick one row."""
        if lead_id in self.selected:
            self.selected = [i for i in self.selected if i != lead_id]
        else:
            self.selected = [*self.selected, lead_id]

    @rx.event
    def toggle_all(self) -> None:
        """Tick every row on the page, or none."""
        self.selected = [] if self.all_selected else [r.id for r in self.rows]
