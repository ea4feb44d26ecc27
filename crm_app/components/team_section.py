"""The team section: users, the invitation form, roles, deactivation, password links."""

from __future__ import annotations

import reflex as rx

from crm_app.components.i18n import label, ltr, t, tf
from crm_app.components.one_time import confirmed, secret_box
from crm_app.state.session import SessionState
from crm_app.state.team import TeamState


def _role_items() -> list[rx.Component]:
    """The roles this user may give (the service refuses the rest anyway)."""
    items = [rx.select.item(t(f"role.{role}"), value=role) for role in ("owner", "admin")]
    return [
        *[rx.cond(SessionState.role == "owner", item) for item in items],
        rx.select.item(t("role.agent"), value="agent"),
    ]


def _label(key: str, html_for: str) -> rx.Component:
    return label(key, html_for)


def _invite_form() -> rx.Component:
    field = {"width": "100%", "min_width": "12em", "flex": "1"}
    return rx.form(
        rx.flex(
            rx.box(
                _label("team.name", "invite-name"),
                rx.input(name="name", id="invite-name", width="100%"),
                style=field,
            ),
            rx.box(
                _label("team.email", "invite-email"),
                rx.input(name="email", id="invite-email", type="email", dir="ltr", required=True),
                style=field,
            ),
            rx.box(
                _label("team.role", "invite-role"),
                rx.select.root(
                    rx.select.trigger(id="invite-role", width="100%"),
                    rx.select.content(*_role_items()),
                    name="role",
                    default_value="agent",
                ),
            ),
            rx.box(
                _label("team.language", "invite-locale"),
                rx.select.root(
                    rx.select.trigger(id="invite-locale", width="100%"),
                    rx.select.content(
                        rx.select.item("עברית", value="he"), rx.select.item("English", value="en")
                    ),
                    name="locale",
                    default_value=SessionState.locale,
                ),
            ),
            rx.button(t("team.invite"), type="submit", id="invite-submit"),
            spacing="3",
            wrap="wrap",
            align="end",
        ),
        on_submit=TeamState.invite,
    )


def _mail_note() -> rx.Component:
    return rx.match(
        TeamState.link_mail,
        ("sent", rx.text(tf("team.mail.sent", email=TeamState.link_for), id="link-mail")),
        (
            "failed",
            rx.text(t("team.mail.failed"), color_scheme="red", id="link-mail"),
        ),
        rx.text(t("team.mail.off"), color_scheme="gray", id="link-mail"),
    )


def _link_panel() -> rx.Component:
    """The one-time link just made, shown until dismissed."""
    return rx.cond(
        TeamState.link_url != "",
        rx.callout.root(
            rx.vstack(
                rx.text(
                    rx.cond(
                        TeamState.link_purpose == "invite",
                        t("team.link.invite"),
                        t("team.link.reset"),
                    ),
                    " ",
                    ltr(TeamState.link_for),
                    weight="medium",
                ),
                secret_box(TeamState.link_url, "link-url"),
                rx.text(tf("team.link.expires", time=TeamState.link_expires), size="2"),
                _mail_note(),
                rx.button(
                    t("team.link.dismiss"),
                    on_click=TeamState.dismiss_link,
                    variant="ghost",
                    size="1",
                    id="link-dismiss",
                ),
                spacing="2",
                width="100%",
            ),
            color_scheme="green",
            id="link-panel",
            width="100%",
        ),
    )


def _role_select(member: rx.Var) -> rx.Component:
    return rx.select.root(
        rx.select.trigger(
            custom_attrs={"data-testid": "member-role", "aria-label": t("team.role")}
        ),
        rx.select.content(
            *[rx.select.item(t(f"role.{role}"), value=role) for role in ("owner", "admin", "agent")]
        ),
        value=member["role"],
        on_change=lambda role: TeamState.change_role(member["id"], role),
        disabled=~member["active"],
    )


def _member_actions(member: rx.Var) -> rx.Component:
    deactivate = rx.button(
        t("team.deactivate"),
        variant="soft",
        color_scheme="red",
        size="1",
        custom_attrs={"data-testid": "member-deactivate"},
    )
    return rx.cond(
        member["active"],
        rx.hstack(
            rx.button(
                t("team.reset"),
                on_click=TeamState.reset_password(member["id"]),
                variant="soft",
                size="1",
                custom_attrs={"data-testid": "member-reset"},
            ),
            rx.cond(
                ~member["is_me"],
                confirmed(
                    deactivate,
                    title_key="team.deactivate_title",
                    body=t("team.deactivate_body"),
                    on_confirm=TeamState.set_active(member["id"], False),
                ),
            ),
            spacing="2",
        ),
        rx.button(
            t("team.reactivate"),
            on_click=TeamState.set_active(member["id"], True),
            variant="soft",
            size="1",
            custom_attrs={"data-testid": "member-reactivate"},
        ),
    )


def _member(member: rx.Var) -> rx.Component:
    return rx.flex(
        rx.vstack(
            rx.text(rx.cond(member["name"] != "", member["name"], "—"), weight="medium"),
            ltr(member["email"], style={"font_size": "0.85em", "word_break": "break-all"}),
            spacing="0",
            flex="1",
            min_width=rx.breakpoints(initial="100%", sm="12em"),  # a phone: a row of its own
        ),
        _role_select(member),
        rx.cond(
            member["active"],
            rx.badge(t("team.active"), color_scheme="green"),
            rx.badge(t("team.inactive"), color_scheme="gray"),
        ),
        rx.text(
            t("team.last_seen"),
            " ",
            rx.cond(member["last_seen"] != "", member["last_seen"], t("team.never")),
            size="1",
            color_scheme="gray",
        ),
        _member_actions(member),
        spacing="3",
        wrap="wrap",
        align="center",
        padding_y="0.6em",
        border_bottom="1px solid var(--gray-a4)",
        width="100%",
        custom_attrs={"data-testid": "member-row", "data-email": member["email"]},
    )


def team_section() -> rx.Component:
    """Everyone in the business, and adding someone (owners and admins)."""
    return rx.vstack(
        rx.cond(
            TeamState.team_error != "",
            rx.callout(TeamState.team_error, color_scheme="red", id="team-error", width="100%"),
        ),
        rx.card(
            rx.vstack(
                rx.heading(t("team.add_title"), size="3"),
                rx.text(t("team.add_hint"), size="2", color_scheme="gray"),
                _invite_form(),
                spacing="2",
            ),
            width="100%",
        ),
        _link_panel(),
        rx.card(
            rx.vstack(
                rx.heading(t("team.members"), size="3"),
                rx.foreach(TeamState.members, _member),
                spacing="0",
                width="100%",
            ),
            width="100%",
        ),
        spacing="4",
        width="100%",
        max_width="60em",
    )
