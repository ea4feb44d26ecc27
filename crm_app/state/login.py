"""The sign-in page's state: the error to show and where to go next."""

from __future__ import annotations

import reflex as rx
from reflex.event import EventSpec

from crm_app.state.session import SessionState, current_principal, public


class LoginState(SessionState):
    """Reads the query the sign-in form came back with."""

    error: str = ""
    email: str = ""
    next_path: str = ""  # until loaded, the form's post says where to go by its Referer

    @rx.event
    @public
    def load(self) -> EventSpec | None:
        """Signed-in visitors go straight on; others see the form and any error."""
        if current_principal() is not None:
            return rx.redirect(self.next_path if self.next_path.startswith("/") else "/leads")
        params = self.router.url.query_parameters
        self.email = params.get("email", "")
        target = params.get("next", "/leads")
        self.next_path = (
            target if target.startswith("/") and not target.startswith("//") else "/leads"
        )
        code = params.get("error", "")
        if code == "throttled":
            self.error = self._t("login.error.throttled", minutes=params.get("minutes", "15"))
        elif code == "invalid":
            self.error = self._t("login.error.invalid")
        else:
            self.error = ""
        return self._language_script()
