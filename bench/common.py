"""Shared benchmark plumbing: a throwaway Postgres database, ratios."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from crm_app.db import build_engine, use_engine
from crm_app.migrate import upgrade_to_head

ROOT = Path(__file__).resolve().parents[1]
ADMIN_URL = os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


def listening_socket() -> socket.socket:
    """A socket listening on 127.0.0.1 at a port the kernel picks as it binds (port 0).

    It is bound before anything learns its port, so nothing else can take the port in
    between; a server in a child process serves it by file descriptor (``pass_fds``).
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(1024)
    sock.set_inheritable(True)
    return sock


def serve_inherited(app: Callable[..., Any], fd: int, **config: Any) -> None:
    """Serve an ASGI app with uvicorn on the listening socket ``fd`` from the parent.

    ``socket(fileno=)`` reads the socket's family; uvicorn's own ``fd=`` would take it
    for a Unix socket, and asyncio then leaves Nagle's algorithm on (40 ms a response).
    """
    import uvicorn

    listening = socket.socket(fileno=fd)
    uvicorn.Server(uvicorn.Config(app, log_level="warning", **config)).run(sockets=[listening])


def start_server(
    module: str, env: dict[str, str], fd: int, probe: str, log: Path
) -> subprocess.Popen[bytes]:
    """Run ``python -m <module> serve <fd>`` on the inherited socket until ``probe`` answers 200."""
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", module, "serve", str(fd)],
            cwd=ROOT,
            env=env,
            pass_fds=(fd,),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited:\n{log.read_text()[-3000:]}")
        try:
            if httpx.get(probe, timeout=2).status_code == 200:
                return process
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    process.kill()
    raise RuntimeError(f"the server did not start:\n{log.read_text()[-3000:]}")


def report_ratio(ours: float, anchor: float) -> str:
    """``0.03 x`` of the anchor (lower is better for times)."""
    return f"{ours / anchor:.3f} x anchor" if anchor else "n/a"


def ensure_database(name: str, fresh: bool = False) -> str:
    """Create (or recreate) a UTF-8 database for a benchmark; returns its URL."""
    admin = sa.create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        exists = conn.execute(
            sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}
        ).first()
        if exists and fresh:
            conn.execute(sa.text(f"DROP DATABASE {name} WITH (FORCE)"))
            exists = None
        if not exists:
            conn.execute(
                sa.text(
                    f"CREATE DATABASE {name} TEMPLATE template0 ENCODING 'UTF8' "
                    "LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8'"
                )
            )
    admin.dispose()
    return make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)


def bench_database(name: str, rows: int, fresh: bool) -> tuple[str, int]:
    """The lead benchmark database, generated once and reused; returns (url, big business id)."""
    from bench.leads_data import generate

    url = ensure_database(name, fresh)
    engine = build_engine(url)
    use_engine(engine)
    upgrade_to_head(engine)
    with engine.connect() as conn:
        have = conn.execute(sa.text("SELECT count(*) FROM lead")).scalar_one()
        big = conn.execute(
            sa.text(
                "SELECT business_id FROM lead GROUP BY business_id ORDER BY count(*) DESC LIMIT 1"
            )
        ).scalar()
    if have != rows:
        if have:
            engine.dispose()
            return bench_database(name, rows, fresh=True)
        big = generate(engine, rows)
    assert big is not None
    return url, int(big)
