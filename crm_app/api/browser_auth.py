"""Browser sign-in and sign-out: plain form posts that set the HttpOnly session cookie.

The login page posts here (it works without JavaScript); the answer is a 303
to the page the visitor wanted, or back to ``/login`` with an error code. A
post whose ``Origin`` is present and not one of ours (``null`` included) is
refused with a 403 before anything happens: no session is opened or ended.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlencode, urlsplit

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from crm_app.api.deps import client_ip, foreign_origin
from crm_app.api.errors import error_response
from crm_app.db import unit_of_work
from crm_app.services import auth
from crm_app.services.errors import AuthenticationFailed, Throttled
from crm_app.services.redirects import safe_next
from crm_app.settings import get_settings


def _next_from_referer(request: Request) -> str:
    """The ``next`` of the login page that posted the form.

    The form's hidden ``next`` is filled once the page's state has loaded; a
    visitor who submits sooner (or has no JavaScript) still goes where they
    were going, because the login page's own URL carries it.
    """
    referer = urlsplit(request.headers.get("referer", ""))
    if not referer.path.startswith("/login"):
        return ""
    return parse_qs(referer.query).get("next", [""])[0]


def _back_to_login(error: str, email: str, next_path: str, **extra: str) -> RedirectResponse:
    query = urlencode({"error": error, "email": email, "next": next_path, **extra})
    return RedirectResponse(f"/login?{query}", status_code=303)


def _cross_origin() -> Response:
    return error_response(403, "forbidden", "cross-origin request refused")


async def login(request: Request) -> Response:
    """Check the form's email and password; on success set the session cookie."""
    if foreign_origin(request):
        return _cross_origin()
    form = await request.form()
    email = str(form.get("email", ""))[:254]
    password = str(form.get("password", ""))[:1024]
    next_path = safe_next(str(form.get("next", "")) or _next_from_referer(request))
    try:
        _principal, token = await run_in_threadpool(
            auth.sign_in,
            email=email,
            password=password,
            ip=client_ip(request),
            user_agent=request.headers.get("user-agent", ""),
        )
    except Throttled as exc:
        minutes = str(max(1, (exc.retry_after + 59) // 60))
        return _back_to_login("throttled", email, next_path, minutes=minutes)
    except AuthenticationFailed:
        return _back_to_login("invalid", email, next_path)
    response = RedirectResponse(next_path, status_code=303)
    settings = get_settings()
    response.set_cookie(
        auth.SESSION_COOKIE,
        token,
        max_age=settings.session_absolute_hours * 3600,
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
        path="/",
    )
    return response


def _end_session(token: str | None, ip: str) -> None:
    with unit_of_work() as session:
        auth.end_session(session, token, ip=ip)


async def logout(request: Request) -> Response:
    """End the session and clear the cookie."""
    if foreign_origin(request):
        return _cross_origin()
    await run_in_threadpool(
        _end_session, request.cookies.get(auth.SESSION_COOKIE), client_ip(request)
    )
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(auth.SESSION_COOKIE, path="/", httponly=True, samesite="lax")
    return response
