"""Alerts reach open pages at once: one LISTEN per server, a push to each tab of the user.

:func:`crm_app.services.notifications.notify` issues ``NOTIFY crm_alerts``
with the recipients' ids when its transaction commits. Each server process
keeps one connection listening on that channel and a map of which of its
connected tabs belong to which user (a tab joins when its bell is shown). A
notification refreshes exactly those tabs' bells through Reflex's out-of-band
state update, so there is no polling, and the database's query rate does not
grow with open pages. After the listening connection drops (the database
restarted), it reconnects and refreshes every watched tab once, so an alert
made meanwhile is not missed.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator, Callable
from typing import Any

import psycopg
import reflex as rx

from crm_app.db import database_url
from crm_app.jobs.tasks import conninfo
from crm_app.services.notifications import CHANNEL

logger = logging.getLogger(__name__)
RECONNECT_SECONDS = 1.0


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


async def _push(app: rx.App, bell_state: type[rx.State], token: str) -> None:
    namespace = app.event_namespace
    if namespace is None or token not in namespace.token_to_sid:
        HUB.forget(token)  # the tab is gone
        return
    async with app.modify_state(rx.BaseStateToken(ident=token, cls=bell_state)) as state:
        bell = await state.get_state(bell_state)
        if not await asyncio.to_thread(bell.pushed):  # type: ignore[attr-defined]
            HUB.forget(token)


async def _push_all(app: rx.App, bell_state: type[rx.State], tokens: list[str]) -> None:
    for token in tokens:
        try:
            await _push(app, bell_state, token)
        except Exception:  # one tab's failure must not stop the others' alerts
            logger.exception("alert push failed")


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

    ``app`` gives the Reflex app; ``bell_state`` is the state whose ``pushed()``
    re-reads a tab's alerts (False: the tab's sign-in ended).
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
