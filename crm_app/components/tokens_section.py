"""The API tokens section: create one (its secret shown once), the list, revoke."""

from __future__ import annotations

import reflex as rx

from crm_app.components.i18n import ltr, t, tf
from crm_app.components.one_time import confirmed, secret_box
from crm_app.state.tokens import TokensState


def _create_form() -> rx.Component:
    return rx.form(
        rx.flex(
            rx.input(
                name="name",
                id="token-name",
                placeholder=t("tokens.name"),
                required=True,
                max_length=100,
                style={"flex": "1", "min_width": "12em"},
            ),
            rx.button(t("tokens.create"), type="submit", id="token-create"),
            spacing="3",
            wrap="wrap",
        ),
        on_submit=TokensState.create,
    )


def _new_token() -> rx.Component:
    return rx.cond(
        TokensState.new_token != "",
        rx.callout.root(
            rx.vstack(
                rx.text(tf("tokens.new", name=TokensState.new_token_name), weight="medium"),
                secret_box(TokensState.new_token, "new-token"),
                rx.text(t("tokens.once"), size="2"),
                rx.button(
                    t("tokens.dismiss"),
                    on_click=TokensState.dismiss_token,
                    variant="ghost",
                    size="1",
                    id="new-token-dismiss",
                ),
                spacing="2",
                width="100%",
            ),
            color_scheme="green",
            id="new-token-panel",
            width="100%",
        ),
    )


def _fact(key: str, value: rx.Var) -> rx.Component:
    return rx.text(
        t(key), ": ", rx.cond(value != "", value, t("tokens.never")), size="1", color_scheme="gray"
    )


def _revoke(token: rx.Var) -> rx.Component:
    return confirmed(
        rx.button(
            t("tokens.revoke"),
            variant="soft",
            color_scheme="red",
            size="1",
            custom_attrs={"data-testid": "token-revoke"},
        ),
        title_key="tokens.revoke_title",
        body=tf("tokens.revoke_body", name=token["name"]),
        on_confirm=TokensState.revoke(token["id"]),
    )


def _token(token: rx.Var) -> rx.Component:
    return rx.flex(
        rx.vstack(
            rx.text(token["name"], weight="medium"),
            ltr(rx.code(token["prefix"] + "…")),
            spacing="1",
            flex="1",
            min_width=rx.breakpoints(initial="100%", sm="12em"),  # a phone: a row of its own
        ),
        rx.vstack(
            rx.text(t("tokens.creator"), ": ", token["creator"], size="1", color_scheme="gray"),
            _fact("tokens.created", token["created"]),
            _fact("tokens.last_used", token["last_used"]),
            spacing="0",
        ),
        rx.cond(
            token["revoked"] != "",
            rx.badge(tf("tokens.revoked_at", time=token["revoked"]), color_scheme="gray"),
            _revoke(token),
        ),
        spacing="3",
        wrap="wrap",
        align="center",
        padding_y="0.6em",
        border_bottom="1px solid var(--gray-a4)",
        width="100%",
        custom_attrs={"data-testid": "token-row", "data-name": token["name"]},
    )


def tokens_section() -> rx.Component:
    """Tokens for the REST API, acting as the user who created them."""
    return rx.vstack(
        rx.cond(
            TokensState.token_error != "",
            rx.callout(TokensState.token_error, color_scheme="red", id="token-error", width="100%"),
        ),
        rx.card(
            rx.vstack(
                rx.heading(t("tokens.title"), size="3"),
                rx.text(t("tokens.hint"), size="2", color_scheme="gray"),
                _create_form(),
                spacing="2",
            ),
            width="100%",
        ),
        _new_token(),
        rx.card(
            rx.vstack(
                rx.foreach(TokensState.tokens, _token),
                rx.cond(TokensState.tokens.length() == 0, rx.text(t("tokens.none"))),
                spacing="0",
                width="100%",
            ),
            width="100%",
        ),
        spacing="4",
        width="100%",
        max_width="60em",
    )
