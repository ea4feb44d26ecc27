"""Above the lead table: new lead, export (owners and admins), and the bulk bar."""

from __future__ import annotations

import reflex as rx

from crm_app.components.i18n import t, tf, tn
from crm_app.state.lead_actions import BulkState, ExportState, NewLeadState
from crm_app.state.leads import LeadsState


def _field(label_key: str, **props: object) -> rx.Component:
    return rx.vstack(
        rx.text(t(label_key), size="2", weight="medium"),
        rx.input(width="100%", **props),
        spacing="1",
        width="100%",
    )


def _choice(
    name: str,
    options: rx.Var,
    label: str,
    value: str,
    default: str,
    first: tuple[rx.Var, str] | None = None,
) -> rx.Component:
    items = [rx.select.item(first[0], value=first[1])] if first else []
    return rx.select.root(
        rx.select.trigger(width="100%"),
        rx.select.content(
            *items, rx.foreach(options, lambda o: rx.select.item(o[label], value=o[value]))
        ),
        name=name,
        default_value=default,
    )


def new_lead_dialog() -> rx.Component:
    """Name, phone (validated), email, source and owner; a known phone links to its lead."""
    form = rx.form(
        rx.vstack(
            _field("leads.col.name", name="name", id="new-lead-name"),
            _field("leads.col.phone", name="phone", id="new-lead-phone", required=True, dir="ltr"),
            _field("leads.col.email", name="email", id="new-lead-email", type="email", dir="ltr"),
            rx.text(t("leads.col.source"), size="2", weight="medium"),
            _choice("source", LeadsState.source_options, "label", "value", "manual"),
            rx.text(t("leads.col.owner"), size="2", weight="medium"),
            _choice(
                "owner",
                LeadsState.owner_options,
                "label",
                "value",
                "none",
                first=(t("leads.bulk.unassign"), "none"),
            ),
            rx.cond(
                NewLeadState.form_error != "",
                rx.callout(
                    rx.vstack(
                        rx.text(NewLeadState.form_error),
                        rx.cond(
                            NewLeadState.existing_href != "",
                            rx.link(
                                t("leads.new.open_existing"),
                                href=NewLeadState.existing_href,
                                id="open-existing-lead",
                            ),
                        ),
                    ),
                    color_scheme="red",
                    id="new-lead-error",
                    width="100%",
                ),
            ),
            rx.hstack(
                rx.dialog.close(rx.button(t("leads.new.cancel"), variant="soft", type="button")),
                rx.button(t("leads.new.create"), type="submit", id="new-lead-submit"),
                justify="end",
                width="100%",
            ),
            spacing="3",
        ),
        on_submit=NewLeadState.create,
    )
    return rx.dialog.root(
        rx.dialog.trigger(rx.button(rx.icon("plus", size=16), t("leads.new"), id="new-lead")),
        rx.dialog.content(rx.dialog.title(t("leads.new.title")), form, max_width="30em"),
        open=NewLeadState.open,
        on_open_change=NewLeadState.set_open,
    )


def export_menu() -> rx.Component:
    """XLSX or CSV of the list as filtered, or of the ticked rows."""
    return rx.cond(
        LeadsState.is_manager,
        rx.menu.root(
            rx.menu.trigger(
                rx.button(
                    rx.icon("download", size=16),
                    t("leads.export"),
                    variant="outline",
                    id="export-leads",
                )
            ),
            rx.menu.content(
                rx.cond(
                    LeadsState.selected.length() > 0,
                    rx.text(
                        tn("leads.export.selected", LeadsState.selected.length()),
                        size="1",
                        color_scheme="gray",
                        padding_x="0.75em",
                    ),
                ),
                rx.menu.item(
                    t("leads.export.xlsx"), on_click=ExportState.export("xlsx"), id="export-xlsx"
                ),
                rx.menu.item(
                    t("leads.export.csv"), on_click=ExportState.export("csv"), id="export-csv"
                ),
            ),
        ),
    )


def export_progress() -> rx.Component:
    """The background export's progress bar, then its download link."""
    return rx.fragment(
        rx.cond(
            ExportState.running,
            rx.vstack(
                rx.text(tf("leads.export.running", percent=ExportState.percent), size="2"),
                rx.progress(value=ExportState.percent, width="20em", id="export-progress"),
            ),
        ),
        rx.cond(
            ExportState.download_url != "",
            rx.callout(
                rx.hstack(
                    t("leads.export.ready"),
                    rx.el.a(  # a plain download link: the router must not take the click
                        t("leads.export.download"),
                        href=ExportState.download_url,
                        target="_blank",
                        download=True,
                        id="export-download",
                    ),
                ),
                color_scheme="green",
            ),
        ),
        rx.cond(
            ExportState.export_error != "", rx.callout(t("leads.export.failed"), color_scheme="red")
        ),
    )


def bulk_bar() -> rx.Component:
    """Shown when rows are ticked: change their status or assign them."""
    return rx.cond(
        LeadsState.selected.length() > 0,
        rx.hstack(
            rx.text(tf("leads.selected", count=LeadsState.selected.length()), weight="medium"),
            rx.select.root(
                rx.select.trigger(placeholder=t("leads.bulk.status"), id="bulk-status"),
                rx.select.content(
                    rx.foreach(
                        LeadsState.status_options,
                        lambda o: rx.select.item(o["label"], value=o["id"]),
                    )
                ),
                value=BulkState.bulk_status,
                on_change=BulkState.choose_bulk_status,
            ),
            rx.cond(
                BulkState.bulk_needs_reason,
                rx.input(
                    placeholder=t("leads.reason_hint"),
                    value=BulkState.bulk_reason,
                    on_change=BulkState.set_bulk_reason,
                    id="bulk-reason",
                ),
            ),
            rx.button(
                t("leads.bulk.apply"),
                on_click=BulkState.apply_bulk_status,
                disabled=BulkState.bulk_status == "",
                id="bulk-apply",
            ),
            rx.select.root(
                rx.select.trigger(placeholder=t("leads.bulk.assign"), id="bulk-assign"),
                rx.select.content(
                    rx.select.item(t("leads.bulk.unassign"), value="none"),
                    rx.foreach(
                        LeadsState.owner_options,
                        lambda o: rx.select.item(o["label"], value=o["value"]),
                    ),
                ),
                on_change=BulkState.assign_selected,
            ),
            spacing="3",
            align="center",
            padding="0.75em",
            border_radius="var(--radius-3)",
            background="var(--accent-a3)",
            width="100%",
            wrap="wrap",
        ),
    )
