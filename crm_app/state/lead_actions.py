"""What agents and admins do to the list: bulk changes, new leads, exports."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any
from urllib.parse import urlencode

import reflex as rx
from reflex.event import EventSpec

from crm_app.db import unit_of_work
from crm_app.models import ExportJob, LeadSource
from crm_app.services import export_jobs, exports, leads
from crm_app.services.auth import Principal
from crm_app.services.errors import Conflict, DomainError
from crm_app.services.lead_query import LeadFilters
from crm_app.state.leads import LeadsState


class BulkState(LeadsState):
    """Change the status of, or assign, the ticked leads."""

    bulk_status: str = ""
    bulk_reason: str = ""
    bulk_needs_reason: bool = False
    bulk_message: str = ""

    @rx.event
    def choose_bulk_status(self, status_id: str) -> None:
        """Pick the status; a closed one asks for a reason first."""
        self.bulk_status = status_id
        self.bulk_needs_reason = any(o.id == status_id and o.closed for o in self.status_options)

    @rx.event
    def set_bulk_reason(self, value: str) -> None:
        """The reason for a closed status."""
        self.bulk_reason = value

    @rx.event
    def apply_bulk_status(self) -> Any:
        """Move every ticked lead to the chosen status."""
        if not self.bulk_status:
            return None
        with unit_of_work() as session:
            changed = leads.bulk_change_status(
                session,
                principal=self._me(),
                lead_ids=list(self.selected),
                status_id=int(self.bulk_status),
                reason=self.bulk_reason,
            )
        self.bulk_status, self.bulk_reason, self.bulk_needs_reason = "", "", False
        return [rx.toast.success(self._tn("leads.bulk.done", changed)), LeadsState.load]

    @rx.event
    def assign_selected(self, owner: str) -> Any:
        """Give every ticked lead to one owner (``none`` unassigns)."""
        with unit_of_work() as session:
            count = leads.bulk_assign(
                session,
                principal=self._me(),
                lead_ids=list(self.selected),
                owner_id=None if owner == "none" else int(owner),
            )
        return [rx.toast.success(self._tn("leads.bulk.done", count)), LeadsState.load]


class NewLeadState(LeadsState):
    """The "new lead" dialog."""

    open: bool = False
    form_error: str = ""
    existing_href: str = ""

    @rx.event
    def set_open(self, value: bool) -> None:
        """Open or close the dialog, clearing old errors."""
        self.open, self.form_error, self.existing_href = value, "", ""

    @rx.event
    def create(self, form: dict[str, str]) -> EventSpec | None:
        """Create the lead and open it; a known phone links to the existing lead."""
        principal = self._me()
        self.form_error, self.existing_href = "", ""
        owner = form.get("owner", "none")
        try:
            with unit_of_work() as session:
                lead = leads.create_lead(
                    session,
                    business_id=principal.business_id,
                    phone=form.get("phone", ""),
                    name=form.get("name", ""),
                    email=form.get("email", ""),
                    source=LeadSource(form.get("source") or LeadSource.MANUAL.value),
                    owner_id=None if owner in ("", "none") else int(owner),
                )
        except Conflict as exc:
            self.form_error = self._t(exc.key)
            self.existing_href = f"/leads/{exc.existing_id}"
            return None
        except DomainError as exc:
            self.form_error = self._say(exc)
            return None
        self.open = False
        return rx.redirect(f"/leads/{lead.id}")


def _start_if_large(
    principal: Principal, filters: LeadFilters, fmt: exports.Format, locale: str
) -> int | None:
    """Start a background job for a big export; None means "small: download directly"."""
    with unit_of_work() as session:
        rows = exports.expected_rows(session, principal=principal, filters=filters)
        if rows <= exports.BACKGROUND_THRESHOLD:
            return None
        job = export_jobs.start_job(session, principal=principal, filters=filters, fmt=fmt)
    assert job.id is not None
    threading.Thread(
        target=export_jobs.run_job,
        name=f"export-{job.id}",
        daemon=True,
        kwargs={"job_id": job.id, "principal": principal, "locale": locale},
    ).start()
    return job.id


def _job(principal: Principal, job_id: int) -> ExportJob:
    with unit_of_work() as session:
        return export_jobs.get_job(session, principal=principal, job_id=job_id)


class ExportState(LeadsState):
    """Export the list (or the ticked rows); big exports run in the background."""

    running: bool = False
    done_rows: int = 0
    total_rows: int = 0
    download_url: str = ""
    export_error: str = ""

    @rx.var
    def percent(self) -> int:
        """Progress of the background export."""
        return min(100, int(100 * self.done_rows / self.total_rows)) if self.total_rows else 0

    @rx.event(background=True)
    async def export(self, fmt: str) -> AsyncIterator[EventSpec]:
        """Download at once when small; otherwise run a job and follow its progress."""
        principal = self._me()
        async with self:
            filters = replace(self._filters(), ids=tuple(self.selected))
            locale, self.download_url, self.export_error = self.locale, "", ""
        if not principal.can_export:
            return
        kind: exports.Format = "csv" if fmt == "csv" else "xlsx"
        job_id = await asyncio.to_thread(_start_if_large, principal, filters, kind, locale)
        if job_id is None:
            url = f"/api/v1/leads/export?{urlencode({**filters.to_params(), 'format': kind})}"
            yield rx.download(url=url)
            return
        async with self:
            self.running, self.done_rows, self.total_rows = True, 0, 0
        while True:
            await asyncio.sleep(0.5)
            job = await asyncio.to_thread(_job, principal, job_id)
            async with self:
                self.done_rows, self.total_rows = job.done_rows, job.total_rows
                if job.status != "running":
                    self.running, self.export_error = False, job.error
                    if job.status == "done":
                        self.download_url = f"/api/v1/exports/{job_id}/file"
            if job.status != "running":
                break
        if job.status == "done":
            yield rx.download(url=f"/api/v1/exports/{job_id}/file")
