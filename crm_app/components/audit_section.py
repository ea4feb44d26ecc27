"""The audit log section: filters by user, action and dates; who, when, what; keyset pages."""

from __future__ import annotations

import reflex as rx

from crm_app.components.i18n import t
from crm_app.components.listing import date_filter
from crm_app.state.audit_log import ACTIONS, ALL, AuditLogState


def _actor_filter() -> rx.Component:
    return rx.select.root(
        rx.select.trigger(
            id="audit-actor", min_width="10em", custom_attrs={"aria-label": t("audit.user")}
        ),
        rx.select.content(
            rx.select.item(t("audit.everyone"), value=ALL),
            rx.foreach(
                AuditLogState.users,
                lambda user: rx.select.item(user["label"], value=user["value"]),
            ),
        ),
        value=AuditLogState.actor,
        on_change=AuditLogState.filter_actor,
    )


def _action_filter() -> rx.Component:
    return rx.select.root(
        rx.select.trigger(
            id="audit-action", min_width="10em", custom_attrs={"aria-label": t("audit.action")}
        ),
        rx.select.content(
            rx.select.item(t("audit.every_action"), value=ALL),
            *[rx.select.item(t(f"audit.action.{action}"), value=action) for action in ACTIONS],
        ),
        value=AuditLogState.action,
        on_change=AuditLogState.filter_action,
    )


def _filters() -> rx.Component:
    return rx.flex(
        _actor_filter(),
        _action_filter(),
        date_filter("audit.from", AuditLogState.date_from, AuditLogState.filter_from, "audit-from"),
        date_filter("audit.to", AuditLogState.date_to, AuditLogState.filter_to, "audit-to"),
        rx.button(
            t("audit.clear"),
            on_click=AuditLogState.clear_filters,
            variant="ghost",
            size="2",
            id="audit-clear",
        ),
        spacing="3",
        wrap="wrap",
        align="center",
    )


def _event(event: rx.Var) -> rx.Component:
    return rx.flex(
        rx.text(event["when"], size="2", color_scheme="gray", min_width="9em"),
        rx.text(rx.cond(event["who"] != "", event["who"], t("audit.nobody")), weight="medium"),
        rx.badge(event["label"], custom_attrs={"data-action": event["action"]}),
        rx.text(
            event["what"],
            size="2",
            style={"word_break": "break-word", "flex": "1 1 16em", "min_width": "0"},
        ),
        spacing="3",
        wrap="wrap",
        align="center",
        padding_y="0.5em",
        border_bottom="1px solid var(--gray-a4)",
        width="100%",
        custom_attrs={"data-testid": "audit-row"},
    )


def _pager() -> rx.Component:
    return rx.hstack(
        rx.button(
            t("leads.page.prev"),
            on_click=AuditLogState.prev_page,
            disabled=AuditLogState.earlier.length() == 0,
            variant="soft",
            id="audit-prev",
        ),
        rx.button(
            t("leads.page.next"),
            on_click=AuditLogState.next_page,
            disabled=AuditLogState.next_cursor == "",
            variant="soft",
            id="audit-next",
        ),
        justify="end",
        width="100%",
    )


def audit_section() -> rx.Component:
    """Who did what and when, newest first (owners and admins)."""
    return rx.vstack(
        rx.cond(
            AuditLogState.audit_error != "",
            rx.callout(AuditLogState.audit_error, color_scheme="red", id="audit-error"),
        ),
        _filters(),
        rx.card(
            rx.vstack(
                rx.foreach(AuditLogState.events, _event),
                rx.cond(AuditLogState.events.length() == 0, rx.text(t("audit.none"))),
                spacing="0",
                width="100%",
            ),
            width="100%",
        ),
        _pager(),
        spacing="4",
        width="100%",
        max_width="70em",
    )
