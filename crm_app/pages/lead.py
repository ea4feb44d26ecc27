"""``/leads/[id]``: one lead, its activity, and previous/next within the list."""

from __future__ import annotations

import reflex as rx

from crm_app.components.i18n import t
from crm_app.components.layout import page_frame
from crm_app.components.lead_header import lead_header, navigation
from crm_app.components.lead_tabs import lead_tabs
from crm_app.components.notes import composer, files_panel, notes_panel
from crm_app.state.lead import LeadState
from crm_app.state.notes import NotesState


def lead_page() -> rx.Component:
    return page_frame(
        rx.vstack(
            navigation(),
            rx.cond(
                LeadState.found,
                rx.vstack(
                    lead_header(),
                    lead_tabs(
                        notes=notes_panel(),
                        files=files_panel(),
                        quick_add=composer(),
                        on_change=NotesState.open_tab,
                    ),
                    spacing="5",
                    width="100%",
                ),
                rx.callout(t("lead.not_found"), id="lead-not-found"),
            ),
            spacing="4",
            width="100%",
        ),
    )
