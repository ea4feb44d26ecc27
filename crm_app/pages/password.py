"""``/password?token=…``: choose a password through a one-time link (public: no sign-in)."""

from __future__ import annotations

import reflex as rx

from crm_app.components.direction import directed
from crm_app.components.i18n import label, ltr, t
from crm_app.state.password_link import PasswordLinkState
from crm_app.state.session import SessionState


def _field(label_key: str, name: str, id_: str) -> rx.Component:
    return rx.vstack(
        label(label_key, id_),
        rx.input(
            name=name,
            id=id_,
            type="password",
            auto_complete="new-password",
            required=True,
            min_length=10,
            dir="ltr",
            size="3",
            width="100%",
        ),
        spacing="1",
        width="100%",
    )


def _form() -> rx.Component:
    return rx.form(
        rx.vstack(
            rx.text(
                rx.cond(
                    PasswordLinkState.purpose == "invite",
                    t("password_link.welcome"),
                    t("password_link.reset"),
                ),
                " ",
                rx.text.strong(PasswordLinkState.owner_name),
                ltr(
                    PasswordLinkState.owner_email,
                    id="password-link-email",
                    style={"display": "block", "word_break": "break-all"},
                ),
            ),
            _field("password_link.new", "password", "new-password"),
            _field("password_link.confirm", "confirm", "confirm-password"),
            rx.cond(
                PasswordLinkState.link_error != "",
                rx.callout(PasswordLinkState.link_error, color_scheme="red", id="password-error"),
            ),
            rx.button(
                t("password_link.submit"),
                type="submit",
                id="password-submit",
                size="3",
                width="100%",
            ),
            spacing="4",
            width="100%",
        ),
        on_submit=PasswordLinkState.set_password,
        width="100%",
    )


def _spent() -> rx.Component:
    return rx.vstack(
        rx.callout(
            t("errors.link_invalid"), icon="triangle_alert", color_scheme="red", id="link-invalid"
        ),
        rx.link(t("password_link.to_login"), href="/login", id="password-to-login"),
        spacing="3",
        width="100%",
    )


def password_page() -> rx.Component:
    """The form for a valid link, a clear message for a spent or expired one."""
    body = rx.cond(
        PasswordLinkState.checked,
        rx.cond(PasswordLinkState.valid, _form(), _spent()),
        rx.center(rx.spinner(size="3")),
    )
    return directed(
        rx.center(
            rx.card(
                rx.vstack(
                    rx.hstack(
                        rx.text(t("app.name"), weight="bold"),
                        rx.spacer(),
                        rx.button(
                            t("nav.language"),
                            on_click=SessionState.switch_locale,
                            variant="ghost",
                            size="1",
                            id="switch-language",
                        ),
                        width="100%",
                    ),
                    rx.heading(t("password_link.title"), size="6"),
                    body,
                    spacing="4",
                    width="100%",
                ),
                size="4",
                width="26em",
                max_width="95vw",
            ),
            min_height="100vh",
        ),
        dir=SessionState.dir,
    )
