"""``/leads``: the business's leads."""

from __future__ import annotations

import reflex as rx

from crm_app.components.i18n import ltr, t, tf
from crm_app.components.layout import page_frame
from crm_app.state.leads import LeadsState

COLUMNS = ("name", "phone", "email", "status", "source", "owner", "created")


def _row(row: rx.Var[dict[str, str]]) -> rx.Component:
    return rx.table.row(
        rx.table.cell(
            rx.link(
                rx.cond(row["name"] != "", row["name"], t("leads.no_name")),
                href="/leads/" + row["id"],
            )
        ),
        rx.table.cell(ltr(row["phone"])),
        rx.table.cell(ltr(row["email"])),
        rx.table.cell(rx.badge(row["status"], color_scheme=row["status_color"])),
        rx.table.cell(row["source"]),
        rx.table.cell(row["owner"]),
        rx.table.cell(row["created"]),
        custom_attrs={"data-testid": "lead-row"},
    )


def lead_table() -> rx.Component:
    """The table of leads, or a friendly empty state."""
    return rx.cond(
        LeadsState.rows.length() > 0,
        rx.vstack(
            rx.table.root(
                rx.table.header(
                    rx.table.row(
                        *[rx.table.column_header_cell(t(f"leads.col.{c}")) for c in COLUMNS]
                    )
                ),
                rx.table.body(rx.foreach(LeadsState.rows, _row)),
                width="100%",
            ),
            rx.text(
                tf("leads.showing", count=LeadsState.rows.length()), size="1", color_scheme="gray"
            ),
            width="100%",
        ),
        rx.text(t("leads.empty")),
    )


def leads_page() -> rx.Component:
    """The lead list."""
    return page_frame(lead_table(), title=t("leads.title"))
