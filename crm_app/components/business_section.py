"""The Business section of the settings page (owners and admins)."""

from __future__ import annotations

import reflex as rx

from crm_app.components.fields import NATIVE_SELECT, field, hint
from crm_app.components.hours_editor import hours_editor
from crm_app.components.i18n import ltr, t
from crm_app.components.listing import date_input
from crm_app.state.business import REGIONS, ZONES, BusinessSettingsState

S = BusinessSettingsState


def _options(values: list[str], list_id: str) -> rx.Component:
    # Compiled into the page: hundreds of zones are not sent with every tab's state.
    return rx.el.datalist(*[rx.el.option(value=v) for v in values], id=list_id)


def _webhook(key: str, url: rx.Var, test_id: str) -> rx.Component:
    return rx.hstack(
        rx.text(t(key), size="2", min_width="10em"),
        rx.code(ltr(url), id=test_id, style={"wordBreak": "break-all"}),
        rx.button(
            rx.icon("copy", size=14),
            t("business.copy"),
            type="button",
            size="1",
            variant="soft",
            on_click=[rx.set_clipboard(url), rx.toast.info(url)],
        ),
        align="center",
        wrap="wrap",
        spacing="2",
    )


def _closed_dates() -> rx.Component:
    return rx.vstack(
        rx.heading(t("business.closed_dates"), size="3"),
        hint("business.closed_dates_hint"),
        rx.cond(
            S.closed_dates.length() > 0,
            rx.flex(
                rx.foreach(
                    S.closed_dates,
                    lambda d: rx.badge(
                        ltr(d.split("-").reverse().join("/")),
                        rx.icon_button(
                            rx.icon("x", size=12),
                            type="button",
                            size="1",
                            variant="ghost",
                            on_click=S.remove_closed_date(d),
                            custom_attrs={"aria-label": t("business.remove_date")},
                        ),
                        size="2",
                        custom_attrs={"data-testid": "closed-date"},
                    ),
                ),
                gap="2",
                wrap="wrap",
            ),
            rx.text(t("business.no_closed_dates"), size="2", color_scheme="gray"),
        ),
        rx.hstack(
            date_input(
                S.pending_date,
                S.set_pending_date,
                "closed-date-input",
                aria_label=t("business.closed_dates"),
            ),
            rx.button(
                t("business.add_date"),
                type="button",
                size="2",
                variant="soft",
                on_click=S.add_closed_date,
                id="closed-date-add",
            ),
            align="center",
            spacing="2",
        ),
        spacing="2",
        width="100%",
    )


def _details() -> rx.Component:
    return rx.vstack(
        field(
            "business.name",
            rx.input(name="name", default_value=S.name, id="business-name-input", width="100%"),
        ),
        field(
            "business.phone",
            rx.input(
                name="phone",
                default_value=S.phone,
                id="business-phone",
                type="tel",
                dir="ltr",
                width="100%",
            ),
            "business.phone_hint",
        ),
        rx.grid(
            field(
                "business.timezone",
                rx.input(
                    name="timezone",
                    default_value=S.timezone,
                    id="business-timezone",
                    list="zones",
                    dir="ltr",
                    width="100%",
                ),
            ),
            field(
                "business.locale",
                rx.el.select(
                    rx.el.option(t("language.he"), value="he"),
                    rx.el.option(t("language.en"), value="en"),
                    name="locale",
                    default_value=S.business_locale,
                    id="business-locale",
                    class_name=NATIVE_SELECT,
                ),
            ),
            field(
                "business.region",
                rx.input(
                    name="region",
                    default_value=S.region,
                    id="business-region",
                    list="regions",
                    dir="ltr",
                    width="100%",
                ),
                "business.region_hint",
            ),
            columns=rx.breakpoints(initial="1", sm="3"),
            gap="3",
            width="100%",
        ),
        field(
            "business.default_assignee",
            rx.el.select(
                rx.el.option(t("business.first_owner"), value=""),
                rx.foreach(S.members, lambda m: rx.el.option(m.name, value=m.id)),
                name="default_assignee",
                default_value=S.default_assignee,
                id="business-default-assignee",
                class_name=NATIVE_SELECT,
            ),
            "business.default_assignee_hint",
        ),
        _options(ZONES, "zones"),
        _options(REGIONS, "regions"),
        spacing="3",
        width="100%",
    )


def business_section() -> rx.Component:
    """Name, line, zone, language, region, follow-ups, opening hours and closed dates."""
    return rx.vstack(
        rx.card(
            rx.vstack(
                rx.heading(t("business.webhooks"), size="3"),
                hint("business.webhooks_hint"),
                _webhook("business.webhook_voice", S.webhooks["voice"], "webhook-voice"),
                _webhook("business.webhook_status", S.webhooks["status"], "webhook-status"),
                _webhook("business.webhook_sms", S.webhooks["sms"], "webhook-sms"),
                spacing="2",
            ),
            width="100%",
        ),
        rx.form(
            rx.vstack(
                rx.card(_details(), width="100%"),
                rx.card(
                    rx.vstack(
                        rx.heading(t("business.hours"), size="3"),
                        hint("business.hours_hint"),
                        hours_editor(S),
                        spacing="2",
                        width="100%",
                    ),
                    width="100%",
                ),
                rx.card(_closed_dates(), width="100%"),
                rx.cond(
                    S.error != "", rx.callout(S.error, color_scheme="red", id="business-error")
                ),
                rx.button(t("business.save"), type="submit", id="business-save"),
                spacing="3",
                width="100%",
            ),
            on_submit=S.save,
            key=S.version,
            width="100%",
        ),
        spacing="4",
        max_width="48em",
        width="100%",
    )
