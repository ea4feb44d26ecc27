"""The dashboard page's state."""

from __future__ import annotations

import reflex as rx
from reflex.event import EventSpec

from crm_app.db import unit_of_work
from crm_app.services import dashboard
from crm_app.state.session import SessionState


class DashboardState(SessionState):
    """The business's headline figures."""

    tiles: dict[str, int] = {}

    @rx.event
    def load(self) -> EventSpec:
        """Read the figures."""
        with unit_of_work() as session:
            result = dashboard.summary(session, principal=self._me())
        self.tiles = {
            "leads_total": result.leads_total,
            "leads_new_week": result.leads_new_week,
            "open_leads": result.open_leads,
            "calls_today": result.calls_today,
        }
        return self._language_script()
