"""Alerts reach open pages at once: one LISTEN per server, a push to each tab of the user.

:func:`crm_app.services.notifications.notify` issues ``NOTIFY crm_alerts``
with the recipients' ids when its transaction commits. Each server process
keeps one connection listening on that channel and a map of which of its
connected tabs belong to which user (a tab joins when its bell is shown). A
notification refreshes exactly those tabs' bells through Reflex's out-of-band
state update, so there is no polling, and the database's query rate does not
grow with open pages. One notification reads each user's alerts once, however
many tabs that user has open (a :class:`Round` shares the reads), and
refreshes the tabs a few at a time. After the listening connection drops (the database
restarted), it reconnects and refreshes every watched tab once, so an alert
made meanwhile is not missed.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import threading
from collections.abc import AsyncIterator, Callable
from typing import Any, TypeVar

import psycopg
import reflex as rx

from crm_app.db import database_url
from crm_app.jobs.tasks import conninfo
from crm_app.services.notifications import CHANNEL

logger = logging.getLogger(__name__)
RECONNECT_SECONDS = 1.0
TABS_AT_ONCE = 16  # tabs refreshed concurrently by one notification
T = TypeVar("T")


class Round:
    """What one notification's refresh reads, read once for all its tabs (from any thread)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._found: dict[Any, Any] = {}

    def once(self, key: Any, read: Callable[[], T]) -> T:
        """``read()``'s answer for ``key``: read by the first tab that asks, shared after."""
        with self._lock:
            if key not in self._found:
                self._found[key] = read()
            return self._found[key]  # type: ignore[no-any-return]


class AlertHub:
    """Which connected tabs of this server belong to which user."""

    def __init__(self) -> None:
        self._tabs: dict[int, set[str]] = {}

    def watch(self, user_id: int, token: str) -> None:
        """Tell ``token``'s tab about ``user_id``'s alerts (a tab has one user at a time)."""
        for tabs in self._tabs.values():
            tabs.discard(token)
        self._tabs.setdefault(user_id, set()).add(token)

    def forget(self, token: str) -> None:
        """Stop telling a tab (closed, or signed out)."""
        for tabs in self._tabs.values():
            tabs.discard(token)

    def tabs(self, user_ids: list[int] | None = None) -> list[str]:
        """The tabs of these users (all watched tabs when None)."""
        wanted = self._tabs.keys() if user_ids is None else user_ids
        return sorted({t for u in wanted for t in self._tabs.get(u, ())})


HUB = AlertHub()


async def _push(app: rx.App, bell_state: type[rx.State], token: str, shared: Round) -> None:
    namespace = app.event_namespace
    if namespace is None or token not in namespace.token_to_sid:
        HUB.forget(token)  # the tab is gone
        return
    async with app.modify_state(rx.BaseStateToken(ident=token, cls=bell_state)) as state:
        bell = await state.get_state(bell_state)
        if not await asyncio.to_thread(bell.pushed, shared):  # type: ignore[attr-defined]
            HUB.forget(token)


async def _push_all(app: rx.App, bell_state: type[rx.State], tokens: list[str]) -> None:
    shared, gate = Round(), asyncio.Semaphore(TABS_AT_ONCE)

    async def push(token: str) -> None:
        async with gate:
            try:
                await _push(app, bell_state, token, shared)
            except Exception:  # one tab's failure must not stop the others' alerts
                logger.exception("alert push failed")

    await asyncio.gather(*(push(token) for token in tokens))


async def _listen(app: rx.App, bell_state: type[rx.State]) -> None:
    """Listen on the channel for ever; reconnect (and refresh every tab) after a drop."""
    first = True
    while True:
        try:
            async with await psycopg.AsyncConnection.connect(
                conninfo(database_url()), autocommit=True
            ) as connection:
                await connection.execute(f"LISTEN {CHANNEL}")
                if not first:
                    await _push_all(app, bell_state, HUB.tabs())
                first = False
                async for note in connection.notifies():
                    users = json.loads(note.payload).get("users", [])
                    await _push_all(app, bell_state, HUB.tabs([int(u) for u in users]))
        except (psycopg.Error, OSError) as exc:
            logger.warning("alert listener lost the database: %s", type(exc).__name__)
            await asyncio.sleep(RECONNECT_SECONDS)


def listener(
    app: Callable[[], Any], bell_state: type[rx.State]
) -> Callable[[], contextlib.AbstractAsyncContextManager[None]]:
    """A lifespan task that listens while the server runs.

    ``app`` gives the Reflex app; ``bell_state`` is the state whose ``pushed(shared)``
    re-reads a tab's alerts through the :class:`Round` ``shared`` by the
    notification's tabs (False: the tab's sign-in ended).
    """

    @contextlib.asynccontextmanager
    async def run() -> AsyncIterator[None]:
        task = asyncio.get_running_loop().create_task(_listen(app(), bell_state))
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    return run
