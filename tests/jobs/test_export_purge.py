"""Old exports are purged: the hourly job deletes their files and marks them expired."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import timedelta

import procrastinate
import pytest
import sqlalchemy as sa
from procrastinate import testing
from starlette.testclient import TestClient

from crm_app.api.server import create_backend
from crm_app.db import unit_of_work
from crm_app.jobs import tasks
from crm_app.models import ExportJob, utcnow
from crm_app.services import export_jobs, lead_query, storage
from crm_app.settings import reload_settings
from tests.api.conftest import headers_for
from tests.conftest import Database
from tests.factories import Tenant, make_lead, make_tenant


def exported(tenant: Tenant, *, days_ago: float) -> ExportJob:
    """A finished CSV export of ``tenant``'s leads, made ``days_ago`` days ago."""
    principal = tenant.principal()
    with unit_of_work() as session:
        job = export_jobs.start_job(
            session, principal=principal, filters=lead_query.LeadFilters(), fmt="csv"
        )
        assert job.id is not None
        job_id = job.id
    export_jobs.run_job(job_id=job_id, principal=principal, locale="he")
    with unit_of_work() as session:  # the clock is the only thing the test moves
        session.execute(
            sa.update(ExportJob)
            .where(sa.column("id") == job_id)
            .values(created_at=utcnow() - timedelta(days=days_ago))
        )
    return reread(job_id)


def reread(job_id: int | None) -> ExportJob:
    with unit_of_work(read_only=True) as session:
        job = session.get(ExportJob, job_id)
        assert job is not None
        return job


@pytest.fixture
def tenant(db: Database) -> Tenant:
    tenant = make_tenant()
    make_lead(tenant, name="רינה")
    return tenant


def test_the_purge_deletes_old_export_files_and_marks_them_expired(tenant: Tenant) -> None:
    other = make_tenant(name="אחר")
    old, old_elsewhere = exported(tenant, days_ago=8), exported(other, days_ago=30)
    recent = exported(tenant, days_ago=6)
    files = {
        job.id: storage.path_for(job.storage_key or "") for job in (old, old_elsewhere, recent)
    }
    assert all(path.is_file() for path in files.values())

    assert tasks.purge_exports(int(utcnow().timestamp())) >= 2  # the run's older tests' too

    for job in (old, old_elsewhere):
        gone = reread(job.id)
        assert gone.status == "expired" and gone.storage_key is None
        assert not files[job.id].exists()
    kept = reread(recent.id)
    assert kept.status == "done" and files[recent.id].read_bytes()
    assert tasks.purge_exports(int(utcnow().timestamp())) == 0  # nothing twice


def test_an_expired_export_is_not_found_and_says_so(tenant: Tenant) -> None:
    old = exported(tenant, days_ago=8)
    tasks.purge_exports(int(utcnow().timestamp()))
    with TestClient(create_backend(), base_url="https://crm.test") as client:
        headers = headers_for(tenant)
        status = client.get(f"/api/v1/exports/{old.id}", headers=headers).json()
        assert status["status"] == "expired" and status["download_url"] is None
        download = client.get(f"/api/v1/exports/{old.id}/file", headers=headers)
    assert download.status_code == 404 and "expired" in download.json()["error"]["message"]


def test_the_retention_is_export_retention_days(
    tenant: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EXPORT_RETENTION_DAYS", "2")
    reload_settings()
    three_days, one_day = exported(tenant, days_ago=3), exported(tenant, days_ago=1)
    assert tasks.purge_exports(int(utcnow().timestamp())) >= 1
    assert reread(three_days.id).status == "expired"
    assert reread(one_day.id).status == "done"


def test_the_purge_runs_hourly_on_the_workers_queues(db: Database) -> None:
    app = tasks.build_app(testing.InMemoryConnector())
    periodic = [
        p
        for p in app.periodic_registry.periodic_tasks.values()
        if p.task.name == "crm:purge_exports"
    ]
    assert [p.cron for p in periodic] == [tasks.PURGE_CRON]
    assert periodic[0].task.queue in tasks.QUEUES


def test_a_worker_runs_a_queued_purge(tenant: Tenant, db: Database) -> None:
    old = exported(tenant, days_ago=8)
    connector = procrastinate.PsycopgConnector(conninfo=tasks.conninfo(db.url))
    app = tasks.build_app(connector)

    async def defer_and_work() -> None:
        async with app.open_async():
            task = app.tasks["crm:purge_exports"]
            await task.defer_async(timestamp=int(utcnow().timestamp()))
            running = asyncio.get_running_loop().create_task(
                app.run_worker_async(
                    queues=[tasks.MAINTENANCE_QUEUE], wait=False, install_signal_handlers=False
                )
            )
            try:
                async with asyncio.timeout(30):
                    await running
            finally:
                running.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await running

    asyncio.run(defer_and_work())
    assert reread(old.id).status == "expired"
