"""The voice bridge served alone, to scale calls out: ``python -m crm_app bridge``.

It serves the same ``/twilio`` routes as the CRM server, against the same
database (which must already be migrated), queues the post-call pipeline as
the server does, and drains calls on SIGTERM.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.routing import Mount

from crm_app.db import get_engine
from crm_app.jobs import hooks
from crm_app.migrate import is_at_head
from voice_bridge.app import create_bridge


def standalone() -> Starlette:
    """The bridge under ``/twilio``, with its drain on shutdown."""
    if not is_at_head(get_engine()):
        raise SystemExit("the database is not migrated: run `python -m crm_app migrate` first")
    bridge = create_bridge(events=hooks.on_call_event)

    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        async with bridge.state.bridge().lifespan():
            yield

    return Starlette(routes=[Mount("/twilio", app=bridge)], lifespan=lifespan)
