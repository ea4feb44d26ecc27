"""Where runs go: procrastinate jobs, run by workers (in-process here, or real processes)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlmodel import col, select

from crm_app.db import unit_of_work
from crm_app.jobs import hooks, tasks, worker
from crm_app.jobs.queue import ProcrastinateQueue, enqueue_pipeline, use_queue
from crm_app.models import Lead, Note
from crm_app.services import calls
from crm_app.services.call_pipeline import step_states
from crm_app.settings import get_settings
from tests.conftest import Database
from tests.factories import Tenant
from tests.jobs.conftest import Outside, finished_call, load, recorded
from voice_bridge import crm

ROOT = Path(__file__).resolve().parents[2]


def wait_for(condition: Callable[[], bool], within: float = 30.0, what: str = "") -> None:
    deadline = time.monotonic() + within
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what or condition}")
        time.sleep(0.1)


class Recorder:
    """A queue that only remembers what it was asked to run."""

    def __init__(self) -> None:
        self.runs: list[tuple[int, bool, float]] = []
        self.texts = 0

    def enqueue(self, call_id: int, *, final: bool = False, delay: float = 0.0) -> None:
        self.runs.append((call_id, final, delay))

    def send_texts(self) -> None:
        self.texts += 1


@pytest.fixture
def recorder() -> Iterator[Recorder]:
    recorder = Recorder()
    previous = use_queue(recorder)
    yield recorder
    use_queue(previous)


EVENTS = hooks.on_call_event  # what the server wires into the bridge


# ---- the bridge's events start runs ---------------------------------------------------------
def test_the_bridge_finalizing_a_call_runs_it_now_and_books_a_last_run(
    tenant: Tenant, lead: Lead, recorder: Recorder
) -> None:
    call_id = finished_call(tenant, lead, finalized=False, recording_status=None)
    crm.notify(EVENTS, call_id, "finalized")
    assert recorder.runs == [(call_id, False, 0.0), (call_id, True, 600)]
    assert recorder.texts == 1  # what the call booked is texted as it ends
    assert load(call_id).pipeline["state"] == "queued"  # the intent is on the call


def test_a_recording_callback_before_the_call_row_starts_the_pipeline_when_it_appears(
    tenant: Tenant, lead: Lead, recorder: Recorder
) -> None:
    call_sid = "CA" + "e" * 32
    form = {
        "CallSid": call_sid,
        "RecordingSid": "RE" + "f" * 32,
        "RecordingStatus": "completed",
        "RecordingDuration": "12",
    }
    crm.record_callback(EVENTS, "recording", form)  # Twilio was faster than our webhook
    assert recorder.runs == []

    crm.start_call(EVENTS, tenant.business, call_sid, lead.phone_e164, tenant.business.phone_number)

    with unit_of_work(read_only=True) as session:
        call = calls.call_by_sid(session, call_sid)
    assert call is not None and call.id is not None
    assert (call.recording_sid, call.recording_status) == ("RE" + "f" * 32, "completed")
    assert call.recording_duration_sec == 12 and call.lead_id == lead.id
    assert recorder.runs == [(call.id, False, 0.0)]


def test_a_final_status_books_a_last_run_for_a_call_the_bridge_never_finalized(
    tenant: Tenant, lead: Lead, recorder: Recorder
) -> None:
    call_id = finished_call(tenant, lead, finalized=False, recording_status=None)
    crm.record_callback(
        EVENTS, "status", {"CallSid": load(call_id).call_sid, "CallStatus": "completed"}
    )
    assert recorder.runs == [(call_id, True, 600)]


def test_a_failing_listener_does_not_stop_the_call(caplog: pytest.LogCaptureFixture) -> None:
    def broken(call_id: int, event: str) -> None:
        raise RuntimeError("listener bug")

    crm.notify(broken, 7, "recording")  # returns: the bridge goes on with the call
    assert "call_listener_failed" in caplog.text


# ---- a worker in this process -----------------------------------------------------------------
def test_a_run_that_raised_is_retried_by_the_worker(
    db: Database, tenant: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    call_id = finished_call(tenant, None, finalized=False, recording_status=None)
    attempts: list[int] = []

    def flaky(call_id: int, *, final: bool = False, config: object = None) -> str:
        attempts.append(call_id)
        if len(attempts) == 1:
            raise sa.exc.OperationalError("SELECT 1", {}, Exception("server closed the connection"))
        return "done"

    monkeypatch.setattr(tasks, "run_pipeline", flaky)
    queue = ProcrastinateQueue(db.url, queue=f"test-retry-{os.getpid()}")
    queue.enqueue(call_id)  # a call of this test's own: its jobs are the only ones on its lock

    async def work_until_retried() -> None:
        running = asyncio.get_running_loop().create_task(
            worker.work(db.url, get_settings(), queues=[queue.queue], install_signal_handlers=False)
        )
        try:
            async with asyncio.timeout(30):
                while await asyncio.to_thread(jobs_of, call_id) != [("succeeded", 2)]:
                    await asyncio.sleep(0.05)
        finally:
            running.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await running

    try:
        asyncio.run(work_until_retried())
    finally:
        queue.close()
    assert attempts == [call_id, call_id]  # one failed attempt, then the success


# ---- worker processes --------------------------------------------------------------------------
def worker_env(db: Database, outside: Outside) -> dict[str, str]:
    env = dict(os.environ)
    env |= outside.environment() | {
        "DATABASE_URL": db.url,
        "OPENAI_API_KEY": "sk-worker",
        # A killed worker's job is retried within seconds; a live worker is taken for dead
        # only if its heartbeat falls 3.5 s behind (it was 1.5 s: a loaded machine can).
        "JOBS_HEARTBEAT_SECONDS": "0.5",
        "JOBS_STALLED_SECONDS": "4",
        "RECORDING_READY_TIMEOUT_SECONDS": "3",
        "LOG_LEVEL": "WARNING",
    }
    return env


def start_worker(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "crm_app", "worker", "--concurrency", "2"],
        cwd=ROOT,
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def stop(worker: subprocess.Popen[bytes]) -> int:
    if worker.poll() is None:
        worker.send_signal(signal.SIGTERM)
    return worker.wait(30)


def jobs_of(call_id: int) -> list[tuple[str, int]]:
    with unit_of_work(read_only=True) as session:
        rows = session.execute(
            sa.text(
                "SELECT status, attempts FROM procrastinate_jobs WHERE lock = :lock ORDER BY id"
            ),
            {"lock": f"call-{call_id}"},
        )
        return [(str(status), int(attempts)) for status, attempts in rows]


def test_a_worker_runs_deferred_pipelines_and_duplicates_are_not_queued(
    db: Database, tenant: Tenant, lead: Lead, outside: Outside, tmp_path: Path
) -> None:
    call_id = recorded(tenant, lead, outside)
    queue = ProcrastinateQueue(db.url)
    previous = use_queue(queue)
    try:
        enqueue_pipeline(call_id)
        enqueue_pipeline(call_id)  # the same trigger twice: one waiting job
        assert jobs_of(call_id) == [("todo", 0)]
        worker = start_worker(worker_env(db, outside), tmp_path / "worker.log")
        try:
            wait_for(lambda: load(call_id).pipeline.get("state") == "done", what="the pipeline")
        finally:
            assert stop(worker) == 0, (tmp_path / "worker.log").read_text()
    finally:
        use_queue(previous)
        queue.close()
    assert jobs_of(call_id) == [("succeeded", 1)]  # one attempt
    call = load(call_id)
    assert call.transcript_source == "recording" and call.audio_duration_sec
    with unit_of_work(read_only=True) as session:
        assert len(session.exec(select(Note).where(col(Note.call_id) == call_id)).all()) == 1


def test_a_worker_killed_mid_job_is_retried_by_another_that_completes_it(
    db: Database, tenant: Tenant, lead: Lead, outside: Outside, tmp_path: Path
) -> None:
    call_id = recorded(tenant, lead, outside)
    outside.openai.transcription_delay = 60  # the first worker hangs inside the transcription
    queue = ProcrastinateQueue(db.url)
    try:
        queue.enqueue(call_id)
    finally:
        queue.close()
    env, log = worker_env(db, outside), tmp_path / "workers.log"

    first = start_worker(env, log)
    try:
        wait_for(
            lambda: step_states(load(call_id))["transcribe"] == "running",
            what=f"the first worker to be transcribing {call_id}",
        )
    finally:
        os.killpg(first.pid, signal.SIGKILL)  # no cleanup, no goodbye: a lost machine
        first.wait(10)
    assert jobs_of(call_id) == [("doing", 0)]
    outside.openai.transcription_delay = 0

    second = start_worker(env, log)
    try:
        wait_for(lambda: load(call_id).pipeline.get("state") == "done", what="the retry")
    finally:
        assert stop(second) == 0, log.read_text()

    call = load(call_id)
    assert call.pipeline["steps"]["transcribe"]["attempts"] == 2
    assert call.transcript_source == "recording" and call.summary
    assert jobs_of(call_id) == [("succeeded", 2)]  # the lost attempt, then the retry
    with unit_of_work(read_only=True) as session:
        assert len(session.exec(select(Note).where(col(Note.call_id) == call_id)).all()) == 1
    assert "job_stalled_retried" in log.read_text()
