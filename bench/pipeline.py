"""Post-call pipeline benchmark: throughput with two workers, and database time per call.

1. Throughput. ``--calls`` recorded calls (10.4 s, two speakers) are queued on
   Postgres and run by two ``python -m crm_app worker`` processes against the
   Twilio and OpenAI fakes. Anchor, measured in the same run: two processes
   doing only the outside work of each call (download the WAV, one
   transcription request per turn, one chat completion) against the same
   fakes: what any pipeline here must pay. Printed: calls per minute of both
   and the pipeline's share of the anchor's rate.
2. Database time per call. ``--db-calls`` calls run one after another in this
   process; the time spent inside units of work (a connection held) and in
   statements, and the statement count, per call, against the call's whole
   pipeline time.

Run: ``python -m bench pipeline [--calls 60] [--db-calls 20]``.
"""

from __future__ import annotations

import argparse
import contextlib
import multiprocessing
import os
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa
from sqlmodel import col

from bench.common import ensure_database
from crm_app import db as crm_db
from crm_app.db import build_engine, unit_of_work, use_engine
from crm_app.jobs import audio
from crm_app.jobs import pipeline as pipeline_module
from crm_app.jobs.config import PipelineConfig
from crm_app.jobs.pipeline import run_pipeline
from crm_app.jobs.queue import ProcrastinateQueue
from crm_app.migrate import upgrade_to_head
from crm_app.models import Call, utcnow
from crm_app.services import calls
from tests.factories import make_lead, make_tenant, unique_mobile
from tests.jobs.conftest import AGENT_SAYS, CALLER_SAYS, REALTIME, two_speaker_wav
from voice_bridge.testing.fake_openai_http import FakeOpenAIHttp
from voice_bridge.testing.fake_twilio_rest import FakeTwilioRest, Recording
from voice_bridge.testing.serving import serve_in_thread

ROOT = Path(__file__).resolve().parent.parent
WAV = two_speaker_wav()


def recorded_calls(count: int, rest: FakeTwilioRest) -> list[int]:
    """``count`` finished calls, each with a finished recording on the fake Twilio."""
    tenant = make_tenant(name="מרפאת המדידות")
    ids = []
    for _ in range(count):
        lead = make_lead(tenant, phone=unique_mobile())
        call_sid, recording_sid = "CA" + secrets.token_hex(16), "RE" + secrets.token_hex(16)
        rest.recordings[recording_sid] = Recording(
            wav=WAV, call_sid=call_sid, status="completed", duration=11
        )
        with unit_of_work() as session:
            started = utcnow()
            call = Call(
                business_id=tenant.id,
                call_sid=call_sid,
                lead_id=lead.id,
                from_number=lead.phone_e164,
                to_number=tenant.business.phone_number,
                started_at=started,
                answered_at=started,
            )
            session.add(call)
            session.flush()
            assert call.id is not None
            ids.append(call.id)
            outcome = calls.CallOutcome("caller_hangup", list(REALTIME), utcnow())
            calls.finalize_stream(session, call_id=call.id, outcome=outcome)
            calls.record_callback(
                session,
                kind="recording",
                payload={
                    "CallSid": call_sid,
                    "RecordingSid": recording_sid,
                    "RecordingStatus": "completed",
                },
            )
    return ids


def done_count(ids: list[int]) -> int:
    with unit_of_work(read_only=True) as session:
        rows = session.execute(sa.select(col(Call.pipeline)).where(col(Call.id).in_(ids)))
        return sum(1 for (state,) in rows if state.get("state") in ("done", "failed"))


# ---- 1. throughput ---------------------------------------------------------------------------
def _clips() -> list[bytes]:
    channels, rate = audio.wav_channels(_write_temp(WAV))
    return [
        audio.wav_bytes(audio.cut(samples, rate, segment), rate)
        for samples in channels
        for segment in audio.speech_segments(samples, rate)
    ]


def _write_temp(data: bytes) -> Path:
    path = Path(tempfile.mkstemp(suffix=".wav")[1])
    path.write_bytes(data)
    return path


def anchor_call(job: tuple[str, str, str, str, list[bytes]]) -> None:
    """The outside work of one call, and nothing else."""
    media_url, auth_sid, auth_token, openai_url, clips = job
    with httpx.Client(timeout=30) as client:
        client.get(media_url, auth=(auth_sid, auth_token)).raise_for_status()
        headers = {"Authorization": "Bearer sk-bench"}
        for index, clip in enumerate(clips):
            client.post(
                f"{openai_url}/audio/transcriptions",
                headers=headers,
                files={"file": (f"CA-caller-{index:03d}.wav", clip, "audio/wav")},
                data={"model": "gpt-4o-transcribe", "language": "he", "response_format": "json"},
            ).raise_for_status()
        client.post(
            f"{openai_url}/chat/completions",
            headers=headers,
            json={
                "model": "gpt-4o-mini",
                "messages": [
                    {"role": "system", "content": "סכם"},
                    {"role": "user", "content": f"[00:00] נציג: {AGENT_SAYS}\n[00:04] לקוח: "},
                ],
                "response_format": {"type": "json_object"},
            },
        ).raise_for_status()


def measure_anchor(count: int, rest: FakeTwilioRest, config: PipelineConfig) -> float:
    """Seconds for two processes to do ``count`` calls' outside work."""
    sid = next(iter(rest.recordings))
    media = f"{rest.base_url}/2010-04-01/Accounts/{rest.account_sid}/Recordings/{sid}.wav"
    clips = _clips()
    job = (media, rest.account_sid, rest.auth_token, config.openai_base_url or "", clips)
    with multiprocessing.get_context("spawn").Pool(2) as pool:
        pool.map(anchor_call, [job, job])  # warm: imports and connections
        started = time.perf_counter()
        pool.map(anchor_call, [job] * count, chunksize=1)
        return time.perf_counter() - started


def _workers_ready(url: str, expected: int) -> bool:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            count = conn.execute(sa.text("SELECT count(*) FROM procrastinate_workers")).scalar()
        return int(count or 0) >= expected
    finally:
        engine.dispose()


@contextlib.contextmanager
def workers(url: str, config: PipelineConfig, count: int) -> Iterator[None]:
    """``count`` worker processes on the benchmark database, against the fakes."""
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "TWILIO_ACCOUNT_SID": config.twilio_account_sid,
        "TWILIO_AUTH_TOKEN": config.twilio_auth_token,
        "TWILIO_API_BASE_URL": config.twilio_api_base_url,
        "OPENAI_API_KEY": "sk-bench",
        "OPENAI_BASE_URL": config.openai_base_url or "",
        "LOG_LEVEL": "WARNING",
        "STORAGE_DIR": os.environ["STORAGE_DIR"],
    }
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "crm_app", "worker", "--concurrency", "2"],
            cwd=ROOT,
            env=env,
            start_new_session=True,
        )
        for _ in range(count)
    ]
    try:
        deadline = time.monotonic() + 60
        while not _workers_ready(url, count):
            if time.monotonic() > deadline:
                raise RuntimeError("the workers did not start")
            time.sleep(0.2)
        yield
    finally:
        for process in processes:
            os.killpg(process.pid, signal.SIGTERM)
        for process in processes:
            process.wait(30)


def measure_pipeline(url: str, ids: list[int], config: PipelineConfig) -> float:
    """Seconds for two workers to finish the pipelines of ``ids``."""
    queue = ProcrastinateQueue(url)
    try:
        with workers(url, config, 2):
            started = time.perf_counter()
            for call_id in ids:
                queue.enqueue(call_id)
            while done_count(ids) < len(ids):
                time.sleep(0.1)
            return time.perf_counter() - started
    finally:
        queue.close()


# ---- 2. database time ----------------------------------------------------------------------
class DatabaseClock:
    """Time inside units of work and in statements, and statements counted."""

    def __init__(self, engine: sa.Engine) -> None:
        self.held = self.statements_time = 0.0
        self.statements = 0
        sa.event.listen(engine, "before_cursor_execute", self._before)
        sa.event.listen(engine, "after_cursor_execute", self._after)
        original = crm_db.unit_of_work

        @contextlib.contextmanager
        def timed(**kwargs: Any) -> Iterator[Any]:
            started = time.perf_counter()
            try:
                with original(**kwargs) as session:
                    yield session
            finally:
                self.held += time.perf_counter() - started

        pipeline_module.unit_of_work = timed  # type: ignore[attr-defined]

    def _before(self, conn: Any, *_: Any) -> None:
        conn.info["started"] = time.perf_counter()

    def _after(self, conn: Any, *_: Any) -> None:
        self.statements_time += time.perf_counter() - conn.info.pop("started")
        self.statements += 1


def measure_database(engine: sa.Engine, ids: list[int], config: PipelineConfig) -> dict[str, float]:
    clock = DatabaseClock(engine)
    walls = []
    for call_id in ids:
        started = time.perf_counter()
        assert run_pipeline(call_id, config=config) == "done"
        walls.append(time.perf_counter() - started)
    n = len(ids)
    return {
        "wall_ms": statistics.median(walls) * 1000,
        "held_ms": clock.held / n * 1000,
        "statement_ms": clock.statements_time / n * 1000,
        "statements": clock.statements / n,
    }


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench pipeline")
    parser.add_argument("--calls", type=int, default=60)
    parser.add_argument("--db-calls", type=int, default=20)
    args = parser.parse_args(argv)
    os.environ.setdefault("STORAGE_DIR", tempfile.mkdtemp(prefix="bench-pipeline-"))

    url = ensure_database("crm_bench_pipeline", fresh=True)
    engine = build_engine(url)
    use_engine(engine)
    upgrade_to_head(engine)
    account, token = "AC" + secrets.token_hex(16), secrets.token_hex(16)
    rest = FakeTwilioRest(account_sid=account, auth_token=token)
    openai = FakeOpenAIHttp(scripts={"caller": [CALLER_SAYS], "agent": [AGENT_SAYS]})
    with serve_in_thread(rest.app()) as rest_url, serve_in_thread(openai.app()) as openai_url:
        rest.base_url = rest_url
        config = replace(
            PipelineConfig.from_settings(),
            twilio_account_sid=account,
            twilio_auth_token=token,
            twilio_api_base_url=rest_url,
            openai_api_key="sk-bench",
            openai_base_url=f"{openai_url}/v1",
        )
        ids = recorded_calls(args.calls + args.db_calls, rest)
        throughput_ids, database_ids = ids[: args.calls], ids[args.calls :]

        anchor = measure_anchor(args.calls, rest, config)
        ours = measure_pipeline(url, throughput_ids, config)
        database = measure_database(engine, database_ids, config)

    per_minute = args.calls / ours * 60
    anchor_per_minute = args.calls / anchor * 60
    print(f"== post-call pipeline, {args.calls} calls of 10.4 s, 2 cores, fakes in this process")
    print(f"  2 workers (procrastinate):   {per_minute:8.0f} calls/min  ({ours:.1f} s)")
    print(f"  anchor, outside work only:   {anchor_per_minute:8.0f} calls/min  ({anchor:.1f} s)")
    print(f"  pipeline rate = {per_minute / anchor_per_minute:.2f} x anchor")
    print(f"== database time per call ({args.db_calls} calls, one at a time)")
    print(f"  pipeline wall (median):      {database['wall_ms']:8.1f} ms")
    print(f"  inside units of work:        {database['held_ms']:8.1f} ms")
    print(f"  in SQL statements:           {database['statement_ms']:8.1f} ms")
    print(f"  statements:                  {database['statements']:8.1f}")
    print(f"  database share of the wall = {database['held_ms'] / database['wall_ms']:.2f} x")
