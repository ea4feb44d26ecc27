"""The lead list's search box and filters; each control rewrites the URL."""

from __future__ import annotations

import reflex as rx

from crm_app.components.fields import NATIVE_SELECT
from crm_app.components.i18n import t
from crm_app.components.listing import date_filter
from crm_app.state.leads import ALL, LeadsState


def search_box() -> rx.Component:
    """Search by name, email or any way of writing a phone number."""
    return rx.input(
        rx.input.slot(rx.icon("search", size=16)),
        placeholder=t("leads.search"),
        value=LeadsState.q,
        on_change=LeadsState.search,
        debounce_timeout=400,
        id="lead-search",
        width="22em",
        max_width="100%",
        type="search",
    )


def _status_chip(option: rx.Var) -> rx.Component:
    chosen = LeadsState.status_filter.contains(option["key"])
    return rx.badge(
        option["label"],
        color_scheme=option["color"],
        variant=rx.cond(chosen, "solid", "outline"),
        on_click=LeadsState.toggle_status(option["key"]),
        cursor="pointer",
        size="2",
        id="status-filter-" + option["key"],
        custom_attrs={"aria-pressed": rx.cond(chosen, "true", "false"), "role": "button"},
    )


def status_filter() -> rx.Component:
    """Several statuses may be chosen at once."""
    return rx.hstack(
        rx.text(t("leads.filter.status"), size="2", color_scheme="gray"),
        rx.foreach(LeadsState.status_options, _status_chip),
        spacing="2",
        wrap="wrap",
        align="center",
    )


def source_filter() -> rx.Component:
    """One source, or all."""
    return rx.select.root(
        rx.select.trigger(id="source-filter", custom_attrs={"aria-label": t("leads.col.source")}),
        rx.select.content(
            rx.select.item(t("leads.filter.all_sources"), value=ALL),
            rx.foreach(
                LeadsState.source_options, lambda o: rx.select.item(o["label"], value=o["value"])
            ),
        ),
        value=LeadsState.source_filter,
        on_change=LeadsState.set_source_filter,
    )


def owner_filter() -> rx.Component:
    """Mine, unassigned, one user, or all."""
    return rx.select.root(
        rx.select.trigger(id="owner-filter", custom_attrs={"aria-label": t("leads.col.owner")}),
        rx.select.content(
            rx.select.item(t("leads.filter.all_owners"), value=ALL),
            rx.select.item(t("leads.filter.me"), value="me"),
            rx.select.item(t("leads.filter.unassigned"), value="unassigned"),
            rx.foreach(
                LeadsState.owner_options, lambda o: rx.select.item(o["label"], value=o["value"])
            ),
        ),
        value=LeadsState.owner_filter,
        on_change=LeadsState.set_owner_filter,
    )


def _field_filter(item: rx.Var) -> rx.Component:
    return rx.el.select(
        rx.el.option(item["label"].to(str) + ": " + t("leads.filter.any"), value=""),
        rx.foreach(item["choices"].to(list[str]), lambda c: rx.el.option(c, value=c)),
        value=item["value"],
        on_change=lambda value: LeadsState.set_field_filter(item["key"], value),
        class_name=NATIVE_SELECT,
        custom_attrs={"aria-label": item["label"], "data-testid": "field-filter",
                      "data-key": item["key"]},
    )  # fmt: skip


def filters_bar() -> rx.Component:
    """Everything that narrows the list."""
    return rx.vstack(
        rx.hstack(
            search_box(),
            source_filter(),
            owner_filter(),
            rx.foreach(LeadsState.field_filters, _field_filter),
            date_filter(
                "leads.filter.from",
                LeadsState.created_from,
                LeadsState.set_created_from,
                "created-from",
            ),
            date_filter(
                "leads.filter.to", LeadsState.created_to, LeadsState.set_created_to, "created-to"
            ),
            rx.cond(
                LeadsState.has_filters,
                rx.button(
                    t("leads.filter.clear"),
                    on_click=LeadsState.clear_filters,
                    variant="ghost",
                    id="clear-filters",
                ),
            ),
            spacing="3",
            wrap="wrap",
            align="center",
        ),
        status_filter(),
        spacing="3",
        width="100%",
    )
