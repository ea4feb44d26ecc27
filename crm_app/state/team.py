"""The team section of the settings page: users, invitations, roles, deactivation, resets.

A new user, or a user whose password is reset, gets a one-time link: the admin
sees it here once (with a copy button and when it expires) and, when SMTP is
set up, it is e-mailed to the user too; the section says which.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import reflex as rx
from sqlmodel import Session

from crm_app.db import unit_of_work
from crm_app.i18n.formats import local_datetime
from crm_app.models import Role
from crm_app.services import mail, team
from crm_app.services.auth import Principal
from crm_app.services.errors import DomainError, InvalidInput
from crm_app.settings import get_settings
from crm_app.state.session import SessionState
from crm_app.state.settings import SECTION_LOADERS

ROLES = tuple(role.value for role in Role)


@dataclass(frozen=True)
class MemberRow:
    """A user of the business as the team list shows them."""

    id: int
    name: str
    email: str
    role: str
    active: bool
    last_seen: str
    is_me: bool


@dataclass(frozen=True)
class _MadeLink:
    """What a just-made link needs after its transaction: whose it is and where it leads."""

    email: str
    name: str
    locale: str
    path: str
    purpose: str
    expires_at: datetime


def link_url(path: str) -> str:
    """The full address of a link's ``path`` on this server (``PUBLIC_BASE_URL``)."""
    return get_settings().public_base_url.rstrip("/") + path


def _made(link: team.Link, purpose: str) -> _MadeLink:
    return _MadeLink(
        email=link.user.email,
        name=link.user.name,
        locale=link.user.locale,
        path=link.path(),
        purpose=purpose,
        expires_at=link.expires_at,
    )


class TeamState(SessionState):
    """The business's users, and the one-time link just made (shown until dismissed)."""

    members: list[MemberRow] = []
    team_error: str = ""
    link_url: str = ""
    link_for: str = ""  # the email the link belongs to
    link_purpose: str = ""  # invite | reset
    link_expires: str = ""
    link_mail: str = ""  # sent | failed | off

    @rx.event
    def load(self) -> Any:
        """Read the team (owners and admins); a fresh visit shows no old link."""
        self.team_error = ""
        self._forget_link()
        try:
            self._read(self._me())
        except DomainError as exc:
            self.members = []
            self.team_error = self._say(exc)

    def _read(self, principal: Principal) -> None:
        with unit_of_work(read_only=True) as session:
            found = team.list_users(session, principal=principal)
        self.members = [
            MemberRow(
                id=user.id or 0,
                name=user.name,
                email=user.email,
                role=user.role,
                active=user.is_active,
                last_seen=local_datetime(seen, principal.timezone),
                is_me=user.id == principal.user_id,
            )
            for user, seen in found
        ]

    def _forget_link(self) -> None:
        self.link_url = self.link_for = self.link_purpose = ""
        self.link_expires = self.link_mail = ""

    def _change(self, action: Callable[[Session, Principal], Any]) -> bool:
        """Run ``action`` in one transaction; show its error, or read the team again."""
        principal = self._me()
        self.team_error = ""
        try:
            with unit_of_work() as session:
                action(session, principal)
        except DomainError as exc:
            self.team_error = self._say(exc)
            return False
        self._read(principal)
        return True

    async def _show_link(self, made: _MadeLink, principal: Principal) -> None:
        """Show the committed link and e-mail it (after the commit: it works by then).

        The SMTP exchange runs in a thread: the server goes on with other tabs meanwhile.
        """
        url = link_url(made.path)
        self.link_url, self.link_for, self.link_purpose = url, made.email, made.purpose
        self.link_expires = local_datetime(made.expires_at, principal.timezone)
        self.link_mail = await asyncio.to_thread(
            mail.send_link,
            mail.LinkMail(
                to=made.email,
                name=made.name,
                url=url,
                purpose=made.purpose,
                business=principal.business_name,
                expires_at=made.expires_at,
                locale=made.locale,
                timezone=principal.timezone,
            ),
        )

    @rx.event
    async def invite(self, form: dict[str, Any]) -> Any:
        """Add a user who sets their own password through a one-time link."""
        made: list[_MadeLink] = []
        self._forget_link()

        def action(session: Session, principal: Principal) -> None:
            role = str(form.get("role") or Role.AGENT.value)
            if role not in ROLES:
                raise InvalidInput("unknown role", field="role", key="errors.forbidden")
            link = team.invite(
                session,
                principal=principal,
                email=str(form.get("email", "")),
                name=str(form.get("name", "")).strip(),
                role=Role(role),
                locale=str(form.get("locale") or principal.locale),
            )
            made.append(_made(link, "invite"))

        if not self._change(action):
            return None
        await self._show_link(made[0], self._me())
        return [rx.set_value("invite-email", ""), rx.set_value("invite-name", "")]

    @rx.event
    async def reset_password(self, user_id: int) -> Any:
        """Make a one-time link for a user to choose a new password."""
        made: list[_MadeLink] = []
        self._forget_link()

        def action(session: Session, principal: Principal) -> None:
            link = team.reset_link(session, principal=principal, user_id=int(user_id))
            made.append(_made(link, "reset"))

        if self._change(action):
            await self._show_link(made[0], self._me())

    @rx.event
    def change_role(self, user_id: int, role: str) -> Any:
        """Give a user another role (the business keeps an owner)."""
        if role not in ROLES:
            self.team_error = self._t("errors.forbidden")
            return None
        if self._change(
            lambda s, p: team.set_role(s, principal=p, user_id=int(user_id), role=Role(role))
        ):
            return rx.toast.success(self._t("team.role_changed"))
        return None

    @rx.event
    def set_active(self, user_id: int, active: bool) -> Any:
        """Deactivate a user (their sessions and tokens stop at once) or reactivate them."""
        if self._change(
            lambda s, p: team.set_active(s, principal=p, user_id=int(user_id), active=bool(active))
        ):
            return rx.toast.success(self._t("team.reactivated" if active else "team.deactivated"))
        return None

    @rx.event
    def dismiss_link(self) -> None:
        """Hide the link (it still works until used or expired)."""
        self._forget_link()


SECTION_LOADERS["team"] = TeamState.load
