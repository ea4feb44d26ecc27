"""Start the real server, as ``make run`` does, for tests that talk to it over the network.

Each server runs ``python -m crm_app serve`` (the server and its job worker)
from this checkout, and builds its frontend in a directory of its own
(``REFLEX_WEB_WORKDIR``), so no test disturbs another server or a ``make run``
serving from the same checkout.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.conftest import ROOT

BUN = ROOT / "tools/node_modules/@oven/bun-linux-x64/bin/bun"
SECRET = "e2e-secret-key-0123456789"


@dataclass
class LiveServer:
    """A running server: where it answers, its database and files, its log."""

    url: str
    database_url: str
    storage_dir: Path
    log: Path
    web_dir: Path
    tmp_dir: Path  # the server's TMPDIR
    process: subprocess.Popen[bytes]

    @property
    def port(self) -> int:
        return int(self.url.rsplit(":", 1)[1])


PORT_ATTEMPTS = 3


class PortTaken(RuntimeError):
    """The server could not listen: another process took its port first."""


def _unused_port() -> int:
    # Reflex takes a port number, not a socket: the nearest we can do is ask the kernel
    # for one that is free now and hand it over at once. Another process may still bind
    # it before the server does (it listens only after building its frontend): then the
    # server exits saying so, and live_server starts it again on another port.
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def server_environment(tmp: Path, database_url: str, url: str, **extra: str) -> dict[str, str]:
    """A server's settings: its database, its own files, web and temporary directories."""
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "STORAGE_DIR": str(tmp / "files"),
        "SPOOL_DIR": str(tmp / "spool"),
        "SECRET_KEY": SECRET,
        "DEMO_MODE": "0",
        "PUBLIC_BASE_URL": url,
        "PORT": url.rsplit(":", 1)[1],
        "REFLEX_WEB_WORKDIR": str(tmp / "web"),
        "REFLEX_TELEMETRY_ENABLED": "false",
        "REFLEX_CHECK_LATEST_VERSION": "false",
        "NPM_CONFIG_REGISTRY": "https://registry.npmjs.org",
        "PYTHONDONTWRITEBYTECODE": "1",
        "TMPDIR": str(tmp / "tmp"),  # where uploads spool: tests watch that it stays small
    }
    env.pop("REFLEX_REDIS_URL", None)  # only where a test asks for it
    env.update(extra)
    if BUN.exists():
        env["REFLEX_BUN_PATH"] = str(BUN)
    return env


def wait_until_up(server: LiveServer, timeout: float = 300) -> None:
    """Until the page and the API answer (the first build of a web directory is the slow part)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            log = server.log.read_text(errors="replace")[-4000:]
            error = PortTaken if "already in use" in log else RuntimeError
            raise error(f"server exited ({server.process.returncode}):\n{log}")
        with contextlib.suppress(httpx.HTTPError):
            if (
                httpx.get(f"{server.url}/login/", timeout=2).status_code == 200
                and httpx.get(f"{server.url}/api/v1/health", timeout=2).status_code == 200
            ):
                return
        time.sleep(0.5)
    raise RuntimeError(f"server did not start in {timeout}s:\n{server.log.read_text()[-4000:]}")


def _start(tmp: Path, database_url: str, **extra_env: str) -> LiveServer:
    url = f"http://localhost:{_unused_port()}"
    log = tmp / "server.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(ROOT / ".venv/bin/python"), "-m", "crm_app", "serve"],
            cwd=ROOT,
            env=server_environment(tmp, database_url, url, **extra_env),
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return LiveServer(url, database_url, tmp / "files", log, tmp / "web", tmp / "tmp", process)


@contextlib.contextmanager
def live_server(tmp: Path, database_url: str, **extra_env: str) -> Iterator[LiveServer]:
    """Run a server for the block (``extra_env`` adds settings, e.g. ``REFLEX_REDIS_URL``)."""
    (tmp / "tmp").mkdir(parents=True, exist_ok=True)
    for attempt in range(1, PORT_ATTEMPTS + 1):
        server = _start(tmp, database_url, **extra_env)
        try:
            wait_until_up(server)
            break
        except PortTaken:
            stop(server)
            if attempt == PORT_ATTEMPTS:
                raise
        except BaseException:
            stop(server)
            raise
    try:
        yield server
    finally:
        stop(server)


def stop(server: LiveServer) -> None:
    """Stop the server the way Ctrl-C does (the launcher stops its children)."""
    if server.process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(server.process.pid, signal.SIGTERM)
    try:
        server.process.wait(timeout=40)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.process.pid, signal.SIGKILL)
        server.process.wait()
