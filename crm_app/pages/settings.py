"""``/settings``: the user's profile and language."""

from __future__ import annotations

import reflex as rx

from crm_app.components.i18n import ltr, t
from crm_app.components.layout import page_frame
from crm_app.components.status_editor import status_editor
from crm_app.state.session import SessionState


def profile_card() -> rx.Component:
    """Name, email, role and the interface language."""
    return rx.card(
        rx.vstack(
            rx.heading(t("settings.profile"), size="4"),
            rx.text(SessionState.user_name),
            ltr(SessionState.user_email),
            rx.hstack(rx.text(t("settings.role")), rx.badge(SessionState.role)),
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
        max_width="32em",
    )


def settings_page() -> rx.Component:
    return page_frame(
        rx.vstack(
            profile_card(),
            rx.cond(SessionState.is_manager, status_editor()),
            spacing="5",
            width="100%",
        ),
        title=t("settings.title"),
    )
