"""Drive page states as Reflex would: a router carrying the socket's cookie header."""

from __future__ import annotations

from typing import TypeVar

import reflex as rx
from reflex.istate.data import RouterData

from crm_app.models import User
from crm_app.services import auth
from tests.factories import PASSWORD

S = TypeVar("S", bound=rx.State)


def state_for(cls: type[S], *, path: str, cookie: str = "") -> S:
    root = rx.State()
    state = root.get_substate(cls.get_full_name().split("."))
    state.router = RouterData.from_router_data(
        {
            "headers": {"cookie": cookie, "origin": "https://crm.test"},
            "pathname": path,
            "asPath": path,
        }
    )
    return state  # type: ignore[return-value]


def session_cookie(user: User) -> str:
    _, token = auth.sign_in(email=user.email, password=PASSWORD, ip="127.0.0.2")
    return f"{auth.SESSION_COOKIE}={token}; crm_locale=he"
