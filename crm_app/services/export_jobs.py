"""Background exports: a job row tracks progress; the file lands in private storage."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from crm_app.db import unit_of_work
from crm_app.models import ExportJob, Role, utcnow
from crm_app.services import exports, storage
from crm_app.services.auth import Principal, require_role
from crm_app.services.errors import NotFound
from crm_app.services.lead_query import LeadFilters, parse_filters
from crm_app.settings import get_settings

logger = logging.getLogger(__name__)
EXPIRED = "expired"


def start_job(
    session: Session, *, principal: Principal, filters: LeadFilters, fmt: exports.Format
) -> ExportJob:
    """Record a new export job (owners and admins only)."""
    require_role(principal, Role.OWNER, Role.ADMIN)
    total = exports.expected_rows(session, principal=principal, filters=filters)
    job = ExportJob(
        business_id=principal.business_id,
        user_id=principal.user_id,
        format=fmt,
        filters=filters.to_params(),
        total_rows=total,
        filename=exports.export_filename(fmt, principal.timezone),
    )
    session.add(job)
    session.flush()
    return job


def _progress(job_id: int, rows: int) -> None:
    with unit_of_work() as session:
        job = session.get(ExportJob, job_id)
        if job is not None:
            job.done_rows = rows
            session.add(job)


def run_job(*, job_id: int, principal: Principal, locale: str, ip: str = "") -> None:
    """Write the job's file; on any failure the job says so and no partial file stays."""
    with unit_of_work() as session:
        job = get_job(session, principal=principal, job_id=job_id)
        fmt: exports.Format = "csv" if job.format == "csv" else "xlsx"
        filters = parse_filters(job.filters)
    key = storage.new_key("exports", f".{fmt}")
    try:
        with storage.atomic_writer(key) as out:
            rows = exports.export_leads(
                principal=principal,
                filters=filters,
                fmt=fmt,
                locale=locale,
                out=out,
                progress=lambda n: _progress(job_id, n),
                ip=ip,
            )
    except Exception as exc:
        logger.exception("export_failed job_id=%s", job_id)
        _finish(job_id, status="failed", error=str(exc)[:500])
        return
    _finish(job_id, status="done", rows=rows, key=key)


def _finish(
    job_id: int, *, status: str, rows: int = 0, key: str | None = None, error: str = ""
) -> None:
    with unit_of_work() as session:
        job = session.get(ExportJob, job_id)
        assert job is not None
        job.status, job.error, job.finished_at = status, error, utcnow()
        if status == "done":
            job.done_rows = job.total_rows = rows
            job.storage_key = key
        session.add(job)


def get_job(session: Session, *, principal: Principal, job_id: int) -> ExportJob:
    """An export job of the principal's business (``NotFound`` otherwise)."""
    job = session.get(ExportJob, job_id)
    if job is None or job.business_id != principal.business_id:
        raise NotFound("no such export")
    require_role(principal, Role.OWNER, Role.ADMIN)
    return job


def expire_old(*, business_id: int | None = None, now: datetime | None = None) -> int:
    """Expire exports older than ``EXPORT_RETENTION_DAYS``: rows first, their files after.

    The rows stay (the list shows the export as expired) but no longer name a
    file; the files are deleted once that is committed, so no row ever points
    at a missing file. Returns how many exports expired.
    """
    cutoff = (now or utcnow()) - timedelta(days=get_settings().export_retention_days)
    query = select(ExportJob).where(
        col(ExportJob.created_at) < cutoff, col(ExportJob.status) != EXPIRED
    )
    if business_id is not None:
        query = query.where(col(ExportJob.business_id) == business_id)
    with unit_of_work() as session:
        old = list(session.exec(query.with_for_update(skip_locked=True)))
        keys = [job.storage_key for job in old]
        for job in old:
            job.status, job.storage_key = EXPIRED, None
            session.add(job)
    for key in keys:
        storage.delete(key)
    if old:
        logger.info("exports_expired count=%s", len(old))
    return len(old)
