"""Files stored through the API (note files, exports) are private: 0600 in 0700 directories."""

from __future__ import annotations

import time
from pathlib import Path

from starlette.testclient import TestClient

from crm_app.db import unit_of_work
from crm_app.models import ExportJob, Note
from crm_app.services import storage
from tests.api.conftest import headers_for
from tests.conftest import Database
from tests.factories import make_lead, make_tenant
from tests.private_files import assert_private


def test_a_note_file_is_readable_by_the_server_only(db: Database, client: TestClient) -> None:
    tenant = make_tenant()
    lead = make_lead(tenant)
    storage.root().chmod(0o755)  # a storage directory left open by an older version
    response = client.post(
        f"/api/v1/leads/{lead.id}/notes",
        data={"text": "מצורף"},
        files={"files": ("quote.pdf", b"%PDF-1.4 quote", "application/pdf")},
        headers=headers_for(tenant),
    )
    assert response.status_code == 201, response.text
    with unit_of_work() as session:
        note = session.get(Note, response.json()["id"])
        assert note is not None
        key = note.attachments[0]["key"]
    assert assert_private(key).read_bytes() == b"%PDF-1.4 quote"


def _finished_export(client: TestClient, headers: dict[str, str]) -> ExportJob:
    started = client.post("/api/v1/exports", json={"format": "csv"}, headers=headers)
    assert started.status_code == 202, started.text
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        status = client.get(f"/api/v1/exports/{started.json()['id']}", headers=headers).json()
        if status["status"] != "running" and status["status"] != "pending":
            break
        time.sleep(0.1)
    assert status["status"] == "done", status
    with unit_of_work() as session:
        job = session.get(ExportJob, status["id"])
        assert job is not None
        return job


def test_an_export_file_is_readable_by_the_server_only(db: Database, client: TestClient) -> None:
    tenant = make_tenant()
    make_lead(tenant, name="שרה")
    job = _finished_export(client, headers_for(tenant))
    path: Path = assert_private(job.storage_key)
    assert "שרה" in path.read_text(encoding="utf-8-sig")
