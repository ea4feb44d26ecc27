"""The lead page's header: who the lead is, their status and owner, and edits."""

from __future__ import annotations

import reflex as rx

from crm_app.components.i18n import ltr, t
from crm_app.components.lead_details import call_inputs
from crm_app.state.lead import LeadState


def _fact(label_key: str, value: rx.Component) -> rx.Component:
    return rx.vstack(rx.text(t(label_key), size="1", color_scheme="gray"), value, spacing="1")


def status_picker() -> rx.Component:
    """Pick a status; a closed one opens the reason dialog."""
    return rx.select.root(
        rx.select.trigger(id="lead-status", custom_attrs={"aria-label": t("lead.status")}),
        rx.select.content(
            rx.foreach(
                LeadState.status_options, lambda o: rx.select.item(o["label"], value=o["id"])
            )
        ),
        value=LeadState.lead["status_id"],
        on_change=LeadState.choose_status,
    )


def reason_dialog() -> rx.Component:
    """Closed statuses (won, lost …) ask why."""
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(t("leads.reason")),
            rx.vstack(
                rx.text_area(
                    placeholder=t("leads.reason_hint"),
                    value=LeadState.reason,
                    on_change=LeadState.set_reason,
                    id="status-reason",
                    width="100%",
                ),
                rx.hstack(
                    rx.dialog.close(rx.button(t("leads.new.cancel"), variant="soft")),
                    rx.button(
                        t("leads.bulk.apply"),
                        on_click=LeadState.confirm_status,
                        disabled=LeadState.reason.strip() == "",
                        id="status-reason-save",
                    ),
                    justify="end",
                    width="100%",
                ),
                spacing="3",
            ),
            max_width="28em",
        ),
        open=LeadState.reason_open,
        on_open_change=LeadState.set_reason_open,
    )


def _edit_input(label_key: str, name: str, value_key: str = "", **props: object) -> rx.Component:
    return rx.vstack(
        rx.text(t(label_key), size="2", weight="medium"),
        rx.input(
            name=name,
            default_value=LeadState.lead[value_key or name],
            width="100%",
            id=f"edit-{name}",
            **props,
        ),
        spacing="1",
        width="100%",
    )


def edit_dialog() -> rx.Component:
    """Edit name, phone, email, city, source and owner, validated on save."""
    source = rx.select.root(
        rx.select.trigger(width="100%"),
        rx.select.content(
            *[
                rx.select.item(t(f"source.{s}"), value=s)
                for s in ("phone_ai", "manual", "web_form", "whatsapp", "import", "referral")
            ]
        ),
        name="source",
        default_value=LeadState.lead["source"],
    )
    owner = rx.select.root(
        rx.select.trigger(width="100%"),
        rx.select.content(
            rx.select.item(t("leads.bulk.unassign"), value="none"),
            rx.foreach(
                LeadState.owner_options, lambda o: rx.select.item(o["label"], value=o["value"])
            ),
        ),
        name="owner",
        default_value=LeadState.lead["owner_id"],
    )
    form = rx.form(
        rx.vstack(
            _edit_input("leads.col.name", "name"),
            _edit_input("leads.col.phone", "phone", "phone_e164", dir="ltr"),
            _edit_input("leads.col.email", "email", dir="ltr"),
            _edit_input("lead.city", "city"),
            *call_inputs(),
            rx.text(t("leads.col.source"), size="2", weight="medium"),
            source,
            rx.text(t("leads.col.owner"), size="2", weight="medium"),
            owner,
            rx.cond(
                LeadState.edit_error != "",
                rx.callout(LeadState.edit_error, color_scheme="red", id="edit-error"),
            ),
            rx.hstack(
                rx.dialog.close(rx.button(t("leads.new.cancel"), variant="soft", type="button")),
                rx.button(t("lead.save"), type="submit", id="edit-save"),
                justify="end",
                width="100%",
            ),
            spacing="3",
        ),
        on_submit=LeadState.save_edit,
    )
    return rx.dialog.root(
        rx.dialog.trigger(
            rx.button(rx.icon("pencil", size=14), t("lead.edit"), variant="outline", id="edit-lead")
        ),
        rx.dialog.content(rx.dialog.title(t("lead.edit")), form, max_width="30em"),
        open=LeadState.edit_open,
        on_open_change=LeadState.set_edit_open,
    )


def navigation() -> rx.Component:
    """Back to the list the agent came from, and its previous and next leads."""
    return rx.hstack(
        rx.link(
            rx.hstack(rx.icon("list", size=14), t("lead.back")),
            href=LeadState.back_href,
            id="back-to-list",
        ),
        rx.spacer(),
        rx.cond(
            LeadState.prev_href != "",
            rx.link(t("leads.page.prev"), href=LeadState.prev_href, id="prev-lead"),
        ),
        rx.cond(
            LeadState.next_href != "",
            rx.link(t("leads.page.next"), href=LeadState.next_href, id="next-lead"),
        ),
        width="100%",
        spacing="4",
    )


def lead_header() -> rx.Component:
    """Name, phone (a tel: link, left-to-right), status, owner, source."""
    lead = LeadState.lead
    return rx.vstack(
        rx.hstack(
            rx.heading(
                rx.cond(lead["name"] != "", lead["name"], t("leads.no_name")), id="lead-name"
            ),
            rx.spacer(),
            edit_dialog(),
            width="100%",
            align="center",
        ),
        rx.hstack(
            _fact(
                "lead.phone",
                rx.link(ltr(lead["phone"]), href="tel:" + lead["phone_e164"], id="lead-phone"),
            ),
            _fact("lead.email", ltr(lead["email"])),
            _fact("lead.status", status_picker()),
            _fact(
                "lead.owner",
                rx.text(
                    rx.cond(lead["owner"] != "", lead["owner"], t("lead.unassigned")),
                    id="lead-owner",
                ),
            ),
            _fact("lead.source", rx.text(lead["source_label"])),
            _fact("lead.created", rx.text(lead["created"])),
            spacing="6",
            wrap="wrap",
        ),
        reason_dialog(),
        spacing="4",
        width="100%",
    )
