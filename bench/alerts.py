"""Alert fan-out benchmark: how soon open pages show a new alert, and what open pages cost.

One server (the Reflex backend as production runs it, its alert listener included) on a
socket this benchmark binds first (port 0). The benchmark opens tabs on the event socket
as the browser does (Socket.IO on ``/_event``, a signed-in cookie, the page's hydration,
then the header bell's ``watch``), spread over a business's three users, and then:

- **fan-out**: :func:`crm_app.services.notifications.notify` alerts all three users; the
  latency of each tab is from the call to the moment its socket receives the new unread
  count (p50 and p99 over every tab and round). Goal: p99 <= 1 s with 200 tabs.
- **idle cost**: the transactions the database commits per second (``pg_stat_database``)
  while the tabs stay open and nothing happens, with the small and the full set of tabs.
  Goal: flat (no polling per tab).

Anchor, same run: a bare ``LISTEN``/``NOTIFY`` round trip between two connections of
this process (the floor any push over PostgreSQL has), and one tab's latency.

Run: ``python -m bench alerts [--tabs 200] [--small 20] [--rounds 5]``.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import psycopg
import sqlalchemy as sa

from bench.common import (
    ADMIN_URL,
    ensure_database,
    listening_socket,
    serve_inherited,
    start_server,
)
from crm_app.db import build_engine, unit_of_work, use_engine
from crm_app.jobs.tasks import conninfo
from crm_app.migrate import upgrade_to_head
from crm_app.models import AlertKind
from crm_app.services import notifications
from crm_app.state.bell import BellState
from tests.factories import PASSWORD, Tenant, make_tenant
from tests.live import server_environment
from tests.socket_tab import Tab, handler_name

DATABASE = "crm_bench_alerts"
WATCH = handler_name(BellState, "watch")
IDLE_SECONDS = 12.0  # longer than PostgreSQL's 10 s flush of an idle backend's statistics
GOAL_P99 = 1.0


@dataclass
class Watcher:
    """An open tab and which of the business's users (0, 1, 2) it is signed in as."""

    tab: Tab
    user: int


def serve(fd: int) -> None:
    """The server's process: the backend only (events, the API, the alert listener)."""
    from crm_app.crm_app import app as reflex_app

    serve_inherited(reflex_app(), fd)


def sign_in(url: str, email: str) -> str:
    """The session cookie the sign-in form sets."""
    answer = httpx.post(
        f"{url}/auth/login",
        data={"email": email, "password": PASSWORD},
        headers={"Origin": url},
        follow_redirects=False,
    )
    if answer.status_code != 303:  # signed in: sent on to the app
        raise RuntimeError(f"sign-in failed: {answer.status_code} {answer.text[:200]}")
    return f"crm_session={answer.cookies['crm_session']}"


def unread_of(message: dict[str, object]) -> int | None:
    """The bell's unread count a state update carries, if it carries one."""
    for changes in dict(message.get("delta") or {}).values():  # type: ignore[call-overload]
        if isinstance(changes, dict) and "unread_rx_state_" in changes:
            return int(changes["unread_rx_state_"])
    return None


async def open_tabs(url: str, cookies: list[str], count: int, first: int) -> list[Watcher]:
    """``count`` tabs showing the bell, ten opening at a time."""
    tabs: list[Watcher] = []

    async def one(index: int) -> Watcher:
        tab = Tab(url)
        user = index % len(cookies)
        await tab.open("/leads", cookie=cookies[user])
        await tab.hydrated(within=60)
        seen = len(tab.received)
        await tab.send(WATCH, "/leads")
        await tab.until(
            lambda t: any(unread_of(m) is not None for m in t.received[seen:]), within=60
        )
        return Watcher(tab, user)

    for start in range(first, first + count, 10):
        batch = range(start, min(start + 10, first + count))
        tabs += await asyncio.gather(*(one(i) for i in batch))
    return tabs


def alert_everyone(tenant: Tenant) -> float:
    """One alert to each of the business's users; when it was asked for."""
    started = time.perf_counter()
    with unit_of_work() as session:
        notifications.notify(
            session,
            business_id=tenant.id,
            user_ids={tenant.owner.id or 0, tenant.admin.id or 0, tenant.agent.id or 0},
            kind=AlertKind.NEW_LEAD,
            data={"lead_id": 1, "name": "benchmark"},
            email=False,
        )
    return started


async def fan_out(
    tabs: list[Watcher], tenant: Tenant, rounds: int, unread: list[int]
) -> list[float]:
    """Per-tab seconds from ``notify`` to the new unread count, over ``rounds`` alerts."""
    latencies: list[float] = []
    for _ in range(rounds):
        marks = [len(w.tab.received) for w in tabs]
        started = await asyncio.to_thread(alert_everyone, tenant)
        unread[:] = [n + 1 for n in unread]

        def arrived(watcher: Watcher, mark: int) -> float | None:
            tab, want = watcher.tab, unread[watcher.user]
            for message, when in zip(tab.received[mark:], tab.arrived[mark:], strict=False):
                if unread_of(message) == want:
                    return when
            return None

        for watcher, mark in zip(tabs, marks, strict=True):  # receipts are stamped on arrival
            await watcher.tab.until(lambda _, w=watcher, m=mark: arrived(w, m) is not None)
        latencies += [(arrived(t, m) or 0.0) - started for t, m in zip(tabs, marks, strict=True)]
        await asyncio.sleep(0.3)
    return latencies


def commits() -> int:
    """Transactions the benchmark's database has finished (committed or rolled back)."""
    admin = sa.create_engine(ADMIN_URL)
    with admin.connect() as conn:
        conn.execute(sa.text("SELECT pg_stat_clear_snapshot()"))
        found = conn.execute(
            sa.text("SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = :d"),
            {"d": DATABASE},
        ).scalar_one()
    admin.dispose()
    return int(found)


async def idle_rate() -> float:
    """The database's transactions per second while nothing happens but open tabs."""
    await asyncio.sleep(IDLE_SECONDS)  # earlier work's statistics are flushed by now
    before = await asyncio.to_thread(commits)
    await asyncio.sleep(IDLE_SECONDS)
    after = await asyncio.to_thread(commits)
    return (after - before) / IDLE_SECONDS


async def notify_round_trip(database_url: str, samples: int = 50) -> list[float]:
    """The anchor: NOTIFY on one connection to its arrival on another that LISTENs."""
    info = conninfo(database_url)
    async with (
        await psycopg.AsyncConnection.connect(info, autocommit=True) as listener,
        await psycopg.AsyncConnection.connect(info, autocommit=True) as sender,
    ):
        await listener.execute("LISTEN bench_anchor")
        runs = []
        for _ in range(samples):
            started = time.perf_counter()
            await sender.execute("SELECT pg_notify('bench_anchor', 'x')")
            async for _note in listener.notifies(timeout=5):
                break
            runs.append(time.perf_counter() - started)
    return runs


def p99(runs: list[float]) -> float:
    return statistics.quantiles(runs, n=100)[-1] if len(runs) > 1 else runs[0]


async def measure(
    url: str, database_url: str, tenant: Tenant, tabs: int, small: int, rounds: int
) -> None:
    users = [tenant.owner, tenant.admin, tenant.agent]
    cookies = [await asyncio.to_thread(sign_in, url, u.email) for u in users]
    anchor = await notify_round_trip(database_url)
    unread = [0, 0, 0]

    one = await open_tabs(url, cookies[:1], 1, 0)
    single = await fan_out(one, tenant, rounds * 4, unread)
    for watcher in one:
        await watcher.tab.close()

    opened = await open_tabs(url, cookies, small, 1)
    small_idle = await idle_rate()
    small_runs = await fan_out(opened, tenant, rounds, unread)
    started = time.perf_counter()
    opened += await open_tabs(url, cookies, tabs - small, 1 + small)
    print(f"{len(opened)} tabs open ({time.perf_counter() - started:.0f} s for the last)")
    big_idle = await idle_rate()
    big_runs = await fan_out(opened, tenant, rounds, unread)
    for watcher in opened:
        await watcher.tab.close()

    floor = statistics.median(anchor)
    base = statistics.median(single)
    print("\n== alert fan-out: notify() to the new unread count on each open tab (ms)")
    print(f"anchor: LISTEN/NOTIFY round trip{'':6}p50 {floor * 1000:7.2f}")
    print(f"anchor: 1 tab{'':25}p50 {base * 1000:7.2f}  p99 {p99(single) * 1000:7.2f}")
    for count, runs in ((small, small_runs), (tabs, big_runs)):
        verdict = "ok" if p99(runs) <= GOAL_P99 else f"over {GOAL_P99 * 1000:.0f}"
        print(
            f"{count:4} tabs ({len(runs):5} receipts){'':10}"
            f"p50 {statistics.median(runs) * 1000:7.2f}"
            f"  p99 {p99(runs) * 1000:7.2f}  {p99(runs) / base:6.1f} x one tab"
            f"  {p99(runs) / floor:7.1f} x NOTIFY  {verdict}"
        )
    print("\n== idle: the database's transactions per second with the tabs open")
    print(f"{small:4} tabs  {small_idle:6.2f} /s")
    flat = "flat" if big_idle <= small_idle + 0.5 else "grows with tabs"
    print(f"{tabs:4} tabs  {big_idle:6.2f} /s  ({flat})")


def run(tabs: int, small: int, rounds: int) -> None:
    database_url = ensure_database(DATABASE, fresh=True)
    engine = build_engine(database_url)
    use_engine(engine)
    upgrade_to_head(engine)
    tenant = make_tenant(name="עסק לבדיקת התראות")
    sock = listening_socket()
    url = f"http://localhost:{sock.getsockname()[1]}"
    with tempfile.TemporaryDirectory(prefix="bench-alerts-") as tmp_dir:
        tmp = Path(tmp_dir)
        (tmp / "tmp").mkdir()
        port = url.rsplit(":", 1)[1]
        env = server_environment(
            tmp,
            database_url,
            url,
            REFLEX_API_URL=url,
            REFLEX_BACKEND_PORT=port,
            REFLEX_ENV_MODE="prod",
            # Reflex's own switch (internal, hence the underscores): the backend alone,
            # without compiling a frontend nobody loads here.
            __REFLEX_SKIP_COMPILE="true",
        )
        server = start_server(
            "bench.alerts", env, sock.fileno(), f"{url}/api/v1/health", tmp / "server.log"
        )
        try:
            asyncio.run(measure(url, database_url, tenant, tabs, small, rounds))
        finally:
            server.terminate()
            server.wait(20)
            sock.close()
    engine.dispose()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench alerts")
    parser.add_argument("--tabs", type=int, default=200)
    parser.add_argument("--small", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=5)
    args, _ = parser.parse_known_args(argv)
    run(args.tabs, args.small, args.rounds)


if __name__ == "__main__":
    if sys.argv[1:2] == ["serve"]:
        serve(int(sys.argv[2]))
    else:
        main(sys.argv[1:])
