"""Serve an ASGI app on a local port inside the running event loop (tests, simulator, bench).

The listening socket is bound here, before uvicorn starts, and handed to it:
with no port asked for, the kernel picks a free one at that bind, so no other
process can take the port between choosing it and listening on it.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator

import uvicorn
from starlette.types import ASGIApp

# How long a stopping server lets open requests finish before it cancels them (a fake
# told to answer slowly would otherwise hold the test's teardown until it answers).
GRACEFUL_SHUTDOWN_SECONDS = 5
START_SECONDS = 30.0  # generous: a loaded CI machine is slow to schedule a new server


def _listening_socket(port: int | None) -> socket.socket:
    """A socket bound on 127.0.0.1 (``port``, or one the kernel picks now)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        if port:  # a fixed port may still hold connections in TIME_WAIT from a last run
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", port or 0))
    except OSError:
        sock.close()
        raise
    return sock


def _server(app: ASGIApp, sock: socket.socket) -> uvicorn.Server:
    host, port = sock.getsockname()[:2]
    return uvicorn.Server(
        uvicorn.Config(
            app,
            host=host,
            port=port,
            log_level="warning",
            lifespan="off",
            ws="websockets-sansio",
            ws_max_size=64 * 1024,
            timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
        )
    )


def _url(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    return f"http://{host}:{port}"


@contextlib.asynccontextmanager
async def serve(
    app: ASGIApp, port: int | None = None, sock: socket.socket | None = None
) -> AsyncIterator[str]:
    """Serve ``app`` with uvicorn for the duration of the block; yields its base URL.

    ``sock`` is a socket bound elsewhere (a parent process's, inherited by descriptor).
    """
    sock = sock or _listening_socket(port)
    with sock:
        server = _server(app, sock)
        task = asyncio.get_running_loop().create_task(server.serve(sockets=[sock]))
        try:
            async with asyncio.timeout(START_SECONDS):
                while not server.started:
                    if task.done():
                        task.result()  # surfaces a failure to start
                    await asyncio.sleep(0.01)
            yield _url(sock)
        finally:
            server.should_exit = True
            await task


@contextlib.contextmanager
def serve_in_thread(app: ASGIApp, port: int | None = None) -> Iterator[str]:
    """Serve ``app`` from a background thread (for synchronous callers); yields its base URL."""
    sock = _listening_socket(port)
    with sock:
        server = _server(app, sock)
        name = f"serve-{sock.getsockname()[1]}"
        thread = threading.Thread(target=server.run, args=([sock],), name=name, daemon=True)
        thread.start()
        try:
            deadline = time.monotonic() + START_SECONDS
            while not server.started:
                if not thread.is_alive() or time.monotonic() > deadline:
                    raise RuntimeError(f"{name} did not start")
                time.sleep(0.01)
            yield _url(sock)
        finally:
            server.should_exit = True
            thread.join(timeout=GRACEFUL_SHUTDOWN_SECONDS + 10)
