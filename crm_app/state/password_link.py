"""``/password?token=…``: a new user, or one whose password was reset, chooses a password.

The page is public (its visitor is not signed in): the link's secret is the
credential. It works once, for 24 hours; then the page says it is spent.
Once the password is set the visitor goes to sign in, their email filled in.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import reflex as rx

from crm_app.db import unit_of_work
from crm_app.services import team
from crm_app.services.errors import DomainError, NotFound
from crm_app.state.session import SessionState, current_principal, public


class PasswordLinkState(SessionState):
    """Whose link this is, and what the form says back."""

    checked: bool = False  # the link was looked up
    valid: bool = False
    purpose: str = ""  # invite | reset
    owner_name: str = ""
    owner_email: str = ""
    link_error: str = ""
    _token: str = ""

    @rx.event
    @public
    def load(self) -> Any:
        """Look the link up; a spent or expired one shows a message instead of the form."""
        self._token = self.router.url.query_parameters.get("token", "")
        self.link_error, self.checked = "", True
        try:
            with unit_of_work(read_only=True) as session:
                user, purpose = team.link_owner(session, token=self._token)
                name, email, locale = user.name, user.email, user.locale
        except NotFound:
            self.valid, self.purpose, self.owner_name, self.owner_email = False, "", "", ""
            return self._language_script()
        self.valid, self.purpose, self.owner_name, self.owner_email = True, purpose, name, email
        if current_principal() is None and locale != self.locale:
            self.locale = locale  # the page speaks the language the user was invited in
        return self._language_script()

    @rx.event
    @public
    def set_password(self, form: dict[str, Any]) -> Any:
        """Set the password (twice, the same) through the link, then go to sign in."""
        password = str(form.get("password", ""))
        if password != str(form.get("confirm", "")):
            self.link_error = self._t("password_link.mismatch")
            return None
        self.link_error = ""
        try:
            with unit_of_work() as session:
                user = team.use_link(session, token=self._token, password=password)
                email = user.email
        except NotFound:
            self.valid = False
            return None
        except DomainError as exc:
            self.link_error = self._say(exc)
            return None
        self.valid, self._token = False, ""
        return [
            rx.toast.success(self._t("password_link.done")),
            rx.redirect("/login?" + urlencode({"email": email})),
        ]
