"""Where runs go: the in-process queue (SQLite) and procrastinate workers (Postgres)."""

from __future__ import annotations

import functools
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
from crm_app.jobs import hooks
from crm_app.jobs.pipeline import run_pipeline, step_states
from crm_app.jobs.queue import LocalQueue, ProcrastinateQueue, enqueue_pipeline, use_queue
from crm_app.models import Call, Lead, Note, utcnow
from crm_app.services import calls
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

    def enqueue(self, call_id: int, *, final: bool = False, delay: float = 0.0) -> None:
        self.runs.append((call_id, final, delay))


@pytest.fixture
def recorder() -> Iterator[Recorder]:
    recorder = Recorder()
    previous = use_queue(recorder)
    hooks.install()
    yield recorder
    crm.listeners.remove(hooks.on_call_event)
    use_queue(previous)


# ---- the bridge's events start runs ---------------------------------------------------------
def test_the_bridge_finalizing_a_call_runs_it_now_and_books_a_last_run(
    tenant: Tenant, lead: Lead, recorder: Recorder
) -> None:
    call_id = finished_call(tenant, lead, finalized=False, recording_status=None)
    crm.notify(call_id, "finalized")
    assert recorder.runs == [(call_id, False, 0.0), (call_id, True, 600)]
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
    crm.record_callback("recording", form)  # Twilio was faster than our webhook
    assert recorder.runs == []

    crm.start_call(tenant.business, call_sid, lead.phone_e164, tenant.business.phone_number)

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
    crm.record_callback("status", {"CallSid": load(call_id).call_sid, "CallStatus": "completed"})
    assert recorder.runs == [(call_id, True, 600)]


def test_a_failing_listener_does_not_stop_the_others(
    tenant: Tenant, lead: Lead, recorder: Recorder, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(call_id: int, event: str) -> None:
        raise RuntimeError("listener bug")

    crm.listeners.insert(0, broken)
    try:
        crm.notify(7, "recording")
    finally:
        crm.listeners.remove(broken)
    assert recorder.runs == [(7, False, 0.0)]
    assert "call_listener_failed" in caplog.text


# ---- the in-process queue (SQLite) ----------------------------------------------------------
def test_the_local_queue_retries_a_run_that_raised() -> None:
    attempts: list[int] = []

    def flaky(call_id: int, *, final: bool = False) -> str:
        attempts.append(call_id)
        if len(attempts) < 3:
            raise sa.exc.OperationalError("SELECT 1", {}, Exception("database is locked"))
        return "done"

    queue = LocalQueue(flaky, backoff=0.05)
    queue.enqueue(5)
    wait_for(lambda: len(attempts) == 3, what="three attempts")
    assert queue.wait_idle(5)
    assert attempts == [5, 5, 5]
    queue.stop()


def test_the_local_queue_drops_a_duplicate_that_has_not_started_and_honours_delays() -> None:
    ran: list[tuple[int, bool]] = []
    queue = LocalQueue(lambda call_id, final=False: ran.append((call_id, final)) or "done")
    queue.enqueue(1, delay=0.3)
    queue.enqueue(1, delay=0.3)
    queue.enqueue(2, final=True, delay=60)
    time.sleep(0.1)
    assert ran == []  # not due yet
    wait_for(lambda: ran == [(1, False)], within=5)
    assert queue.wait_idle(2)
    assert ran == [(1, False)]  # the duplicate was dropped; the delayed final run waits
    queue.stop()


def test_after_a_restart_the_local_queue_resumes_cut_short_runs(
    tenant: Tenant, lead: Lead, outside: Outside
) -> None:
    interrupted = finished_call(tenant, lead, recording_status=None)
    waiting = finished_call(tenant, lead, recording_status="in-progress")
    finished = finished_call(tenant, lead, recording_status=None)
    with unit_of_work() as session:
        for call_id, state in ((interrupted, "running"), (waiting, "waiting")):
            call = session.get(Call, call_id)
            assert call is not None
            call.pipeline = {"state": state, "steps": {}}
            call.ended_at = utcnow()
    run_pipeline(finished, config=outside.config)

    queue = LocalQueue(functools.partial(run_pipeline, config=outside.config))
    resumed = queue.resume()  # (other tests' calls in this database may be resumed too)
    assert interrupted in resumed and waiting in resumed and finished not in resumed
    assert queue.wait_idle(60)

    assert load(interrupted).pipeline["state"] == "done"
    assert load(waiting).pipeline["state"] == "waiting"  # its last run is booked for later
    assert load(finished).pipeline["steps"]["summarize"]["attempts"] == 1  # not run again
    queue.stop()


# ---- procrastinate workers (Postgres) --------------------------------------------------------
def worker_env(db: Database, outside: Outside) -> dict[str, str]:
    env = dict(os.environ)
    env |= {
        "DATABASE_URL": db.url,
        "TWILIO_ACCOUNT_SID": outside.config.twilio_account_sid,
        "TWILIO_AUTH_TOKEN": outside.config.twilio_auth_token,
        "TWILIO_API_BASE_URL": outside.config.twilio_api_base_url,
        "OPENAI_API_KEY": "sk-worker",
        "OPENAI_BASE_URL": outside.config.openai_base_url or "",
        "JOBS_HEARTBEAT_SECONDS": "0.5",
        "JOBS_STALLED_SECONDS": "2",
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
    pg: Database, tenant: Tenant, lead: Lead, outside: Outside, tmp_path: Path
) -> None:
    call_id = recorded(tenant, lead, outside)
    queue = ProcrastinateQueue(pg.url)
    previous = use_queue(queue)
    try:
        enqueue_pipeline(call_id)
        enqueue_pipeline(call_id)  # the same trigger twice: one waiting job
        assert jobs_of(call_id) == [("todo", 0)]
        worker = start_worker(worker_env(pg, outside), tmp_path / "worker.log")
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
    pg: Database, tenant: Tenant, lead: Lead, outside: Outside, tmp_path: Path
) -> None:
    call_id = recorded(tenant, lead, outside)
    outside.openai.transcription_delay = 60  # the first worker hangs inside the transcription
    queue = ProcrastinateQueue(pg.url)
    try:
        queue.enqueue(call_id)
    finally:
        queue.close()
    env, log = worker_env(pg, outside), tmp_path / "workers.log"

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
