"""The real server (``reflex run --env prod``, one port) driven by Debian's chromium.

One server per database backend per run; the test process writes test data
into the same database through the services.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from crm_app import db as crm_db
from crm_app.migrate import upgrade_to_head
from tests.conftest import ROOT, PostgresServer, new_database

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
]
BUN = ROOT / "tools/node_modules/@oven/bun-linux-x64/bin/bun"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class LiveServer:
    url: str
    database_url: str
    storage_dir: Path
    log: Path


def _wait_until_up(
    url: str, process: subprocess.Popen[bytes], log: Path, timeout: float = 240
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited ({process.returncode}):\n{log.read_text()[-4000:]}")
        try:
            if (
                httpx.get(f"{url}/login/", timeout=2).status_code == 200
                and httpx.get(f"{url}/api/v1/health", timeout=2).status_code == 200
            ):
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"server did not start in {timeout}s:\n{log.read_text()[-4000:]}")


@pytest.fixture(scope="session", params=["sqlite", "postgres"])
def live_server(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    postgres: PostgresServer | None,
) -> Iterator[LiveServer]:
    if not Path(CHROMIUM).exists():
        pytest.skip("chromium is not installed (make test installs it)")
    tmp = tmp_path_factory.mktemp(f"live-{request.param}")
    database_url = new_database(request.param, tmp, postgres)
    engine = crm_db.build_engine(database_url)
    upgrade_to_head(engine)
    port = _free_port()
    url = f"http://localhost:{port}"
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "STORAGE_DIR": str(tmp / "files"),
        "SECRET_KEY": "e2e-secret-key-0123456789",
        "DEMO_MODE": "0",
        "PUBLIC_BASE_URL": url,
        "REFLEX_TELEMETRY_ENABLED": "false",
        "REFLEX_CHECK_LATEST_VERSION": "false",
        "NPM_CONFIG_REGISTRY": "https://registry.npmjs.org",
    }
    if BUN.exists():
        env["REFLEX_BUN_PATH"] = str(BUN)
    log = tmp / "server.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                str(ROOT / ".venv/bin/reflex"),
                "run",
                "--env",
                "prod",
                "--frontend-port",
                str(port),
                "--loglevel",
                "info",
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        _wait_until_up(url, process, log)
        previous = crm_db.use_engine(engine)
        yield LiveServer(url, database_url, tmp / "files", log)
        crm_db.use_engine(previous)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
        engine.dispose()


@pytest.fixture(autouse=True)
def _live_engine(live_server: LiveServer) -> Iterator[None]:
    """Test data goes into the live server's database."""
    engine = crm_db.build_engine(live_server.database_url)
    previous = crm_db.use_engine(engine)
    yield
    crm_db.use_engine(previous)
    engine.dispose()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    # Module scope: sync Playwright keeps an event loop in this thread.
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(locale="he-IL", accept_downloads=True)
    context.set_default_timeout(20_000)
    p = context.new_page()
    yield p
    context.close()


def sign_in(
    page: Page, server: LiveServer, email: str, password: str, start: str = "/leads"
) -> None:
    page.goto(server.url + start)
    page.wait_for_url("**/login**")
    page.fill("#login-email", email)
    page.fill("#login-password", password)
    page.click("#login-submit")
