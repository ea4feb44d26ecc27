"""The user's own profile on the settings page: name, password, other sessions."""

from __future__ import annotations

from typing import Any

import reflex as rx

from crm_app.db import unit_of_work
from crm_app.models import ALL_KINDS
from crm_app.services import notifications, team
from crm_app.services.errors import DomainError
from crm_app.state.session import SESSION_KEY, SessionState
from crm_app.state.settings import SECTION_LOADERS


class ProfileState(SessionState):
    """What the profile section shows and says back."""

    name_error: str = ""
    password_error: str = ""
    email_alerts: list[str] = []

    @rx.event
    def load(self) -> None:
        """Read the alerts this user gets by e-mail."""
        with unit_of_work(read_only=True) as session:
            self.email_alerts = notifications.email_choices(session, principal=self._me())

    @rx.event
    def save_email_alerts(self, form: dict[str, Any]) -> Any:
        """Keep the alert kinds ticked in the form."""
        ticked = [kind for kind in ALL_KINDS if form.get(kind) in ("on", True, "true")]
        with unit_of_work() as session:
            self.email_alerts = notifications.set_email_choices(
                session, principal=self._me(), kinds=ticked
            )
        return rx.toast.success(self._t("alerts.email_saved"))

    def _this_session(self) -> str:
        return str(self.router_data.get(SESSION_KEY, ""))

    @rx.event
    def save_name(self, form: dict[str, Any]) -> Any:
        """Rename yourself."""
        self.name_error = ""
        try:
            with unit_of_work() as session:
                user = team.update_profile(session, principal=self._me(), name=str(form["name"]))
        except DomainError as exc:
            self.name_error = self._say(exc)
            return None
        self.user_name = user.name
        return rx.toast.success(self._t("settings.profile.saved"))

    @rx.event
    def change_password(self, form: dict[str, Any]) -> Any:
        """Change your password with the current one; your other sessions end."""
        self.password_error = ""
        try:
            with unit_of_work() as session:
                ended = team.change_password(
                    session,
                    principal=self._me(),
                    current=str(form.get("current", "")),
                    new=str(form.get("new", "")),
                    keep_session_key=self._this_session(),
                )
        except DomainError as exc:
            self.password_error = self._say(exc)
            return None
        return [
            rx.set_value("password-current", ""),
            rx.set_value("password-new", ""),
            rx.toast.success(self._tn("settings.password.changed", ended)),
        ]

    @rx.event
    def sign_out_others(self) -> Any:
        """End every other session of yours."""
        with unit_of_work() as session:
            ended = team.sign_out_others(
                session, principal=self._me(), keep_session_key=self._this_session()
            )
        return rx.toast.success(self._tn("settings.sessions.done", ended))


SECTION_LOADERS["profile"] = ProfileState.load
