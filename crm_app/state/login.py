"""The sign-in page's state: the error to show and where to go next."""

from __future__ import annotations

import reflex as rx
from reflex.event import EventSpec

from crm_app.services.redirects import safe_next
from crm_app.state.session import SessionState, current_principal, public

MAX_SHOWN_MINUTES = 24 * 60  # a wait longer than a day is not a real one


def shown_minutes(raw: str | None) -> int | None:
    """The ``minutes`` of the URL when it is a plain whole number of minutes, else None.

    The value comes from the address bar: anything but digits in a sane range
    (text, signs, spaces, huge numbers) is ignored, never printed.
    """
    if not raw or not raw.isascii() or not raw.isdigit() or len(raw) > 4:
        return None
    minutes = int(raw)
    return minutes if 1 <= minutes <= MAX_SHOWN_MINUTES else None


class LoginState(SessionState):
    """Reads the query the sign-in form came back with."""

    error: str = ""
    email: str = ""
    next_path: str = ""  # until loaded, the form's post says where to go by its Referer

    @rx.event
    @public
    def load(self) -> EventSpec | None:
        """Signed-in visitors go straight on; others see the form and any error."""
        params = self.router.url.query_parameters
        self.next_path = safe_next(params.get("next"))
        if current_principal() is not None:
            return rx.redirect(self.next_path)
        self.email = params.get("email", "")
        self.error = self._error_message(params.get("error", ""), params.get("minutes"))
        return self._language_script()

    def _error_message(self, code: str, minutes: str | None) -> str:
        if code == "invalid":
            return self._t("login.error.invalid")
        if code != "throttled":
            return ""
        wait = shown_minutes(minutes)
        if wait is None:
            return self._t("login.error.throttled_later")
        return self._t("login.error.throttled", minutes=wait)
