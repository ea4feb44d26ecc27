"""The one place the UI authenticates: every event, hydration and upload passes here.

Before any handler runs (a Reflex middleware, ahead of hydration), the guard
resolves the session key that the event's own connection carries (the event
socket and the upload route put it in ``router_data``) and compares it with the
session the tab's state was loaded for:

- the same session, or a tab that holds nothing yet: the handler runs, and
  :meth:`SessionState._me` gives it the principal;
- no session (no cookie, expired, signed out) or another one: the state's data
  is cleared first, so nothing loaded for the other session can be sent back;
  then the browser goes to sign-in, unless the handler is public (the sign-in
  page, and Reflex's own hydration, which then sends the cleared state).
"""

from __future__ import annotations

import asyncio
from http.cookies import CookieError, SimpleCookie
from typing import TYPE_CHECKING

from reflex.istate.delta import _resolve_delta
from reflex.middleware.middleware import Middleware
from reflex.state import BaseState, StateUpdate
from reflex_base.event import Event
from reflex_base.registry import RegistrationContext

from crm_app.db import unit_of_work
from crm_app.services import auth
from crm_app.services.auth import Principal
from crm_app.state.session import SESSION_KEY, SessionState, is_public, use_principal

if TYPE_CHECKING:
    from reflex.app import App


def session_key_of(cookie_header: str) -> str:
    """The key of the session named by a ``Cookie`` header ("" when there is none)."""
    try:
        morsel = SimpleCookie(cookie_header).get(auth.SESSION_COOKIE)
    except CookieError:
        return ""
    return auth.hash_token(morsel.value) if morsel and morsel.value else ""


def principal_for_key(key: str) -> Principal | None:
    """The principal of a session key, re-checked now (expiry, deactivation)."""
    if not key:
        return None
    with unit_of_work() as session:
        return auth.resolve_session_key(session, key)


def _is_public(event: Event) -> bool:
    registered = RegistrationContext.get().event_handlers.get(event.name)
    if registered is None:
        return False
    if not any(issubclass(state, SessionState) for state in registered.states):
        return True  # Reflex's own events: hydration, on-load dispatch, client storage
    return is_public(registered.handler.fn)


def _descendants(cls: type[BaseState]) -> list[type[BaseState]]:
    found: list[type[BaseState]] = []
    for sub in cls.get_substates():
        found += [sub, *_descendants(sub)]
    return found


async def clear(root: BaseState) -> SessionState:
    """Reset every page's data in this tab (keeping only its language); returns the session state.

    Every substate is loaded first: a state manager that loads substates on
    demand (Redis) would otherwise keep the ones this event did not touch.
    """
    session_state = await root.get_state(SessionState)
    for cls in _descendants(SessionState):
        await root.get_state(cls)
    locale = session_state.locale
    session_state.reset()  # type: ignore[no-untyped-call]  # Reflex's own, untyped
    session_state.locale = locale
    return session_state


class SessionGuard(Middleware):
    """Binds a tab's state to the sign-in session that loaded it (see the module docstring)."""

    async def preprocess(self, app: App, state: BaseState, event: Event) -> StateUpdate | None:
        """Resolve this event's session; clear and redirect when it is not the state's."""
        key = str(state.router_data.get(SESSION_KEY, ""))
        principal = await asyncio.to_thread(principal_for_key, key) if key else None
        use_principal(principal)
        session_state = await state.get_state(SessionState)
        bound = session_state._session_key
        if principal is not None and bound in ("", key):
            session_state._adopt(principal, key)
            return None
        use_principal(None)  # a state loaded for another session runs nothing as this one
        if bound or session_state.signed_in:
            session_state = await clear(state)
        if _is_public(event):
            return None
        delta = await _resolve_delta(state.get_delta())
        state._clean()  # type: ignore[no-untyped-call]  # Reflex's own, untyped
        redirect = session_state._login_redirect()
        return StateUpdate(delta=delta, events=Event.from_event_type([redirect]))
