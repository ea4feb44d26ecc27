"""``make run`` runs the post-call pipeline itself: its supervised worker, restarted if it dies."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable, Iterator

import psutil
import pytest

from crm_app.jobs import hooks
from crm_app.jobs.queue import ProcrastinateQueue, use_queue
from tests.factories import make_lead, make_tenant
from tests.jobs.conftest import Outside, load, recorded
from tests.live import LiveServer

pytestmark = pytest.mark.e2e


@pytest.fixture
def queue(server: LiveServer) -> Iterator[ProcrastinateQueue]:
    """This process defers to the server's database, as the server's bridge does."""
    queue = ProcrastinateQueue(server.database_url)
    previous = use_queue(queue)
    yield queue
    use_queue(previous)
    queue.close()


def _recorded_call(outside: Outside) -> int:
    """A finished call whose recording Twilio (the fake) has just reported done."""
    tenant = make_tenant()
    return recorded(tenant, make_lead(tenant), outside)


def _wait(condition: Callable[[], bool], within: float = 60, what: str = "") -> None:
    deadline = time.monotonic() + within
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.1)


def _worker_of(server: LiveServer) -> psutil.Process | None:
    for child in psutil.Process(server.process.pid).children():
        try:
            if "worker" in child.cmdline():
                return child
        except psutil.Error:  # a worker that died and is not reaped yet
            continue
    return None


def test_the_server_runs_the_post_call_pipeline_with_no_second_command(
    server: LiveServer, outside: Outside, queue: ProcrastinateQueue
) -> None:
    call_id = _recorded_call(outside)
    hooks.on_call_event(call_id, "recording")  # what the server's bridge does on the callback
    _wait(lambda: load(call_id).pipeline.get("state") == "done", what="the pipeline")
    call = load(call_id)
    assert call.transcript_source == "recording" and call.summary and call.audio_bytes_len


def test_a_worker_that_dies_is_restarted_and_the_pipeline_still_runs(
    server: LiveServer, outside: Outside, queue: ProcrastinateQueue
) -> None:
    first = _worker_of(server)
    assert first is not None
    os.kill(first.pid, signal.SIGKILL)
    _wait(
        lambda: (w := _worker_of(server)) is not None and w.pid != first.pid,
        within=30,
        what="a new worker",
    )
    call_id = _recorded_call(outside)
    hooks.on_call_event(call_id, "recording")
    _wait(lambda: load(call_id).pipeline.get("state") == "done", what="the pipeline")
