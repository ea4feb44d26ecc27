"""``/leads/[id]``: one lead, its activity, and previous/next within the list."""

from __future__ import annotations

import reflex as rx

from crm_app.components.booking_dialog import appointment_dialog, booking_dialog
from crm_app.components.i18n import ltr, t
from crm_app.components.layout import page_frame
from crm_app.components.lead_details import details_card
from crm_app.components.lead_header import lead_header, navigation
from crm_app.components.lead_tabs import lead_tabs
from crm_app.components.notes import composer, files_panel, notes_panel
from crm_app.components.tasks import task_form, task_item
from crm_app.state.booking import LeadBookingState
from crm_app.state.lead import LeadState
from crm_app.state.notes import NotesState
from crm_app.state.tasks import LeadTasksState


def lead_tasks_panel() -> rx.Component:
    """The lead's tasks, and a form that adds one about the lead."""
    return rx.vstack(
        task_form(LeadTasksState.add_for_lead, LeadTasksState.task_error),
        rx.cond(
            LeadTasksState.lead_tasks.length() > 0,
            rx.vstack(
                rx.foreach(LeadTasksState.lead_tasks, lambda r: task_item(LeadTasksState, r)),
                width="100%",
                spacing="0",
            ),
            rx.text(t("tasks.none_for_lead"), color_scheme="gray", size="2"),
        ),
        width="100%",
        spacing="3",
        id="lead-tasks",
    )


def _lead_appointment(a: rx.Var) -> rx.Component:
    return rx.el.button(
        rx.icon("calendar", size=16),
        ltr(a["when"], font_weight="500"),
        rx.text(a["title"], flex="1", min_width="0"),
        rx.badge(a["status"]),
        type="button",
        class_name="agenda-item",
        on_click=LeadBookingState.open_appointment(a["id"]),
        custom_attrs={"data-testid": "lead-appointment"},
    )


def lead_appointments_panel() -> rx.Component:
    """The lead's appointments (each opens to move or cancel it), and booking one."""
    return rx.vstack(
        rx.button(rx.icon("calendar-plus", size=16), t("lead.book"), id="lead-book",
                  on_click=LeadBookingState.book_this_lead),
        rx.cond(
            LeadState.appointments.length() > 0,
            rx.vstack(
                rx.foreach(LeadState.appointments, _lead_appointment), width="100%", spacing="2"
            ),
            rx.text(t("lead.no_appointments"), color_scheme="gray"),
        ),
        booking_dialog(LeadBookingState),
        appointment_dialog(LeadBookingState),
        width="100%",
        spacing="3",
    )  # fmt: skip


def lead_page() -> rx.Component:
    return page_frame(
        rx.vstack(
            navigation(),
            rx.cond(
                LeadState.found,
                rx.vstack(
                    lead_header(),
                    details_card(),
                    lead_tabs(
                        notes=notes_panel(),
                        files=files_panel(),
                        tasks=lead_tasks_panel(),
                        appointments=lead_appointments_panel(),
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
