"""Run the voice bridge alone, to scale calls out: ``python -m voice_bridge [--port 8080]``.

It serves the same ``/twilio`` routes as the CRM server, against the same
database (which must already be migrated), and drains calls on SIGTERM.
"""

from __future__ import annotations

import argparse
import contextlib
from collections.abc import AsyncIterator

import uvicorn
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
    hooks.install()  # finished calls and recordings queue the post-call pipeline
    bridge = create_bridge()

    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        async with bridge.state.bridge().lifespan():
            yield

    return Starlette(routes=[Mount("/twilio", app=bridge)], lifespan=lifespan)


def main() -> None:
    """Serve with uvicorn (64 KiB WebSocket frames at most: Twilio's are under 1 KiB)."""
    parser = argparse.ArgumentParser(prog="python -m voice_bridge")
    parser.add_argument("--host", default="0.0.0.0")  # noqa: S104  (a server listens on all interfaces)
    parser.add_argument("--port", type=int, default=8080)
    args = parser.parse_args()
    uvicorn.run(
        standalone(),
        host=args.host,
        port=args.port,
        ws_max_size=64 * 1024,
        timeout_graceful_shutdown=120,
        log_level="info",
    )


if __name__ == "__main__":
    main()
