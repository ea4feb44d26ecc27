"""``/appointments?from&to``: the appointments booked in a period (the dashboard's tile list)."""

from __future__ import annotations

from dataclasses import dataclass

import reflex as rx
from reflex.event import EventSpec

from crm_app.db import unit_of_work
from crm_app.i18n import translate
from crm_app.i18n.formats import local_datetime
from crm_app.services import appointments, dashboard
from crm_app.services.errors import DomainError
from crm_app.state.session import SessionState


@dataclass(frozen=True)
class BookedRow:
    """One booking: when it is, when it was booked, for whom."""

    id: int
    when: str
    booked: str
    title: str
    status: str
    lead: str
    href: str


class AppointmentsState(SessionState):
    """The bookings made in the period the URL names (the last 7 days when it names none)."""

    rows: list[BookedRow] = []
    total: int = 0
    first: str = ""  # the period's days, as the page shows them
    last: str = ""
    error: str = ""

    @rx.event
    def load(self) -> EventSpec:
        """Read the period from the URL and list what was booked in it."""
        params = self.router.url.query_parameters
        principal = self._me()
        self.error = ""
        try:
            period = dashboard.parse_range(
                "custom" if params.get("from") or params.get("to") else "7d",
                params.get("from", ""),
                params.get("to", ""),
                principal.timezone,
            )
        except DomainError as exc:
            self.error = self._say(exc)
            period = dashboard.parse_range("7d", "", "", principal.timezone)
        with unit_of_work(read_only=True) as session:
            self.total = appointments.count_booked(
                session, principal=principal, start=period.start, end=period.end
            )
            found = appointments.booked_between(
                session, principal=principal, start=period.start, end=period.end
            )
        tz = principal.timezone
        self.first, self.last = (d.strftime("%d/%m/%Y") for d in (period.first, period.last))
        self.rows = [
            BookedRow(
                id=a.id or 0,
                when=local_datetime(a.starts_at, tz),
                booked=local_datetime(a.created_at, tz),
                title=a.title,
                status=translate(f"appointments.status.{a.status}", self.locale),
                lead=lead,
                href=f"/leads/{a.lead_id}" if a.lead_id else "",
            )
            for a, lead in found
        ]
        return self._language_script()
