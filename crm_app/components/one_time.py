"""Pieces the team and tokens sections share: a secret shown once, a confirmed action."""

from __future__ import annotations

import reflex as rx

from crm_app.components.i18n import t


def secret_box(value: rx.Var, test_id: str) -> rx.Component:
    """A link or token, left-to-right and wrapping on a phone, with a copy button."""
    return rx.hstack(
        rx.code(
            value,
            dir="ltr",
            id=test_id,
            style={"word_break": "break-all", "flex": "1", "min_width": "0"},
        ),
        rx.button(
            rx.icon("copy", size=14),
            t("secret.copy"),
            on_click=[rx.set_clipboard(value), rx.toast.info(t("secret.copied"))],
            type="button",
            size="1",
            variant="soft",
            id=f"{test_id}-copy",
        ),
        align="center",
        spacing="2",
        width="100%",
    )


def confirmed(
    trigger: rx.Component, *, title_key: str, body: rx.Var | str, on_confirm: rx.EventSpec
) -> rx.Component:
    """``trigger`` opens a dialog; only its confirm button runs ``on_confirm``."""
    return rx.alert_dialog.root(
        rx.alert_dialog.trigger(trigger),
        rx.alert_dialog.content(
            rx.alert_dialog.title(t(title_key)),
            rx.alert_dialog.description(body),
            rx.flex(
                rx.alert_dialog.cancel(
                    rx.button(t("confirm.cancel"), variant="soft", color_scheme="gray")
                ),
                rx.alert_dialog.action(
                    rx.button(
                        t("confirm.yes"), color_scheme="red", on_click=on_confirm, id="confirm-yes"
                    )
                ),
                spacing="3",
                margin_top="1em",
                justify="end",
            ),
            max_width="26em",
        ),
    )
