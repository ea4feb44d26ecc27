"""``/appointments``: the appointments booked in a period, each opening its lead."""

from __future__ import annotations

import reflex as rx

from crm_app.components.i18n import ltr, t
from crm_app.components.layout import page_frame
from crm_app.state.appointments import AppointmentsState as S


def _row(row: rx.Var) -> rx.Component:
    lead = rx.cond(
        row["href"] != "",
        rx.link(row["lead"], href=row["href"], weight="medium"),
        rx.text(row["lead"], weight="medium"),
    )
    return rx.flex(
        rx.icon("calendar", size=18, flex_shrink="0"),
        rx.vstack(
            rx.hstack(lead, rx.badge(row["status"]), align="center", wrap="wrap", spacing="2"),
            rx.text(row["title"], size="2"),
            rx.text(t("appointments.booked_on"), " ", ltr(row["booked"]), size="1",
                    color_scheme="gray"),
            spacing="1",
            min_width="0",
            flex="1",
        ),
        rx.text(ltr(row["when"]), weight="medium", size="2", white_space="nowrap"),
        gap="3",
        align="start",
        width="100%",
        padding_y="0.6em",
        border_bottom="1px solid var(--gray-a4)",
        custom_attrs={"data-testid": "booked-row"},
    )  # fmt: skip


def appointments_page() -> rx.Component:
    """The bookings of the period, newest first."""
    return page_frame(
        rx.vstack(
            rx.hstack(
                rx.text(ltr(S.first), " – ", ltr(S.last), id="booked-range"),
                rx.badge(S.total, id="booked-total", size="2"),
                align="center",
                spacing="2",
            ),
            rx.cond(S.error != "", rx.callout(S.error, color_scheme="red")),
            rx.cond(
                S.rows.length() > 0,
                rx.box(rx.foreach(S.rows, _row), width="100%"),
                rx.text(t("appointments.none_booked"), color_scheme="gray"),
            ),
            rx.link(t("appointments.to_dashboard"), href="/dashboard", size="2"),
            spacing="4",
            width="100%",
        ),
        title=t("appointments.booked_title"),
    )
