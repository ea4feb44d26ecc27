"""Pieces every list page shares: a date filter and a keyset pager."""

from __future__ import annotations

import reflex as rx

from crm_app.components.i18n import t


def date_filter(label_key: str, value: rx.Var, handler: rx.EventHandler, id_: str) -> rx.Component:
    """A labelled date input (``YYYY-MM-DD``) whose change rewrites the URL."""
    return rx.hstack(
        rx.el.label(t(label_key), html_for=id_, class_name="rt-Text rt-r-size-2 gray-label"),
        rx.input(type="date", value=value, on_change=handler, id=id_, size="2"),
        align="center",
        spacing="2",
    )


def keyset_pager(
    total: rx.Var,
    *,
    prev_cursor: rx.Var,
    next_cursor: rx.Var,
    on_prev: rx.EventHandler,
    on_next: rx.EventHandler,
    ids: tuple[str, str, str],
) -> rx.Component:
    """The total and previous/next buttons (keyset: any page costs the same).

    ``ids`` names the total, the previous button and the next button.
    """
    total_id, prev_id, next_id = ids
    return rx.hstack(
        rx.text(total, size="2", color_scheme="gray", id=total_id),
        rx.spacer(),
        rx.button(
            t("leads.page.prev"),
            on_click=on_prev,
            disabled=prev_cursor == "",
            variant="soft",
            id=prev_id,
        ),
        rx.button(
            t("leads.page.next"),
            on_click=on_next,
            disabled=next_cursor == "",
            variant="soft",
            id=next_id,
        ),
        width="100%",
        align="center",
    )
