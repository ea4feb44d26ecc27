"""``/leads/[id]``: one lead."""

from __future__ import annotations

import reflex as rx

from crm_app.components.i18n import ltr, t
from crm_app.components.layout import page_frame
from crm_app.state.lead import LeadState


def _fact(label_key: str, value: rx.Component | rx.Var) -> rx.Component:
    return rx.vstack(
        rx.text(t(label_key), size="1", color_scheme="gray"),
        value if isinstance(value, rx.Component) else rx.text(value),
        spacing="1",
    )


def lead_header() -> rx.Component:
    """Name, phone and the lead's key facts."""
    lead = LeadState.lead
    return rx.vstack(
        rx.heading(rx.cond(lead["name"] != "", lead["name"], t("leads.no_name")), id="lead-name"),
        rx.hstack(
            _fact("lead.phone", rx.link(ltr(lead["phone"]), href="tel:" + lead["phone_e164"])),
            _fact("lead.email", ltr(lead["email"])),
            _fact("lead.status", rx.badge(lead["status"], color_scheme=lead["status_color"])),
            _fact("lead.owner", rx.cond(lead["owner"] != "", lead["owner"], t("lead.unassigned"))),
            _fact("lead.source", lead["source"]),
            _fact("lead.created", lead["created"]),
            spacing="6",
            wrap="wrap",
        ),
        spacing="4",
    )


def lead_page() -> rx.Component:
    """The lead page."""
    return page_frame(
        rx.link(t("lead.back"), href="/leads"),
        rx.cond(
            LeadState.found, lead_header(), rx.callout(t("lead.not_found"), id="lead-not-found")
        ),
    )
