"""``/leads``: search, filter, sort, page, select, create and export leads."""

from __future__ import annotations

import reflex as rx

from crm_app.components.i18n import t
from crm_app.components.layout import page_frame
from crm_app.components.lead_actions import bulk_bar, export_menu, export_progress, new_lead_dialog
from crm_app.components.lead_filters import filters_bar
from crm_app.components.lead_table import lead_table


def leads_page() -> rx.Component:
    return page_frame(
        rx.vstack(
            rx.hstack(new_lead_dialog(), export_menu(), spacing="3"),
            export_progress(),
            filters_bar(),
            bulk_bar(),
            lead_table(),
            spacing="4",
            width="100%",
        ),
        title=t("leads.title"),
    )
