"""``python -m crm_app worker``: run the job queue's jobs.

Any number of workers on any number of machines share the queue. Each one
beats a heartbeat; a worker that stops beating (killed, machine lost) has
its jobs retried by the others after ``JOBS_STALLED_SECONDS``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket

import procrastinate

from crm_app.db import database_url, get_engine
from crm_app.jobs import ai, recording, tasks
from crm_app.migrate import upgrade_to_head
from crm_app.settings import Settings

logger = logging.getLogger("crm_app.jobs")


async def retry_stalled(app: procrastinate.App, stalled_seconds: float) -> None:
    """Forever: put the jobs of workers that stopped beating back in the queue."""
    while True:
        await asyncio.sleep(max(1.0, stalled_seconds / 3))
        try:
            for job in await app.job_manager.get_stalled_jobs(
                seconds_since_heartbeat=stalled_seconds
            ):
                logger.warning("job_stalled_retried job_id=%s task=%s", job.id, job.task_name)
                await app.job_manager.retry_job(job)
        except Exception:  # the database may be briefly away; try again next round
            logger.exception("stalled_job_check_failed")


async def work(
    url: str,
    settings: Settings,
    *,
    queues: list[str] | None = None,
    concurrency: int | None = None,
    install_signal_handlers: bool = True,
) -> None:
    """Run jobs from ``queues`` until SIGINT/SIGTERM (or until cancelled)."""
    connector = procrastinate.PsycopgConnector(conninfo=tasks.conninfo(url))
    app = tasks.build_app(connector)
    async with app.open_async():
        checker = asyncio.create_task(retry_stalled(app, settings.jobs_stalled_seconds))
        try:
            await app.run_worker_async(
                queues=queues or tasks.QUEUES,
                name=f"{socket.gethostname()}-worker",
                concurrency=concurrency or settings.jobs_concurrency,
                update_heartbeat_interval=settings.jobs_heartbeat_seconds,
                stalled_worker_timeout=settings.jobs_stalled_seconds,
                install_signal_handlers=install_signal_handlers,
            )
        finally:
            checker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await checker
            ai.close_clients()
            recording.close_client()


async def run(settings: Settings, *, concurrency: int | None = None) -> None:
    """Migrate if needed, then work until SIGINT/SIGTERM."""
    upgrade_to_head(get_engine())
    await work(database_url(), settings, concurrency=concurrency)
