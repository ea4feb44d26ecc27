"""``GET /feeds/<secret>.ics``: a calendar's appointments for Google or Apple Calendar.

The secret in the URL is the only credential (calendar apps send no cookie or
token); it is 256 random bits, stored hashed, and rotating it in the app ends
the old URL. Anything else is a plain 404.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from crm_app.db import unit_of_work
from crm_app.services import calendars, ics
from crm_app.services.errors import NotFound
from crm_app.settings import get_settings


def _feed(secret: str) -> str:
    host = urlsplit(get_settings().public_base_url).hostname or "localhost"
    with unit_of_work(read_only=True) as session:
        calendar = calendars.calendar_for_feed(session, secret)
        return ics.feed(session, calendar=calendar, host=host)


async def calendar_feed(request: Request) -> Response:
    """The calendar's ICS feed, or 404."""
    try:
        body = await run_in_threadpool(_feed, request.path_params["secret"])
    except NotFound:
        return PlainTextResponse("Not Found", status_code=404)
    return Response(
        body,
        media_type="text/calendar; charset=utf-8",
        headers={"Cache-Control": "private, max-age=300", "X-Robots-Tag": "noindex"},
    )
