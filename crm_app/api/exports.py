"""REST API v1: background export jobs and their files."""

from __future__ import annotations

import threading
from datetime import datetime
from typing import Literal

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse
from pydantic import BaseModel

from crm_app.api.bodies import Body
from crm_app.api.deps import CurrentPrincipal, RowId, client_ip
from crm_app.api.downloads import EXPORT_MEDIA, download_headers, file_answer
from crm_app.db import unit_of_work
from crm_app.models import ExportJob
from crm_app.services import export_jobs, lead_query, storage
from crm_app.services.errors import NotFound

router = APIRouter(prefix="/exports", tags=["exports"])
MEDIA = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


class ExportIn(Body):
    """An export of the leads the list filters select (the list's query parameters)."""

    format: Literal["xlsx", "csv"] = "xlsx"
    filters: dict[str, str] = {}


class ExportOut(BaseModel):
    """A background export and its progress."""

    id: int
    format: str
    status: str
    total_rows: int
    done_rows: int
    filename: str
    error: str
    created_at: datetime
    download_url: str | None


def export_out(job: ExportJob) -> ExportOut:
    """The API view of a job."""
    assert job.id is not None
    ready = job.status == "done" and job.storage_key is not None
    return ExportOut(
        id=job.id,
        format=job.format,
        status=job.status,
        total_rows=job.total_rows,
        done_rows=job.done_rows,
        filename=job.filename,
        error=job.error,
        created_at=job.created_at,
        download_url=f"/api/v1/exports/{job.id}/file" if ready else None,
    )


@router.post("", response_model=ExportOut, status_code=202)
def start_export(body: ExportIn, request: Request, principal: CurrentPrincipal) -> ExportOut:
    """Start an export in the background; poll it, then download its file."""
    filters = lead_query.parse_filters(body.filters)
    export_jobs.expire_old(business_id=principal.business_id)
    with unit_of_work() as session:
        job = export_jobs.start_job(session, principal=principal, filters=filters, fmt=body.format)
    assert job.id is not None
    threading.Thread(
        target=export_jobs.run_job,
        name=f"export-{job.id}",
        daemon=True,
        kwargs={
            "job_id": job.id,
            "principal": principal,
            "locale": principal.locale,
            "ip": client_ip(request),
        },
    ).start()
    return export_out(job)


@router.get("/{job_id}", response_model=ExportOut)
def get_export(job_id: RowId, principal: CurrentPrincipal) -> ExportOut:
    """An export's progress."""
    with unit_of_work() as session:
        return export_out(export_jobs.get_job(session, principal=principal, job_id=job_id))


@router.get(
    "/{job_id}/file", response_class=FileResponse, responses=file_answer(*EXPORT_MEDIA.values())
)
def download_export(job_id: RowId, principal: CurrentPrincipal) -> FileResponse:
    """The finished export's file."""
    with unit_of_work() as session:
        job = export_jobs.get_job(session, principal=principal, job_id=job_id)
    if job.status == export_jobs.EXPIRED:
        raise NotFound("the export has expired; export again")
    if job.status != "done" or not job.storage_key or not storage.exists(job.storage_key):
        raise NotFound("the export is not ready")
    return FileResponse(
        storage.path_for(job.storage_key),
        media_type=EXPORT_MEDIA[job.format],
        headers=download_headers(job.filename),
    )
