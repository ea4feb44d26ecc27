"""The header's bell: the user's unread alerts, kept current by the server's push."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import reflex as rx

from crm_app.db import unit_of_work
from crm_app.i18n.formats import local_datetime
from crm_app.services import notifications
from crm_app.services.alert_mail import words
from crm_app.state import alert_push
from crm_app.state.guard import principal_for_key
from crm_app.state.session import SESSION_KEY, SessionState


@dataclass(frozen=True)
class AlertRow:
    """One alert in the bell's list."""

    id: int
    title: str
    href: str
    when: str
    unread: bool
    kind: str


def _bell_of(user_id: int) -> notifications.Bell:
    with unit_of_work(read_only=True) as session:
        return notifications.bell(session, user_id=user_id)


class BellState(SessionState):
    """The unread count and the newest alerts of the signed-in user."""

    unread: int = 0
    alerts: list[AlertRow] = []

    def _read(self, user_id: int, timezone: str) -> None:
        self._show(_bell_of(user_id), timezone)

    def _show(self, found: notifications.Bell, timezone: str) -> None:
        self.unread = found.unread
        self.alerts = [
            AlertRow(
                id=n.id or 0,
                title=(said := words(n, self.locale)).title,
                href=said.href,
                when=local_datetime(n.created_at, timezone),
                unread=n.read_at is None,
                kind=n.kind,
            )
            for n in found.items
        ]

    @rx.event
    def watch(self) -> None:
        """Show the alerts, and have this tab told of new ones as they happen."""
        principal = self._me()
        alert_push.HUB.watch(principal.user_id, self.router.session.client_token)
        self._read(principal.user_id, principal.timezone)

    def pushed(self, shared: alert_push.Round) -> bool:
        """Re-read after a push; False when the tab's sign-in has ended (stop telling it).

        The tabs of one sign-in, and of one user, share what ``shared`` read for the first.
        """
        key = str(self.router_data.get(SESSION_KEY, ""))
        principal = shared.once(("sign-in", key), lambda: principal_for_key(key))
        if principal is None:
            self.unread, self.alerts = 0, []
            return False
        user_id = principal.user_id
        self._show(shared.once(("bell", user_id), lambda: _bell_of(user_id)), principal.timezone)
        return True

    @rx.event
    def mark_all_read(self) -> None:
        """Mark every alert read."""
        principal = self._me()
        with unit_of_work() as session:
            notifications.mark_read(session, principal=principal)
        self._read(principal.user_id, principal.timezone)

    @rx.event
    def open_alert(self, alert_id: int, href: str) -> Any:
        """Mark one alert read and go to what it is about."""
        principal = self._me()
        with unit_of_work() as session:
            notifications.mark_read(session, principal=principal, ids=[int(alert_id)])
        self._read(principal.user_id, principal.timezone)
        return rx.redirect(href if href.startswith("/") else "/leads")
