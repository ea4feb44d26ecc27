"""The app shell: header, navigation and the page frame."""

from __future__ import annotations

import reflex as rx

from crm_app.components.bell import bell
from crm_app.components.direction import directed
from crm_app.components.i18n import t
from crm_app.components.native_form import native_form
from crm_app.state.session import SessionState

NAV_ITEMS = (
    ("/leads", "nav.leads", "users", "nav-leads"),
    ("/calls", "nav.calls", "phone", "nav-calls"),
    ("/tasks", "nav.tasks", "list-checks", "nav-tasks"),
    ("/calendar", "nav.calendar", "calendar-days", "nav-calendar"),
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


# Reflex's breakpoints: [base, xs (30em), sm (48em = 768 px), …]; phones get the compact bar.
_DESKTOP_ONLY = ["none", "none", "flex"]
_PHONE_ONLY = ["flex", "flex", "none"]
_EDGE = ["0.75em", "0.75em", "1.5em"]
_SIGN_OUT_FORM = "menu-logout-form"


def _menu_link(href: str, key: str, icon: str, test_id: str) -> rx.Component:
    # The item is the link itself (as_child): the router navigates on the click, at once,
    # instead of a redirect event waiting its turn behind the page's events.
    return rx.menu.item(
        rx.link(
            rx.hstack(rx.icon(icon, size=16), rx.text(t(key)), spacing="2", align="center"),
            href=href,
            underline="none",
            color="inherit",
            id=f"menu-{test_id}",
        ),
        as_child=True,
    )


def header_menu() -> rx.Component:
    """On a phone: the navigation, language switch, user and sign-out behind one button."""
    submit = f"document.getElementById('{_SIGN_OUT_FORM}').requestSubmit()"
    return rx.box(
        rx.menu.root(
            rx.menu.trigger(
                rx.icon_button(
                    rx.icon("menu", size=20),
                    variant="ghost",
                    size="3",
                    id="header-menu",
                    custom_attrs={"aria-label": t("nav.menu")},
                )
            ),
            rx.menu.content(
                rx.text(
                    SessionState.user_name,
                    size="2",
                    weight="medium",
                    id="menu-user-name",
                    padding_x="0.75em",
                    padding_y="0.4em",
                ),
                *[_menu_link(*item) for item in NAV_ITEMS],
                rx.menu.separator(),
                rx.menu.item(
                    rx.hstack(rx.icon("languages", size=16), rx.text(t("nav.language"))),
                    on_select=SessionState.switch_locale,
                    id="menu-switch-language",
                ),
                rx.menu.item(
                    rx.hstack(rx.icon("log-out", size=16), rx.text(t("nav.logout"))),
                    on_select=rx.call_script(submit),
                    color_scheme="red",
                    id="menu-logout",
                ),
                min_width="14em",
            ),
        ),
        # The menu closes (and unmounts) on select, so its sign-out submits this POST form.
        native_form(action="/auth/logout", method="post", id=_SIGN_OUT_FORM),
        display=_PHONE_ONLY,
        flex_shrink="0",
    )


def header() -> rx.Component:
    """Top bar: business, navigation, language switch, user and sign-out.

    Below 768 px it is one compact row: the business name, truncated, and a menu.
    """
    return rx.hstack(
        rx.heading(
            SessionState.business_name, size="4", id="business-name", class_name="business-name"
        ),
        rx.hstack(
            *[_nav_link(*item) for item in NAV_ITEMS],
            spacing="5",
            wrap="wrap",
            display=_DESKTOP_ONLY,
        ),
        rx.spacer(),
        bell(),
        rx.hstack(
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
            display=_DESKTOP_ONLY,
        ),
        header_menu(),
        align="center",
        spacing="5",
        flex_wrap=["nowrap", "nowrap", "wrap"],
        padding_x=_EDGE,
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
                    padding=_EDGE,
                    width="100%",
                    min_width="0",
                ),
            ),
            rx.center(rx.spinner(size="3"), height="50vh"),
        ),
        width="100%",
    )
