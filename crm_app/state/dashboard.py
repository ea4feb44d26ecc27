"""The dashboard page's state: the range (in the URL), each tile's figures, the short lists."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import reflex as rx
from reflex.event import EventSpec

from crm_app.db import unit_of_work
from crm_app.i18n import translate
from crm_app.i18n.formats import local_datetime
from crm_app.services import dashboard
from crm_app.services.errors import DomainError
from crm_app.services.phones import display_phone
from crm_app.state.session import SessionState

TILE_NAMES = tuple(dashboard.TILES)


@dataclass(frozen=True)
class Figure:
    """One figure of a tile, labelled in the user's language."""

    key: str
    label: str
    value: str
    href: str


@dataclass(frozen=True)
class ListRow:
    """A line of one of the short lists."""

    title: str
    detail: str
    href: str


@dataclass(frozen=True)
class ActivityRow:
    """A line of the latest activity: whose, what happened, when."""

    title: str
    what: str
    detail: str
    href: str


def _label(tile: str, key: str, locale: str) -> str:
    if tile == "sources":
        return translate(f"source.{key}", locale)
    if tile == "funnel":
        return key  # replaced by the status's label in the state
    return translate(f"dashboard.{tile}.{key}", locale)


class DashboardState(SessionState):
    """The business's figures for the chosen range."""

    range: str = "7d"
    date_from: str = ""
    date_to: str = ""
    figures: dict[str, list[Figure]] = {}
    errors: dict[str, str] = {}
    per_day: list[dict[str, Any]] = []  # the chart's bars: {"day": "12-01", "calls": 3}
    call_back: list[ListRow] = []
    missed: list[ListRow] = []
    latest: list[ActivityRow] = []
    range_error: str = ""

    @rx.event
    def load(self) -> EventSpec:
        """Read the range from the URL and count every tile."""
        params = self.router.url.query_parameters
        self.range = params.get("range") or "7d"
        self.date_from, self.date_to = params.get("from", ""), params.get("to", "")
        principal = self._me()
        try:
            period = dashboard.parse_range(
                self.range, self.date_from, self.date_to, principal.timezone
            )
            self.range_error = ""
        except DomainError as exc:
            self.range_error = self._say(exc)
            period = dashboard.parse_range("7d", "", "", principal.timezone)
        self.date_from, self.date_to = period.first.isoformat(), period.last.isoformat()
        self._count(principal, period)
        return self._language_script()

    def _count(self, principal: Any, period: dashboard.Range) -> None:
        tiles = {n: dashboard.compute(n, principal=principal, period=period) for n in TILE_NAMES}
        self.errors = {n: tile.error for n, tile in tiles.items()}  # "" for a tile that counted
        labels = self._status_labels(principal)
        self.figures = {
            name: [
                Figure(p.key, labels.get(p.key, p.key) if name == "funnel"
                       else _label(name, p.key, self.locale), _shown(name, p), p.href)
                for p in tile.parts
            ]
            for name, tile in tiles.items()
        }  # fmt: skip
        self.per_day = [{"day": p.key[5:], "calls": int(p.value)} for p in tiles["per_day"].parts]
        with unit_of_work(read_only=True) as session:
            found = dashboard.lists(session, principal=principal, period=period)
        tz = principal.timezone
        self.call_back = [
            ListRow(task.title, local_datetime(task.due_at, tz), _lead_href(task.lead_id))
            for task, _ in found.call_back
        ]
        self.missed = [
            ListRow(name or phone, local_datetime(call.created_at, tz), f"/calls/{call.id}")
            for call, name in found.missed
            if (phone := display_phone(call.from_number)) is not None
        ]
        self.latest = [
            ActivityRow(
                a.lead_name if a.kind != "call" or a.lead_id else _phone(a.lead_name),
                self._what(a, labels),
                local_datetime(a.at, tz),
                a.href,
            )
            for a in found.latest
        ]

    def _what(self, activity: dashboard.Activity, statuses: dict[str, str]) -> str:
        detail = activity.detail
        if activity.kind == "lead":
            detail = translate(f"source.{detail}", self.locale)
        elif activity.kind == "call":
            detail = translate(f"calls.direction.{detail}", self.locale)
        elif activity.kind == "status":
            detail = statuses.get(detail, detail)
        return translate(f"dashboard.activity.{activity.kind}", self.locale, detail=detail)

    def _status_labels(self, principal: Any) -> dict[str, str]:
        from crm_app.services import statuses  # noqa: PLC0415 - only the funnel needs them

        with unit_of_work(read_only=True) as session:
            rows = statuses.list_statuses(session, business_id=principal.business_id)
        return {s.key: statuses.status_label(s, self.locale) for s in rows}

    def _go(self, **params: str) -> EventSpec:
        return rx.redirect("/dashboard?" + urlencode({k: v for k, v in params.items() if v}))

    @rx.event
    def choose_range(self, value: str) -> EventSpec:
        """Today, 7 days, 30 days, or the custom dates."""
        if value == "custom":
            return self._go(range="custom", **{"from": self.date_from, "to": self.date_to})
        return self._go(range=value)

    @rx.event
    def set_custom(self, form: dict[str, str]) -> EventSpec:
        """Show the custom range from the form's two dates."""
        return self._go(range="custom", **{"from": form.get("from", ""), "to": form.get("to", "")})


def _phone(number: str) -> str:
    return display_phone(number) or number


def _lead_href(lead_id: int | None) -> str:
    return f"/leads/{lead_id}" if lead_id else "/tasks"


def _shown(tile: str, part: dashboard.Part) -> str:
    if tile == "calls" and part.key == "average_seconds":
        seconds = int(part.value)
        return f"{seconds // 60}:{seconds % 60:02d}"
    return str(int(part.value))
