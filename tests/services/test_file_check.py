"""The storage check finds orphans and dangling references, and repairs both."""

from __future__ import annotations

import io
import sys

import pytest

from crm_app.__main__ import main
from crm_app.db import unit_of_work
from crm_app.models import Note
from crm_app.services import attachments, file_check, notes, storage
from tests.conftest import Database
from tests.factories import make_lead, make_tenant


def test_orphans_and_dangling_references_are_reported_and_cleaned(
    db: Database, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    tenant = make_tenant()
    lead = make_lead(tenant)
    kept, lost = (
        attachments.store([b"keep"], raw_name="keep.txt", uploaded_by=1),
        attachments.store([b"lost"], raw_name="lost.txt", uploaded_by=1),
    )
    orphan = attachments.store([b"orphan"], raw_name="orphan.txt", uploaded_by=1)
    with unit_of_work() as session:
        note = notes.add_note(
            session, principal=tenant.principal(), lead_id=lead.id, attachments=[kept, lost]
        )
    storage.delete(lost["key"])  # a file lost behind the database's back

    report = file_check.check(min_age=0, business_id=tenant.id)
    assert orphan["key"] in report.orphans and kept["key"] not in report.orphans
    assert [(d.note_id, d.attachment_id) for d in report.dangling] == [(note.id, lost["id"])]

    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    only_this = ["--min-age", "0", "--business", str(tenant.id)]
    assert main(["files", *only_this]) == 3
    assert "1 dangling references" in capsys.readouterr().out
    assert main(["files", "--clean", *only_this]) == 0
    assert not storage.exists(orphan["key"]) and storage.exists(kept["key"])
    with unit_of_work() as session:
        stored = session.get(Note, note.id)
    assert stored is not None and [a["id"] for a in stored.attachments] == [kept["id"]]
    after = file_check.check(min_age=0, business_id=tenant.id)
    assert after.orphans == [] and after.dangling == []


def test_young_files_are_not_called_orphans(db: Database) -> None:
    fresh = attachments.store([b"in flight"], raw_name="upload.txt", uploaded_by=1)
    assert fresh["key"] not in file_check.check().orphans
