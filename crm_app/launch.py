"""``make run``: the database, its schema, a demo when it is empty, a job worker and the server.

``python -m crm_app serve`` holds the database (the embedded PostgreSQL unless
``DATABASE_URL`` names one), migrates it, seeds the demo when the embedded
database is empty, then runs two children and supervises them: the job worker
(restarted if it dies) and ``reflex run --env prod`` on one port. Stopping it
(Ctrl-C, SIGTERM) stops the server, then the worker, then the database.

Demo mode is decided here, once the database can be looked at: it is on when
nothing says otherwise (no ``SECRET_KEY``, no ``DEMO_MODE``) and the embedded
database is empty or holds only the demo.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType

from crm_app import embedded_db
from crm_app.db import build_engine, unit_of_work
from crm_app.migrate import upgrade_to_head
from crm_app.services import seed
from crm_app.settings import LaunchSettings, Settings, SettingsError, child_environment, configure

ROOT = Path(__file__).resolve().parent.parent
logger = logging.getLogger("crm_app.launch")
_WORKER_RESTART_SECONDS = 5.0
_STOP_SECONDS = 30.0


@contextlib.contextmanager
def database(launch: LaunchSettings) -> Iterator[str]:
    """``DATABASE_URL``, or the embedded server held for the block; yields the URL."""
    if launch.database_url:
        yield launch.database_url
        return
    with embedded_db.held(launch.embedded_database_dir) as url:
        yield url


def demo_mode(launch: LaunchSettings, url: str) -> bool:
    """Whether this run is a demo (see the module's docstring).

    Raises:
        SettingsError: the embedded database holds real data and no
            ``SECRET_KEY`` is set.
    """
    if launch.demo_mode is not None:
        return launch.demo_mode
    if launch.secret_key is not None or launch.database_url:
        return False
    engine = build_engine(url)
    try:
        state = seed.database_state(engine)
    finally:
        engine.dispose()
    if state == "data":
        raise SettingsError(
            f"{launch.embedded_database_dir} holds real data: set SECRET_KEY (see README)"
        )
    return True


def prepare(launch: LaunchSettings, url: str) -> Settings:
    """This process's settings for ``url`` (demo decided), with the schema at head."""
    decided: dict[str, object] = {}
    if not launch.database_url:
        decided["database_url"] = url
    if demo_mode(launch, url) and launch.demo_mode is None:
        decided["demo_mode"] = True
    settings = configure(**decided)
    engine = build_engine(url)
    try:
        upgrade_to_head(engine)
    finally:
        engine.dispose()
    return settings


def serve(launch: LaunchSettings) -> int:
    """Run everything ``make run`` serves until interrupted; returns the server's exit code."""
    with database(launch) as url:
        settings = prepare(launch, url)
        if settings.demo_mode:
            _seed_demo()
        _banner(settings.port, seed.demo_logins() if settings.demo_mode else [])
        env = child_environment(
            DATABASE_URL=url,
            DEMO_MODE="1" if settings.demo_mode else "0",
            PORT=str(settings.port),
            PUBLIC_BASE_URL=settings.public_base_url,
        )
        return Supervisor(env, settings.port).run()


def _seed_demo() -> None:
    with unit_of_work() as session:
        if seed.database_is_empty(session):
            seed.seed_demo(session)


def _banner(port: int, logins: list[seed.DemoLogin]) -> None:
    lines = ["", f"  CRM: http://localhost:{port}"]
    for login in logins:
        lines.append(f"  demo login ({login.business}): {login.email} / {login.password}")
    lines.append("  place a simulated call (another shell): make call")
    if len(logins) > 1:
        lines.append(
            f'    to the English business: make call ARGS="--business-phone {logins[1].phone}"'
        )
    lines.append("")
    sys.stdout.write("\n".join(lines) + "\n")
    sys.stdout.flush()


@dataclass
class Supervisor:
    """Runs the job worker and the server; the server's end is everyone's end."""

    env: dict[str, str]
    port: int
    _stopping: bool = False
    _children: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def run(self) -> int:
        """Start both children, restart a dying worker, stop everything on a signal."""
        previous = {s: signal.signal(s, self._stop) for s in (signal.SIGINT, signal.SIGTERM)}
        try:
            self._start("worker")
            self._start("server")
            return self._watch()
        finally:
            self._shutdown()
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def _command(self, name: str) -> list[str]:
        if name == "worker":
            return [sys.executable, "-m", "crm_app", "worker"]
        reflex = str(Path(sys.executable).with_name("reflex"))
        port = str(self.port)
        return [reflex, "run", "--env", "prod", "--frontend-port", port, "--loglevel", "warning"]

    def _start(self, name: str) -> None:
        # Each child in its own session: a Ctrl-C reaches only this process, which
        # then stops the children in order.
        self._children[name] = subprocess.Popen(
            self._command(name), cwd=ROOT, env=self.env, start_new_session=True
        )

    def _watch(self) -> int:
        while not self._stopping:
            server_code = self._children["server"].poll()
            if server_code is not None:
                return server_code
            if self._children["worker"].poll() is not None:
                logger.warning("job worker exited; restarting it")
                time.sleep(_WORKER_RESTART_SECONDS)
                if not self._stopping:
                    self._start("worker")
            time.sleep(0.2)
        return 0

    def _stop(self, signum: int, _frame: FrameType | None) -> None:
        self._stopping = True

    def _shutdown(self) -> None:
        for name in ("server", "worker"):
            child = self._children.get(name)
            if child is None or child.poll() is not None:
                continue
            with contextlib.suppress(ProcessLookupError):
                os.killpg(child.pid, signal.SIGTERM)  # the child and what it started
            try:
                child.wait(timeout=_STOP_SECONDS)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(child.pid, signal.SIGKILL)
                child.wait()
