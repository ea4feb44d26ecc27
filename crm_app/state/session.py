"""Who is signed in, in which language: the state every page builds on.

The session cookie is HttpOnly, so the browser's JavaScript never sees it; the
server reads it from the headers of the page's event socket. Each page's
``on_load`` runs :meth:`SessionState.require_login` (or a handler that calls
:meth:`SessionState.principal`), which re-checks the session in the database.
"""

from __future__ import annotations

from http.cookies import CookieError, SimpleCookie
from urllib.parse import quote

import reflex as rx
from reflex.event import EventSpec

from crm_app.db import unit_of_work
from crm_app.i18n import DEFAULT_LOCALE, direction, translate
from crm_app.services import accounts, auth
from crm_app.services.auth import Principal


def _cookie_value(cookie_header: str, name: str) -> str | None:
    try:
        jar = SimpleCookie(cookie_header)
    except CookieError:
        return None
    morsel = jar.get(name)
    return morsel.value if morsel else None


def principal_for(cookie_header: str) -> Principal | None:
    """The principal of the session cookie in ``cookie_header``, re-checked now."""
    token = _cookie_value(cookie_header, auth.SESSION_COOKIE)
    with unit_of_work() as session:
        return auth.resolve_session(session, token)


def _set_document_language(locale: str) -> EventSpec:
    return rx.call_script(
        f"document.documentElement.lang='{locale}';"
        f"document.documentElement.dir='{direction(locale)}'"
    )


class SessionState(rx.State):
    """The signed-in user as the UI needs them."""

    locale: str = DEFAULT_LOCALE
    signed_in: bool = False
    user_name: str = ""
    user_email: str = ""
    role: str = ""
    business_name: str = ""
    _user_id: int = 0

    @rx.var
    def is_en(self) -> bool:
        """Whether the interface is in English."""
        return self.locale == "en"

    @rx.var
    def dir(self) -> str:
        """The text direction of the interface."""
        return direction(self.locale)

    @rx.var
    def is_manager(self) -> bool:
        """Owners and admins see admin actions."""
        return self.role in ("owner", "admin")

    def _current_principal(self) -> Principal | None:
        """The principal of this browser's session cookie, re-checked now."""
        return principal_for(self.router.headers.cookie)

    def _t(self, key: str, **params: object) -> str:
        """Translate ``key`` into the user's language (for toasts and messages)."""
        return translate(key, self.locale, **params)

    def _adopt(self, principal: Principal) -> None:
        self.signed_in = True
        self._user_id = principal.user_id
        self.user_name = principal.name
        self.user_email = principal.email
        self.role = principal.role.value
        self.business_name = principal.business_name
        self.locale = principal.locale

    def _forget(self) -> None:
        self.signed_in = False
        self._user_id = 0
        self.user_name = self.user_email = self.role = self.business_name = ""

    def _authenticate(self) -> Principal | None:
        """Re-check the session and refresh the user's fields; None when signed out."""
        principal = self._current_principal()
        if principal is None:
            self._forget()
        else:
            self._adopt(principal)
        return principal

    def _login_redirect(self) -> EventSpec:
        """Send the visitor to ``/login``, remembering where they were going."""
        url = self.router.url
        target = (url.path or "/leads") + (f"?{url.query}" if url.query else "")
        return rx.redirect(f"/login?next={quote(target)}")

    def _language_script(self) -> EventSpec:
        """Set ``lang`` and ``dir`` on ``<html>`` for the user's language."""
        return _set_document_language(self.locale)

    @rx.event
    def require_login(self) -> EventSpec:
        """On a protected page without data of its own: sign-in check only."""
        if self._authenticate() is None:
            return self._login_redirect()
        return self._language_script()

    @rx.event
    def switch_locale(self) -> EventSpec:
        """Toggle Hebrew and English.

        A signed-in user's choice is saved and the page reloads, so that text
        rendered on the server (status labels, dates) follows too.
        """
        self.locale = "en" if self.locale == "he" else "he"
        principal = self._current_principal() if self.signed_in else None
        if principal is None:
            return self._language_script()
        with unit_of_work() as session:
            accounts.set_user_locale(session, user_id=principal.user_id, locale=self.locale)
        return rx.call_script("window.location.reload()")
