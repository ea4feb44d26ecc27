"""The real server (``python -m crm_app serve``, one port) driven by Debian's chromium.

One server per run; the test process writes test data into the same database
through the services.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from crm_app import db as crm_db
from crm_app.migrate import upgrade_to_head
from tests.conftest import PostgresServer
from tests.jobs.conftest import Outside, serve_outside
from tests.live import LiveServer, live_server
from voice_bridge.testing.fake_openai import FakeRealtime

REDIS = "redis://127.0.0.1:6379/3"
# What the fake Realtime API says to whoever talks to the server's bridge ("Talk to it").
TALK_GREETING = "שלום, כאן הסוכן לבדיקה."
TALK_CALLER = "שלום, אני רוצה לקבוע תור לבדיקה"
TALK_REPLY = "בשמחה, רשמתי את הבקשה. תודה ולהתראות"
# One patience for everything a test waits on: actions (the context's default below) and
# expect(), whose own default of 5 s is short for a page that waits on a loaded 2-core
# machine's server (the socket round trip, the database, a background job).
TIMEOUT_MS = 20_000
expect.set_options(timeout=TIMEOUT_MS)
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


@pytest.fixture(scope="session")
def outside() -> Iterator[Outside]:
    """The paid services the server's own job worker talks to: the fakes, served for the run."""
    with serve_outside() as served:
        yield served


@contextlib.contextmanager
def _realtime_in_thread(fake: FakeRealtime) -> Iterator[str]:
    """Serve the fake Realtime API from a loop of its own; yields its base URL."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="fake-realtime", daemon=True)
    thread.start()
    try:
        yield asyncio.run_coroutine_threadsafe(fake.start(), loop).result(10)
        asyncio.run_coroutine_threadsafe(fake.stop(), loop).result(10)
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)


@pytest.fixture(scope="session")
def realtime() -> Iterator[str]:
    """The Realtime API the server's own bridge talks to: the fake, served for the run."""
    fake = FakeRealtime(
        mode="vad",
        reply_text=TALK_REPLY,
        caller_transcripts=[TALK_CALLER],
        greeting_text=TALK_GREETING,
    )
    with _realtime_in_thread(fake) as url:
        yield url


@pytest.fixture(scope="session")
def server(
    tmp_path_factory: pytest.TempPathFactory,
    postgres: PostgresServer,
    outside: Outside,
    realtime: str,
) -> Iterator[LiveServer]:
    if not Path(CHROMIUM).exists():
        pytest.skip("chromium is not installed (make test installs it)")
    database_url = postgres.create("crm_e2e")
    engine = crm_db.build_engine(database_url)
    upgrade_to_head(engine)
    engine.dispose()
    with live_server(
        tmp_path_factory.mktemp("live"),
        database_url,
        **outside.environment(),
        OPENAI_REALTIME_BASE_URL=realtime,
    ) as running:
        yield running


@pytest.fixture(scope="session")
def pair(
    tmp_path_factory: pytest.TempPathFactory, server: LiveServer
) -> Iterator[tuple[LiveServer, LiveServer]]:
    """Two more servers on the run's database and one Redis, started one after the other."""
    tmp = tmp_path_factory.mktemp("pair")
    extra = {"REFLEX_REDIS_URL": REDIS, "GRANIAN_WORKERS": "1", "STORAGE_DIR": str(tmp / "files")}
    with contextlib.ExitStack() as stack:
        one = stack.enter_context(live_server(tmp / "one", server.database_url, **extra))
        two = stack.enter_context(live_server(tmp / "two", server.database_url, **extra))
        yield one, two


@pytest.fixture(autouse=True)
def _live_engine(server: LiveServer) -> Iterator[None]:
    """Test data goes into the live server's database."""
    engine = crm_db.build_engine(server.database_url)
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
    context.set_default_timeout(TIMEOUT_MS)
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


def open_tab(page: Page, name: str) -> None:
    """Click one of the lead page's tabs, and wait until the page shows it.

    The tabs follow the page's state: the click asks the server, and until its answer
    comes back the previous tab is still there. The Activity tab holds a composer with
    the same ids as the Notes tab's, so a test that went on at once could type into, or
    upload through, a composer that is about to be replaced.
    """
    tab = page.locator(f"#tab-{name}")
    tab.click()
    expect(tab).to_have_attribute("aria-selected", "true")


def switch_language(page: Page) -> None:
    """Click the language switch: in the header's bar, or in its menu on a phone."""
    menu = page.locator("#header-menu")
    if menu.is_visible():
        menu.click()
        page.click("#menu-switch-language")
    else:
        page.click("#switch-language")
