"""Who is signed in, in which language: the state every page builds on.

A page's state belongs to the sign-in session that loaded it. The session
cookie is HttpOnly, so the browser's JavaScript never sees it and the state
never holds it: the event socket and the upload route turn it into the
session's *key* (the hash the database keeps), and :mod:`crm_app.state.guard`
checks that key against the one the state was loaded for before any handler
runs. Handlers therefore never authenticate; they ask :meth:`SessionState._me`
for the principal the guard resolved for this very event.
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from typing import Any, TypeVar
from urllib.parse import quote

import reflex as rx
from reflex.event import EventSpec

from crm_app.db import unit_of_work
from crm_app.i18n import DEFAULT_LOCALE, direction, translate
from crm_app.i18n.plurals import plural
from crm_app.services import accounts
from crm_app.services.auth import Principal
from crm_app.services.errors import DomainError

# Where the event socket and the upload route put the session's key in router_data.
SESSION_KEY = "crm_session_key"
# The principal of the event being handled (set by the guard for every event).
_principal: ContextVar[Principal | None] = ContextVar("crm_principal", default=None)

F = TypeVar("F", bound=Callable[..., Any])


class NotSignedIn(RuntimeError):
    """A handler asked for the principal of an event that has none (a guard bug)."""


def public(handler: F) -> F:
    """Mark an event handler that runs for signed-out visitors too (the sign-in page)."""
    handler._crm_public = True  # type: ignore[attr-defined]
    return handler


def is_public(handler: Callable[..., Any]) -> bool:
    """Whether :func:`public` marked ``handler``."""
    return bool(getattr(handler, "_crm_public", False))


def current_principal() -> Principal | None:
    """The principal of the event being handled, if signed in."""
    return _principal.get()


def use_principal(principal: Principal | None) -> None:
    """Make ``principal`` the current event's (the guard; tests that drive a state)."""
    _principal.set(principal)


def _set_document_language(locale: str) -> EventSpec:
    return rx.call_script(
        f"document.documentElement.lang='{locale}';"
        f"document.documentElement.dir='{direction(locale)}'"
    )


class SessionState(rx.State):
    """The signed-in user as the UI needs them, and the session the tab's data belongs to."""

    locale: str = DEFAULT_LOCALE
    signed_in: bool = False
    user_name: str = ""
    user_email: str = ""
    role: str = ""
    business_name: str = ""
    _session_key: str = ""  # the sign-in session this tab's data was loaded for

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

    def _me(self) -> Principal:
        """The principal of this event (the guard let it through, so there is one)."""
        principal = _principal.get()
        if principal is None:
            raise NotSignedIn("no principal for this event")
        return principal

    def _t(self, key: str, **params: object) -> str:
        """Translate ``key`` into the user's language (for toasts and messages)."""
        return translate(key, self.locale, **params)

    def _tn(self, key: str, count: int, **params: object) -> str:
        """The plural form of ``key`` for ``count`` in the user's language."""
        return plural(key, count, self.locale, **params)

    def _say(self, error: DomainError) -> str:
        """A domain error as the user reads it."""
        return self._t(error.key) if error.key else error.message

    def _adopt(self, principal: Principal, session_key: str) -> None:
        """Bind the tab to this session and show who is signed in (only changed fields)."""
        fields = {
            "signed_in": True,
            "user_name": principal.name,
            "user_email": principal.email,
            "role": principal.role.value,
            "business_name": principal.business_name,
            "locale": principal.locale,
            "_session_key": session_key,
        }
        for name, value in fields.items():
            if getattr(self, name) != value:
                setattr(self, name, value)

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
        """On a protected page without data of its own (the guard has checked the session)."""
        return self._language_script()

    @rx.event
    @public
    def switch_locale(self) -> EventSpec:
        """Toggle Hebrew and English.

        A signed-in user's choice is saved and the page reloads, so that text
        rendered on the server (status labels, dates) follows too.
        """
        self.locale = "en" if self.locale == "he" else "he"
        principal = current_principal()
        if principal is None:
            return self._language_script()
        with unit_of_work() as session:
            accounts.set_user_locale(session, user_id=principal.user_id, locale=self.locale)
        return rx.call_script("window.location.reload()")
