"""The calls list: a table on a desktop, cards on a phone, from the same rows.

Both layouts are rendered; ``assets/styles.css`` shows one by the screen's width.
A row or card opens its call at ``/calls/{id}`` and reads as selected while open.
"""

from __future__ import annotations

import reflex as rx

from crm_app.components.empty_state import empty_state
from crm_app.components.i18n import ltr, t, tf, tn
from crm_app.components.listing import keyset_pager, list_card
from crm_app.components.viewport import by_width
from crm_app.state.calls import CallsState, CallViewState

COLUMNS = ("when", "direction", "from", "lead", "status", "duration", "recording", "summary")


def _selected(row: rx.Var, aria: str) -> dict[str, rx.Var]:
    """The open call's row reads as selected (``aria`` names the attribute its role allows)."""
    chosen = rx.cond(CallViewState.call["id"] == row["id"], "true", "false")
    return {"data-call-id": row["id"], "data-selected": chosen, aria: chosen}


def _lead(row: rx.Var) -> rx.Component:
    return rx.cond(
        row["lead_id"] != 0,
        rx.link(
            rx.cond(row["lead_name"] != "", row["lead_name"], ltr(row["caller"])),
            href="/leads/" + row["lead_id"].to_string(),
            on_click=rx.stop_propagation,
        ),
        rx.text("—"),
    )


def _row(row: rx.Var) -> rx.Component:
    # The time is a link for the keyboard; the row's own click opens the call.
    when = rx.link(row["when"], href="/calls/" + row["id"].to_string(), on_click=rx.prevent_default)
    return rx.table.row(
        rx.table.cell(when),
        rx.table.cell(row["direction"]),
        rx.table.cell(ltr(row["caller"])),
        rx.table.cell(_lead(row)),
        rx.table.cell(row["status"]),
        rx.table.cell(row["duration"]),
        rx.table.cell(
            rx.cond(row["has_recording"], rx.icon("audio-lines", size=16), rx.fragment())
        ),
        rx.table.cell(rx.text(row["summary"], dir="auto", size="2", trim="both", max_width="28em")),
        on_click=CallsState.select(row["id"]),
        cursor="pointer",
        class_name="call-row",
        custom_attrs={"data-testid": "call-row", **_selected(row, "aria-selected")},
    )


def _card(row: rx.Var) -> rx.Component:
    # A link for the keyboard; the card's own click opens the call (keeping the filters).
    name = rx.link(
        rx.cond(row["lead_name"] != "", row["lead_name"], t("calls.card.unknown_caller")),
        href="/calls/" + row["id"].to_string(),
        on_click=rx.prevent_default,
    )
    return list_card(
        name=name,
        phone=row["caller"],
        status=rx.badge(row["status"]),
        when=rx.text(row["direction"] + " · " + row["when"], size="1", color_scheme="gray"),
        on_click=CallsState.select(row["id"]),
        attrs={"data-testid": "call-card", **_selected(row, "aria-current")},
    )


def _table() -> rx.Component:
    return rx.table.root(
        rx.table.header(
            rx.table.row(*[rx.table.column_header_cell(t(f"calls.col.{c}")) for c in COLUMNS])
        ),
        rx.table.body(rx.foreach(CallsState.rows, _row)),
        width="100%",
        variant="surface",
        class_name="desktop-only",
    )


def call_table() -> rx.Component:
    """One page of calls (a table, or cards on a phone) with a keyset pager."""
    total = rx.cond(
        CallsState.total_exact,
        tn("calls.total", CallsState.total),
        tf("calls.total_estimate", count=CallsState.total),
    )
    return rx.vstack(
        rx.cond(CallsState.error != "", rx.callout(CallsState.error, color_scheme="red")),
        rx.cond(
            CallsState.rows.length() > 0,
            by_width(
                rx.el.ul(
                    rx.foreach(CallsState.rows, _card),
                    class_name="phone-only list-cards",
                    id="call-cards",
                    aria_label=t("calls.title"),
                ),
                _table(),
            ),
            empty_state(
                name="calls", filtered=CallsState.has_filters, on_clear=CallsState.clear_filters
            ),
        ),
        keyset_pager(
            total,
            prev_cursor=CallsState.prev_cursor,
            next_cursor=CallsState.next_cursor,
            on_prev=CallsState.prev_page,
            on_next=CallsState.next_page,
            ids=("call-total", "call-page-prev", "call-page-next"),
        ),
        width="100%",
        spacing="3",
    )
