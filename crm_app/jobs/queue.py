"""Where pipeline runs go: procrastinate jobs in the CRM's own database.

Runs are durable jobs executed by any number of workers on any machine
(``make run`` supervises one; ``python -m crm_app worker`` adds more), retried
with backoff, and retried again when a worker dies mid-job (its heartbeat
stops; see :mod:`crm_app.jobs.worker`).
"""

from __future__ import annotations

import threading
from typing import Protocol

import procrastinate

from crm_app.db import database_url
from crm_app.jobs import tasks
from crm_app.services.call_pipeline import mark_queued


class JobQueue(Protocol):
    """Something that runs a call's pipeline later."""

    def enqueue(self, call_id: int, *, final: bool = False, delay: float = 0.0) -> None:
        """Run the pipeline of ``call_id`` after ``delay`` seconds."""

    def send_texts(self) -> None:
        """Send the waiting texts to customers soon."""


class ProcrastinateQueue:
    """Defers jobs to procrastinate's tables (opened on first use, in this process)."""

    def __init__(self, url: str, *, queue: str = tasks.QUEUE) -> None:
        self.database_url, self.queue = url, queue
        self._app: procrastinate.App | None = None
        self._lock = threading.Lock()

    def app(self) -> procrastinate.App:
        """The procrastinate app, opened on first use."""
        with self._lock:
            if self._app is None:
                connector = procrastinate.SyncPsycopgConnector(
                    conninfo=tasks.conninfo(self.database_url), min_size=0, max_size=2
                )
                self._app = tasks.build_app(connector).open()
            return self._app

    def enqueue(self, call_id: int, *, final: bool = False, delay: float = 0.0) -> None:
        """Defer a ``crm:call_pipeline`` job."""
        tasks.defer(self.app(), call_id, final=final, delay=delay, queue=self.queue)

    def send_texts(self) -> None:
        """Defer a ``crm:texts`` job."""
        tasks.defer_texts(self.app())

    def close(self) -> None:
        """Close the connection pool."""
        with self._lock:
            if self._app is not None:
                self._app.close()
                self._app = None


_queue: JobQueue | None = None
_queue_lock = threading.Lock()


def current() -> JobQueue:
    """This process's queue (the configured database's)."""
    global _queue
    with _queue_lock:
        if _queue is None:
            _queue = ProcrastinateQueue(database_url())
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


def send_texts_soon() -> None:
    """Have a worker send the texts this request queued (a reminder run would, within a minute)."""
    current().send_texts()
