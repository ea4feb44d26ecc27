"""The lead table: sortable headers, selectable rows, keyset pager; cards on a phone."""

from __future__ import annotations

import reflex as rx

from crm_app.components.empty_state import empty_state
from crm_app.components.fields import NATIVE_SELECT
from crm_app.components.i18n import ltr, t, tf, tn
from crm_app.components.listing import keyset_pager, list_card
from crm_app.components.viewport import by_width
from crm_app.state.leads import LeadsState

SORTABLE = {"name": "name", "status": "status", "source": "source", "created": "created_at"}
COLUMNS = ("name", "phone", "email", "status", "source", "owner", "created")


def _sort_icon(sort_key: str) -> rx.Component:
    return rx.cond(
        LeadsState.sort == sort_key,
        rx.icon("arrow-up", size=14),
        rx.cond(LeadsState.sort == "-" + sort_key, rx.icon("arrow-down", size=14), rx.fragment()),
    )


def _header(column: str) -> rx.Component:
    label = t(f"leads.col.{column}")
    if column not in SORTABLE:
        return rx.table.column_header_cell(label)
    key = SORTABLE[column]
    return rx.table.column_header_cell(
        rx.hstack(label, _sort_icon(key), spacing="1", align="center"),
        on_click=LeadsState.sort_by(key),
        cursor="pointer",
        id=f"sort-{column}",
    )


def _tick(row: rx.Var) -> rx.Component:
    # A native checkbox: a hundred of them (table and cards) render far quicker than
    # Radix's, and the list is on screen sooner.
    return rx.el.input(
        type="checkbox",
        checked=LeadsState.selected.contains(row["id"]),
        on_change=lambda _: LeadsState.toggle_row(row["id"]),
        class_name="row-tick",
        custom_attrs={"data-testid": "row-select", "aria-label": t("leads.select_row")},
    )


def _row(row: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(_tick(row)),
        rx.table.cell(
            rx.link(rx.cond(row["name"] != "", row["name"], t("leads.no_name")), href=row["href"])
        ),
        rx.table.cell(ltr(row["phone"])),
        rx.table.cell(ltr(row["email"])),
        rx.table.cell(
            rx.badge(row["status"], color_scheme=row["status_color"], high_contrast=True)
        ),
        rx.table.cell(row["source"]),
        rx.table.cell(row["owner"]),
        rx.table.cell(row["created"]),
        custom_attrs={"data-testid": "lead-row", "data-lead-id": row["id"]},
    )


def _card(row: rx.Var) -> rx.Component:
    return list_card(
        name=rx.link(rx.cond(row["name"] != "", row["name"], t("leads.no_name")), href=row["href"]),
        phone=row["phone"],
        status=rx.badge(row["status"], color_scheme=row["status_color"], high_contrast=True),
        when=rx.text(row["created"], size="1", color_scheme="gray"),
        attrs={"data-testid": "lead-card", "data-lead-id": row["id"]},
        select=_tick(row),
    )


# What a phone's sort menu offers (a table sorts by its headers instead).
PHONE_SORTS = ("-created_at", "created_at", "name", "-name", "status", "source")


def phone_toolbar(select_all: rx.Component) -> rx.Component:
    """Above the cards: tick every card, and sort the list (the table's headers do both)."""
    return rx.hstack(
        rx.hstack(
            select_all,
            rx.el.label(t("leads.select_all_short"), html_for="select-all-cards"),
            spacing="2",
            align="center",
        ),
        rx.spacer(),
        rx.el.label(t("leads.sort_by"), html_for="phone-sort", class_name="gray-label rt-r-size-2"),
        rx.el.select(
            *[rx.el.option(t(f"leads.sort.{key}"), value=key) for key in PHONE_SORTS],
            value=LeadsState.sort,
            on_change=LeadsState.sort_as,
            id="phone-sort",
            class_name=NATIVE_SELECT,
        ),
        class_name="phone-only",
        align="center",
        width="100%",
        spacing="2",
    )


def pager() -> rx.Component:
    """The total and previous/next buttons (keyset: any page costs the same)."""
    total = rx.cond(
        LeadsState.total_exact,
        tn("leads.total", LeadsState.total),
        tf("leads.total_estimate", count=LeadsState.total),
    )
    return keyset_pager(
        total,
        prev_cursor=LeadsState.prev_cursor,
        next_cursor=LeadsState.next_cursor,
        on_prev=LeadsState.prev_page,
        on_next=LeadsState.next_page,
        ids=("lead-total", "page-prev", "page-next"),
    )


def lead_table() -> rx.Component:
    """The table of leads, or a friendly empty state."""

    def select_all(id_: str) -> rx.Component:
        return rx.checkbox(
            checked=LeadsState.all_selected,
            on_change=lambda _: LeadsState.toggle_all(),
            id=id_,
            custom_attrs={"aria-label": t("leads.select_all")},
        )

    return rx.vstack(
        rx.cond(LeadsState.error != "", rx.callout(LeadsState.error, color_scheme="red")),
        rx.cond(
            LeadsState.rows.length() > 0,
            by_width(
                rx.fragment(
                    phone_toolbar(select_all("select-all-cards")),
                    rx.el.ul(
                        rx.foreach(LeadsState.rows, _card),
                        class_name="phone-only list-cards",
                        id="lead-cards",
                        aria_label=t("leads.title"),
                    ),
                ),
                rx.table.root(
                    rx.table.header(
                        rx.table.row(
                            rx.table.column_header_cell(select_all("select-all")),
                            *[_header(c) for c in COLUMNS],
                        )
                    ),
                    rx.table.body(rx.foreach(LeadsState.rows, _row)),
                    width="100%",
                    variant="surface",
                    class_name="desktop-only",
                ),
            ),
            empty_state(
                name="leads", filtered=LeadsState.has_filters, on_clear=LeadsState.clear_filters
            ),
        ),
        pager(),
        width="100%",
        spacing="3",
    )
