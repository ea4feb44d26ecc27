"""Request authentication for the API and the file routes.

A request is authenticated by ``Authorization: Bearer <api token>`` or by the
browser session cookie. Cookie-authenticated writes must come from one of our
origins, ``PUBLIC_BASE_URL``'s or ``ALLOWED_ORIGINS`` (SameSite=Lax already
stops cross-site posts; this is a second lock).
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated

from fastapi import Depends, Path, Request
from pydantic import AwareDatetime, BeforeValidator, Field

from crm_app.db import unit_of_work
from crm_app.services import auth
from crm_app.services.auth import Principal
from crm_app.services.errors import AuthenticationFailed, PermissionDenied
from crm_app.settings import get_settings

_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Ids are BIGINT, and JSON numbers are exact up to 2**53 (JavaScript's safe integers, and the
# doubles that schema validators compare with): a larger id is refused (422), never sent to SQL.
MAX_ID = 2**53 - 1

RowId = Annotated[int, Path(ge=1, le=MAX_ID, description="a row id")]
"""A row id in a path: 1 .. 2**63-1."""


def _json_integer(value: object) -> object:
    """A JSON integer: a number without a fraction (``3.0`` is one), never a string or a bool."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("an integer")
    if isinstance(value, float):
        if not value.is_integer():
            raise ValueError("an integer")
        return int(value)
    return value


JSON_INTEGER = BeforeValidator(_json_integer)
"""An integer in a JSON body as JSON Schema means it (put it after the ``Field`` bounds)."""

BodyId = Annotated[int, Field(ge=1, le=MAX_ID), JSON_INTEGER]
"""A row id in a request body."""

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _iso_date_only(value: object) -> object:
    if isinstance(value, date) or (isinstance(value, str) and _ISO_DATE.match(value)):
        return value
    raise ValueError("a date like 2026-11-28")


IsoDate = Annotated[date, BeforeValidator(_iso_date_only)]
"""A calendar date written as ``YYYY-MM-DD`` only (not a number of seconds)."""

_ISO_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")


def _iso_datetime_only(value: object) -> object:
    if isinstance(value, datetime) or (isinstance(value, str) and _ISO_DATETIME.match(value)):
        return value
    raise ValueError("a date and time like 2026-11-28T09:30:00+02:00")


IsoDateTime = Annotated[AwareDatetime, BeforeValidator(_iso_datetime_only)]
"""An instant written in ISO 8601 with its offset (not a number of seconds, not naive)."""


def client_ip(request: Request) -> str:
    """The peer address of the request."""
    return request.client.host if request.client else ""


def bearer_token(request: Request) -> str | None:
    """The token of an ``Authorization: Bearer`` header, if any."""
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def foreign_origin(request: Request) -> bool:
    """Whether the request names an ``Origin`` (``null`` included) that is not one of ours.

    A request without ``Origin`` (a non-browser client) is not foreign.
    """
    origin = request.headers.get("origin")
    return origin is not None and origin.lower() not in get_settings().origins


def resolve_request(request: Request) -> Principal | None:
    """The principal of a request (bearer token first, then cookie), or None.

    Only the headers are used, so this may run before the body is read.

    Raises:
        PermissionDenied: a cookie-authenticated write from a foreign origin.
    """
    token = bearer_token(request)
    with unit_of_work() as session:
        if token is not None:
            return auth.resolve_api_token(session, token)
        principal = auth.resolve_session(session, request.cookies.get(auth.SESSION_COOKIE))
    if principal is not None and request.method not in _SAFE_METHODS and foreign_origin(request):
        raise PermissionDenied("cross-origin request refused")
    return principal


def current_principal(request: Request) -> Principal:
    """FastAPI dependency: the authenticated principal, or a 401."""
    principal = resolve_request(request)
    if principal is None:
        raise AuthenticationFailed("sign in or send a valid API token")
    return principal


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]
