"""Drive page states as Reflex would: the guard first, with the socket's session key.

``state_for`` builds a tab's state for a page and lets the real guard
(:class:`crm_app.state.guard.SessionGuard`) bind it to the cookie's session,
as the hydration that opens a page does; handlers then run as that user.
``guarded`` runs the guard for one handler, as every event does.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TypeVar

import pytest
import reflex as rx
from reflex.istate.data import RouterData
from reflex.state import BaseState, State, StateUpdate
from reflex_base.event import Event

from crm_app.models import User
from crm_app.services import auth
from crm_app.state.guard import SessionGuard, session_key_of
from crm_app.state.session import SESSION_KEY, use_principal
from tests.factories import PASSWORD

S = TypeVar("S", bound=rx.State)
HYDRATE = f"{State.get_full_name()}.hydrate_and_load"


@pytest.fixture(autouse=True)
def _no_principal_left_over() -> Iterator[None]:
    yield
    use_principal(None)


async def guarded(
    state: BaseState, handler: str, *, cookie: str | None = None
) -> StateUpdate | None:
    """Run the guard for ``handler`` of ``state`` (with another cookie, if given)."""
    root = state._get_root_state()
    if cookie is not None:
        root.router_data = {**root.router_data, SESSION_KEY: session_key_of(cookie)}
    name = handler if "." in handler else f"{type(state).get_full_name()}.{handler}"
    return await SessionGuard().preprocess(app=None, state=root, event=Event(name=name))  # type: ignore[arg-type]


async def state_for(cls: type[S], *, path: str, cookie: str = "") -> S:
    """A tab's state on ``path``, bound by the guard to the session of ``cookie``."""
    root = rx.State()
    state = root.get_substate(cls.get_full_name().split("."))
    state.router = RouterData.from_router_data(
        {"headers": {"origin": "https://crm.test"}, "pathname": path, "asPath": path}
    )
    root.router_data = {**root.router_data, SESSION_KEY: session_key_of(cookie)}
    await guarded(state, HYDRATE)
    return state  # type: ignore[return-value]


def session_cookie(user: User) -> str:
    _, token = auth.sign_in(email=user.email, password=PASSWORD, ip="127.0.0.2")
    return f"{auth.SESSION_COOKIE}={token}"
