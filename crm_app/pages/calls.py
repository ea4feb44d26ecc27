"""``/calls``: the business's calls, filtered and paged, with one call open in detail."""

from __future__ import annotations

import reflex as rx

from crm_app.components.calls import call_detail, call_filters, call_table
from crm_app.components.i18n import t
from crm_app.components.layout import page_frame


def calls_page() -> rx.Component:
    return page_frame(
        rx.vstack(
            call_filters(),
            call_detail(),
            call_table(),
            spacing="4",
            width="100%",
        ),
        title=t("calls.title"),
    )
