"""Pieces every list page shares: a date filter, a keyset pager and a phone's card."""

from __future__ import annotations

from typing import Any

import reflex as rx

from crm_app.components.i18n import ltr, t


def date_input(
    value: rx.Var, handler: rx.EventHandler, id_: str, aria_label: rx.Var | None = None
) -> rx.Component:
    """A day typed as ``dd/mm/yyyy`` (as the tables show days) or picked from a calendar.

    ``value`` is the ISO day the state keeps (and the URL carries); ``handler`` receives
    the typed text on blur or Enter, or the picked ISO day, and parses either with
    :func:`crm_app.i18n.formats.typed_day`. The text box is keyed by the value, so a
    day set elsewhere (clearing the filters, a reload) replaces what is shown. A box
    without a ``<label for>`` takes its accessible name from ``aria_label``.
    """
    iso = value.to(str)
    shown = rx.cond(iso == "", "", iso.split("-").reverse().join("/"))
    return rx.hstack(
        rx.input(
            default_value=shown,
            key=shown,
            on_blur=handler,
            placeholder=t("dates.placeholder"),
            id=id_,
            name=id_,  # inside a form, a control is submitted by name (and ignored there)
            size="2",
            dir="ltr",
            input_mode="numeric",
            auto_complete="off",
            class_name="date-text",
            custom_attrs={
                "data-date-text": "true",
                **({"aria-label": aria_label} if aria_label is not None else {}),
            },
        ),
        rx.el.input(
            type="date",
            value=iso,
            on_change=handler,
            id=f"{id_}-picker",
            name=f"{id_}-picker",
            tab_index=-1,
            class_name="date-native",
            custom_attrs={"aria-hidden": "true"},
        ),
        rx.icon_button(
            rx.icon("calendar", size=16),
            type="button",
            size="2",
            variant="soft",
            on_click=rx.call_script(f"document.getElementById('{id_}-picker').showPicker()"),
            custom_attrs={"aria-label": t("dates.pick")},
            id=f"{id_}-pick",
        ),
        spacing="1",
        align="center",
        class_name="date-input",
    )


def date_filter(label_key: str, value: rx.Var, handler: rx.EventHandler, id_: str) -> rx.Component:
    """A labelled :func:`date_input` whose change rewrites the URL."""
    return rx.hstack(
        rx.el.label(t(label_key), html_for=id_, class_name="rt-Text rt-r-size-2 gray-label"),
        date_input(value, handler, id_),
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


def list_card(
    *,
    name: rx.Component | rx.Var,
    phone: rx.Var,
    status: rx.Component,
    when: rx.Component,
    attrs: dict[str, Any],
    on_click: Any = None,
    select: rx.Component | None = None,
) -> rx.Component:
    """A list's row as a card on a phone: name and status, then phone and when.

    ``select`` (a checkbox) goes before the name when the list's rows can be ticked.
    The phone is an LTR isolate that never wraps (``.list-card bdi``, styles.css).
    """
    return rx.el.li(
        rx.hstack(
            *([select] if select is not None else []),
            rx.text(name, weight="medium", class_name="list-card-name"),
            rx.spacer(),
            status,
            justify="between",
            align="center",
            width="100%",
        ),
        rx.hstack(
            rx.text(ltr(phone), size="2"),
            when,
            justify="between",
            align="center",
            wrap="wrap",
            width="100%",
        ),
        class_name="list-card",
        on_click=on_click,
        custom_attrs=attrs,
    )
