"""``/calls`` and ``/calls/{id}``: the business's calls, with one call open beside them.

On a desktop the open call sits beside the list (sticky, in view); on a phone it
is a full-screen sheet (``assets/styles.css``). The same page serves both routes.
"""

from __future__ import annotations

import reflex as rx

from crm_app.components.call_list import call_table
from crm_app.components.calls import call_detail, call_filters
from crm_app.components.i18n import t
from crm_app.components.layout import page_frame
from crm_app.state.calls import CallsState, CallViewState


def calls_page() -> rx.Component:
    return page_frame(
        rx.vstack(
            call_filters(),
            rx.box(
                rx.box(call_table(), class_name="calls-list"),
                rx.box(
                    call_detail(on_close=CallsState.deselect),
                    class_name="calls-panel",
                    id="call-panel",
                    custom_attrs={
                        "data-open": rx.cond(CallViewState.is_open, "true", "false"),
                        "aria-labelledby": "call-heading",
                        "role": "region",
                    },
                ),
                class_name="calls-layout",
                custom_attrs={"data-open": rx.cond(CallViewState.is_open, "true", "false")},
            ),
            spacing="4",
            width="100%",
        ),
        title=t("calls.title"),
    )
