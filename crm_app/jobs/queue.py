"""Where pipeline runs go: procrastinate on Postgres, a thread of this process on SQLite.

Postgres: runs are durable jobs in the database, executed by any number of
``python -m crm_app worker`` processes on any machine, retried with backoff,
and retried again when a worker dies mid-job (its heartbeat stops).

SQLite: there is one server process, so runs execute in a daemon thread of
it; ``make run`` needs nothing more. Durability comes from the call rows: a
run's intent is written to the call (``pipeline.state = queued``) before it is
queued, and :meth:`LocalQueue.resume` queues again whatever a restart cut
short.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Protocol

import procrastinate
from sqlmodel import col, select

from crm_app.db import unit_of_work
from crm_app.jobs import tasks
from crm_app.jobs.pipeline import mark_queued, run_pipeline
from crm_app.models import Call, utcnow
from crm_app.settings import get_settings

logger = logging.getLogger("crm_app.jobs")


class JobQueue(Protocol):
    """Something that runs a call's pipeline later."""

    def enqueue(self, call_id: int, *, final: bool = False, delay: float = 0.0) -> None:
        """Run the pipeline of ``call_id`` after ``delay`` seconds."""


class ProcrastinateQueue:
    """Defers jobs to procrastinate's tables (opened on first use, in this process)."""

    def __init__(self, database_url: str) -> None:
        self.database_url = database_url
        self._app: procrastinate.App | None = None
        self._lock = threading.Lock()

    def _opened(self) -> procrastinate.App:
        with self._lock:
            if self._app is None:
                connector = procrastinate.SyncPsycopgConnector(
                    conninfo=tasks.conninfo(self.database_url), min_size=0, max_size=2
                )
                self._app = tasks.build_app(connector).open()
            return self._app

    def enqueue(self, call_id: int, *, final: bool = False, delay: float = 0.0) -> None:
        """Defer a ``crm:call_pipeline`` job."""
        tasks.defer(self._opened(), call_id, final=final, delay=delay)

    def close(self) -> None:
        """Close the connection pool."""
        with self._lock:
            if self._app is not None:
                self._app.close()
                self._app = None


class LocalQueue:
    """Runs pipelines one at a time in a daemon thread, with retries and delays."""

    def __init__(
        self,
        run: Callable[..., str] = run_pipeline,
        *,
        attempts: int = 5,
        backoff: float = 3.0,
    ) -> None:
        self._run, self.attempts, self.backoff = run, attempts, backoff
        self._heap: list[tuple[float, int, int, bool, int]] = []
        self._order = itertools.count()
        self._waiting: set[tuple[int, bool]] = set()
        self._busy = False
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None
        self._stopped = False

    def enqueue(self, call_id: int, *, final: bool = False, delay: float = 0.0) -> None:
        """Queue a run (a duplicate of a run that has not started is dropped)."""
        self._push(call_id, final, delay, attempt=1)

    def _push(self, call_id: int, final: bool, delay: float, attempt: int) -> None:
        with self._cond:
            if (call_id, final) in self._waiting and attempt == 1:
                return
            self._waiting.add((call_id, final))
            due = time.monotonic() + delay
            heapq.heappush(self._heap, (due, next(self._order), call_id, final, attempt))
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._loop, name="jobs", daemon=True)
                self._thread.start()
            self._cond.notify_all()

    def _next(self) -> tuple[int, bool, int] | None:
        with self._cond:
            while not self._stopped:
                now = time.monotonic()
                if self._heap and self._heap[0][0] <= now:
                    _, _, call_id, final, attempt = heapq.heappop(self._heap)
                    self._waiting.discard((call_id, final))
                    self._busy = True
                    return call_id, final, attempt
                timeout = self._heap[0][0] - now if self._heap else None
                self._cond.wait(timeout)
            return None

    def _loop(self) -> None:
        while (item := self._next()) is not None:
            call_id, final, attempt = item
            try:
                self._run(call_id, final=final)
            except Exception:
                if attempt >= self.attempts:
                    logger.exception("pipeline_gave_up call_id=%s attempts=%s", call_id, attempt)
                else:
                    logger.warning("pipeline_retry call_id=%s attempt=%s", call_id, attempt)
                    self._push(call_id, final, self.backoff**attempt, attempt + 1)
            finally:
                with self._cond:
                    self._busy = False
                    self._cond.notify_all()

    def wait_idle(self, within: float = 30.0) -> bool:
        """Until nothing is running and nothing is due now (delayed runs may remain)."""
        deadline = time.monotonic() + within
        with self._cond:
            while self._busy or (self._heap and self._heap[0][0] <= time.monotonic()):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._cond.wait(min(remaining, 0.1))
        return True

    def stop(self) -> None:
        """Stop taking runs (the one in progress finishes)."""
        with self._cond:
            self._stopped = True
            self._cond.notify_all()

    def resume(self) -> list[int]:
        """Queue again what a restart interrupted; returns those calls' ids."""
        wait = get_settings().recording_wait_seconds
        since = utcnow() - timedelta(days=7)
        with unit_of_work(read_only=True) as session:
            rows = session.exec(
                select(Call).where(col(Call.created_at) >= since, col(Call.end_reason) != "")
            ).all()
        resumed = []
        for call in rows:
            state = call.pipeline.get("state")
            assert call.id is not None
            if state in ("queued", "running", None):  # None: finalized, never queued
                self.enqueue(call.id)
            elif state == "waiting":
                ended = call.ended_at or call.updated_at
                left = (ended + timedelta(seconds=wait) - utcnow()).total_seconds()
                self.enqueue(call.id, final=True, delay=max(0.0, left))
            else:
                continue
            resumed.append(call.id)
        return resumed


_queue: JobQueue | None = None
_queue_lock = threading.Lock()


def current() -> JobQueue:
    """This process's queue, chosen by the database."""
    global _queue
    with _queue_lock:
        if _queue is None:
            settings = get_settings()
            _queue = (
                LocalQueue() if settings.is_sqlite else ProcrastinateQueue(settings.database_url)
            )
        return _queue


def use_queue(queue: JobQueue | None) -> JobQueue | None:
    """Replace this process's queue (tests, the simulator); returns the previous one."""
    global _queue
    with _queue_lock:
        previous, _queue = _queue, queue
        return previous


def enqueue_pipeline(call_id: int, *, final: bool = False, delay: float = 0.0) -> None:
    """Record the intent on the call, then queue the run."""
    if delay <= 0:
        mark_queued(call_id)
    current().enqueue(call_id, final=final, delay=delay)
