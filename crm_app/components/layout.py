"""The app shell: header, navigation and the page frame."""

from __future__ import annotations

import reflex as rx

from crm_app.components.direction import directed
from crm_app.components.i18n import t
from crm_app.components.native_form import native_form
from crm_app.state.session import SessionState

NAV_ITEMS = (
    ("/leads", "nav.leads", "users", "nav-leads"),
    ("/calls", "nav.calls", "phone", "nav-calls"),
    ("/dashboard", "nav.dashboard", "layout-dashboard", "nav-dashboard"),
    ("/settings", "nav.settings", "settings", "nav-settings"),
)


def _nav_link(href: str, key: str, icon: str, test_id: str) -> rx.Component:
    return rx.link(
        rx.hstack(rx.icon(icon, size=16), rx.text(t(key)), spacing="2", align="center"),
        href=href,
        id=test_id,
        underline="none",
        class_name="nav-link",
    )


def logout_form() -> rx.Component:
    """Sign-out is a POST, so a link or prefetch can never sign anyone out."""
    return native_form(
        rx.button(t("nav.logout"), type="submit", variant="soft", size="1", id="logout"),
        action="/auth/logout",
        method="post",
    )


def header() -> rx.Component:
    """Top bar: business, navigation, language switch, user and sign-out."""
    return rx.hstack(
        rx.heading(SessionState.business_name, size="4", id="business-name"),
        rx.hstack(*[_nav_link(*item) for item in NAV_ITEMS], spacing="5", wrap="wrap"),
        rx.spacer(),
        rx.button(
            t("nav.language"),
            on_click=SessionState.switch_locale,
            variant="ghost",
            size="1",
            id="switch-language",
        ),
        rx.text(SessionState.user_name, size="2", id="user-name"),
        logout_form(),
        align="center",
        spacing="5",
        wrap="wrap",  # a phone (390 px) gets two rows, never sideways scrolling
        padding_x="1.5em",
        padding_y="0.75em",
        border_bottom="1px solid var(--gray-a5)",
        width="100%",
    )


def page_frame(*children: rx.Component, title: rx.Var | str = "") -> rx.Component:
    """A signed-in page: the shell around ``children``, in the user's direction."""
    return directed(_frame(*children, title=title), dir=SessionState.dir)


def _frame(*children: rx.Component, title: rx.Var | str) -> rx.Component:
    return rx.box(
        rx.cond(
            SessionState.signed_in,
            rx.fragment(
                header(),
                rx.box(
                    rx.heading(title, size="6", margin_bottom="1em"),
                    *children,
                    padding="1.5em",
                    width="100%",
                ),
            ),
            rx.center(rx.spinner(size="3"), height="50vh"),
        ),
        width="100%",
    )
