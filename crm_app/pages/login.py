"""``/login``: a plain form that posts to ``/auth/login`` (works without JavaScript)."""

from __future__ import annotations

import reflex as rx

from crm_app.components.direction import directed
from crm_app.components.i18n import label, t
from crm_app.components.native_form import native_form
from crm_app.state.login import LoginState
from crm_app.state.session import SessionState


def _field(label_key: str, **input_props: object) -> rx.Component:
    return rx.vstack(
        label(label_key, str(input_props["id"])),
        rx.input(size="3", width="100%", required=True, **input_props),
        spacing="1",
        width="100%",
    )


def login_form() -> rx.Component:
    """Email, password, submit; errors come back in the query string."""
    return native_form(
        rx.vstack(
            rx.heading(t("login.title"), size="6"),
            rx.cond(
                LoginState.error != "",
                rx.callout(
                    LoginState.error,
                    icon="triangle_alert",
                    color_scheme="red",
                    id="login-error",
                    width="100%",
                ),
            ),
            _field(
                "login.email",
                id="login-email",
                name="email",
                type="email",
                default_value=LoginState.email,
                auto_complete="username",
                dir="ltr",
            ),
            _field(
                "login.password",
                id="login-password",
                name="password",
                type="password",
                auto_complete="current-password",
                dir="ltr",
            ),
            rx.el.input(type="hidden", name="next", value=LoginState.next_path),
            rx.button(t("login.submit"), type="submit", id="login-submit", size="3", width="100%"),
            spacing="4",
            width="100%",
        ),
        action="/auth/login",
        method="post",
        width="100%",
    )


def login_page() -> rx.Component:
    """The sign-in page, with a language switch."""
    return directed(_login_card(), dir=SessionState.dir)


def _login_card() -> rx.Component:
    return rx.center(
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
                login_form(),
                spacing="4",
            ),
            size="4",
            width="26em",
            max_width="95vw",
        ),
        height="100vh",
    )
