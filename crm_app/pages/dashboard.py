"""``/dashboard``: headline figures."""

from __future__ import annotations

import reflex as rx

from crm_app.components.i18n import t
from crm_app.components.layout import page_frame
from crm_app.state.dashboard import DashboardState

TILES = ("leads_total", "open_leads", "leads_new_week", "calls_today")


def _tile(name: str) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.text(t(f"dashboard.{name}"), size="2", color_scheme="gray"),
            rx.heading(DashboardState.tiles[name].to_string(), size="7", id=f"tile-{name}"),
        ),
        min_width="12em",
    )


def dashboard_page() -> rx.Component:
    """The dashboard."""
    return page_frame(
        rx.hstack(*[_tile(n) for n in TILES], spacing="4", wrap="wrap"), title=t("dashboard.title")
    )
