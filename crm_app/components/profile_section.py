"""The profile section: name, language, password, other sessions (every user)."""

from __future__ import annotations

import reflex as rx

from crm_app.components.i18n import label, ltr, t
from crm_app.models import ALL_KINDS
from crm_app.state.profile import ProfileState
from crm_app.state.session import SessionState


def _error(text: rx.Var, test_id: str) -> rx.Component:
    return rx.cond(text != "", rx.callout(text, color_scheme="red", id=test_id))


def _name_form() -> rx.Component:
    return rx.form(
        rx.vstack(
            label("settings.profile.name", "profile-name"),
            rx.input(
                name="name", default_value=SessionState.user_name, id="profile-name", width="100%"
            ),
            _error(ProfileState.name_error, "profile-name-error"),
            rx.button(t("settings.profile.save"), type="submit", id="profile-save"),
            spacing="2",
        ),
        on_submit=ProfileState.save_name,
    )


def _password_form() -> rx.Component:
    return rx.form(
        rx.vstack(
            rx.heading(t("settings.password.title"), size="3"),
            label("settings.password.current", "password-current"),
            rx.input(name="current", type="password", id="password-current", width="100%"),
            label("settings.password.new", "password-new"),
            rx.input(name="new", type="password", id="password-new", width="100%"),
            _error(ProfileState.password_error, "password-error"),
            rx.button(t("settings.password.change"), type="submit", id="password-change"),
            spacing="2",
        ),
        on_submit=ProfileState.change_password,
    )


def _email_alerts_form() -> rx.Component:
    boxes = [
        rx.el.label(
            rx.checkbox(
                name=kind,
                default_checked=ProfileState.email_alerts.contains(kind),
                id=f"email-alert-{kind}",
            ),
            rx.text(t(f"alerts.kind.{kind}"), size="2"),
            display="flex",
            gap="0.5em",
            align_items="center",
            html_for=f"email-alert-{kind}",
        )
        for kind in ALL_KINDS
    ]
    return rx.form(
        rx.vstack(
            rx.heading(t("alerts.email_title"), size="3"),
            rx.text(t("alerts.email_hint"), size="2", color_scheme="gray"),
            *boxes,
            rx.button(t("lead.save"), type="submit", variant="soft", id="email-alerts-save"),
            spacing="2",
        ),
        on_submit=ProfileState.save_email_alerts,
        key=ProfileState.email_alerts.to_string(),  # re-made when the saved choice arrives
    )


def profile_section() -> rx.Component:
    """Who you are, your language, your password and your other sessions."""
    return rx.vstack(
        rx.card(
            rx.vstack(
                _name_form(),
                rx.hstack(rx.text(t("settings.profile.email")), ltr(SessionState.user_email)),
                rx.hstack(
                    rx.text(t("settings.role")),
                    rx.badge(
                        rx.match(
                            SessionState.role,
                            ("owner", t("role.owner")),
                            ("admin", t("role.admin")),
                            t("role.agent"),
                        )
                    ),
                ),
                rx.hstack(
                    rx.text(t("settings.language")),
                    rx.button(
                        t("nav.language"),
                        on_click=SessionState.switch_locale,
                        variant="outline",
                        id="settings-language",
                    ),
                    align="center",
                ),
                spacing="3",
            ),
            width="100%",
        ),
        rx.card(_password_form(), width="100%"),
        rx.card(_email_alerts_form(), width="100%"),
        rx.card(
            rx.vstack(
                rx.heading(t("settings.sessions.title"), size="3"),
                rx.text(t("settings.sessions.hint"), size="2", color_scheme="gray"),
                rx.button(
                    t("settings.sessions.sign_out"),
                    on_click=ProfileState.sign_out_others,
                    variant="soft",
                    id="sign-out-others",
                ),
                spacing="2",
            ),
            width="100%",
        ),
        spacing="4",
        max_width="36em",
        width="100%",
    )
