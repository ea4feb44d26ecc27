"""Notes and their files, on SQLite and Postgres: each old cause of vanishing files has a test."""

from __future__ import annotations

import threading

import pytest
from sqlmodel import select

from crm_app.db import unit_of_work
from crm_app.models import Note, Role
from crm_app.services import attachments, note_drafts, notes, storage
from crm_app.services.errors import (
    Conflict,
    InvalidInput,
    NotFound,
    PayloadTooLarge,
    PermissionDenied,
)
from crm_app.services.notes import NoteEdit
from tests.conftest import Database
from tests.factories import make_lead, make_tenant


def _file(data: bytes = b"hello", name: str = "hello.txt", by: int = 1) -> attachments.Attachment:
    return attachments.store([data], raw_name=name, uploaded_by=by)


def _reread(note_id: int | None) -> Note:
    with unit_of_work() as session:  # a fresh session: what is really in the database
        note = session.get(Note, note_id)
    assert note is not None
    return note


def test_note_with_only_a_file_is_saved_without_placeholder_text(db: Database) -> None:
    tenant = make_tenant()
    lead = make_lead(tenant)
    with unit_of_work() as session:
        note = notes.add_note(
            session, principal=tenant.principal(Role.AGENT), lead_id=lead.id, attachments=[_file()]
        )
    saved = _reread(note.id)
    assert saved.text == "" and [a["name"] for a in saved.attachments] == ["hello.txt"]


def test_an_empty_note_is_refused(db: Database) -> None:
    tenant = make_tenant()
    lead = make_lead(tenant)
    with pytest.raises(InvalidInput) as error, unit_of_work() as session:
        notes.add_note(session, principal=tenant.principal(), lead_id=lead.id, text="   ")
    assert error.value.key == "errors.note_empty"


def test_appending_an_attachment_and_committing_persists(db: Database) -> None:
    tenant = make_tenant()
    lead = make_lead(tenant)
    with unit_of_work() as session:
        note = notes.add_note(session, principal=tenant.principal(), lead_id=lead.id, text="first")
    second = _file(b"second", "second.txt")
    with unit_of_work() as session:
        notes.edit_note(
            session,
            principal=tenant.principal(),
            note_id=note.id,  # type: ignore[arg-type]
            edit=NoteEdit(add=[second]),
        )
    assert [a["id"] for a in _reread(note.id).attachments] == [second["id"]]


def test_in_place_append_to_the_mutable_column_is_written(db: Database) -> None:
    # The original system mutated a plain JSON column, which the ORM never wrote.
    tenant = make_tenant()
    lead = make_lead(tenant)
    with unit_of_work() as session:
        note = notes.add_note(session, principal=tenant.principal(), lead_id=lead.id, text="x")
    with unit_of_work() as session:
        row = session.get(Note, note.id)
        assert row is not None
        row.attachments.append(_file())
    assert len(_reread(note.id).attachments) == 1


def test_files_are_stored_under_generated_keys_with_metadata(db: Database) -> None:
    data = b"%PDF-1.4\n" + b"x" * 100
    attachment = _file(data, "../../etc/passwd")
    assert attachment["name"] == "passwd"
    assert attachment["key"].startswith("notes/") and "passwd" not in attachment["key"]
    assert attachment["content_type"] == "application/pdf"  # from the bytes, not the name
    assert attachment["size"] == len(data)
    assert storage.path_for(attachment["key"]).read_bytes() == data


@pytest.mark.parametrize(
    "raw,shown",
    [
        ("evil\x00name.txt", "evilname.txt"),
        ("C:\\Users\\x\\report.pdf", "report.pdf"),
        ("  ", "file"),
        ("a" * 1000 + ".docx", "a" * 145 + ".docx"),
    ],
)
def test_dangerous_names_are_shown_sanitised(raw: str, shown: str) -> None:
    assert attachments.safe_name(raw) == shown
    assert len(attachments.safe_name(raw)) <= attachments.MAX_NAME


def test_oversized_upload_is_refused_and_nothing_is_stored(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MAX_UPLOAD_MB", "1")
    from crm_app.settings import reload_settings

    reload_settings()
    with pytest.raises(PayloadTooLarge):
        attachments.store(iter([b"x" * 700_000, b"x" * 700_000]), raw_name="big.bin", uploaded_by=1)
    assert not any(p.is_file() for p in storage.root().rglob("*"))


@pytest.mark.parametrize(
    "name,data",
    [
        ("setup.exe", b"anything"),
        (
            "report.pdf",
            b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 100,
        ),
        ("run.sh", b"#!/bin/sh\nrm -rf /\n"),
    ],
)
def test_executables_are_refused_by_name_or_bytes(db: Database, name: str, data: bytes) -> None:
    with pytest.raises(InvalidInput) as error:
        attachments.store([data], raw_name=name, uploaded_by=1)
    assert error.value.key == "errors.file_type"
    assert not any(p.is_file() for p in storage.root().rglob("*"))


def test_more_files_than_the_limit_are_refused(db: Database) -> None:
    tenant = make_tenant()
    lead = make_lead(tenant)
    with pytest.raises(InvalidInput) as error, unit_of_work() as session:
        notes.add_note(
            session,
            principal=tenant.principal(),
            lead_id=lead.id,
            attachments=[_file() for _ in range(11)],
        )
    assert error.value.key == "errors.too_many_files"


def test_failure_between_bytes_and_commit_leaves_neither_row_nor_file(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    tenant = make_tenant()
    lead = make_lead(tenant)
    real_add = notes.add_note

    def add_then_fail(*args: object, **kwargs: object) -> Note:
        real_add(*args, **kwargs)  # type: ignore[arg-type]
        raise RuntimeError("the database went away before the commit")

    monkeypatch.setattr(notes, "add_note", add_then_fail)
    with (
        pytest.raises(RuntimeError),
        attachments.written_files() as written,
        unit_of_work() as session,
    ):
        written.append(_file(b"precious"))
        notes.add_note(session, principal=tenant.principal(), lead_id=lead.id, attachments=written)
    with unit_of_work() as session:
        assert session.exec(select(Note).where(Note.lead_id == lead.id)).all() == []
    assert not any(p.is_file() for p in storage.root().rglob("*"))


def test_the_files_tab_reads_the_column_notes_write(db: Database) -> None:
    tenant = make_tenant()
    lead = make_lead(tenant)
    with unit_of_work() as session:
        a = notes.add_note(
            session, principal=tenant.principal(), lead_id=lead.id, attachments=[_file()]
        )
        b = notes.add_note(
            session,
            principal=tenant.principal(),
            lead_id=lead.id,
            text="t",
            attachments=[_file(b"2", "two.txt"), _file(b"3", "three.txt")],
        )
    with unit_of_work() as session:
        files = notes.lead_files(session, principal=tenant.principal(), lead_id=lead.id)
    assert sorted(att["id"] for _, _, att in files) == sorted(
        x["id"] for x in a.attachments + b.attachments
    )


def test_find_attachment_is_scoped_to_the_business(db: Database) -> None:
    tenant, other = make_tenant(), make_tenant()
    lead = make_lead(tenant)
    with unit_of_work() as session:
        note = notes.add_note(
            session, principal=tenant.principal(), lead_id=lead.id, attachments=[_file()]
        )
    file_id = note.attachments[0]["id"]
    with unit_of_work() as session:
        found, attachment = notes.find_attachment(
            session, principal=tenant.principal(), attachment_id=file_id
        )
        assert found.id == note.id and attachment["id"] == file_id
        with pytest.raises(NotFound):
            notes.find_attachment(session, principal=other.principal(), attachment_id=file_id)


def test_a_stale_tab_cannot_overwrite_newer_text_but_files_merge(db: Database) -> None:
    tenant = make_tenant()
    lead = make_lead(tenant)
    with unit_of_work() as session:
        note = notes.add_note(session, principal=tenant.principal(), lead_id=lead.id, text="v1")
    first, second = _file(b"1", "one.txt"), _file(b"2", "two.txt")
    with unit_of_work() as session:  # tab A saves text and a file
        notes.edit_note(
            session,
            principal=tenant.principal(),
            note_id=note.id,  # type: ignore[arg-type]
            edit=NoteEdit(text="v2", add=[first], base_version=1),
        )
    with pytest.raises(Conflict), unit_of_work() as session:  # tab B still thinks version 1
        notes.edit_note(
            session,
            principal=tenant.principal(),
            note_id=note.id,  # type: ignore[arg-type]
            edit=NoteEdit(text="v1 edited", add=[second], base_version=1),
        )
    with unit_of_work() as session:  # tab B adds a file only: merged, nothing dropped
        notes.edit_note(
            session,
            principal=tenant.principal(),
            note_id=note.id,  # type: ignore[arg-type]
            edit=NoteEdit(add=[second], base_version=1),
        )
    saved = _reread(note.id)
    assert saved.text == "v2" and [a["name"] for a in saved.attachments] == ["one.txt", "two.txt"]


def test_two_agents_adding_files_at_the_same_moment_both_keep_them(db: Database) -> None:
    tenant = make_tenant()
    lead = make_lead(tenant)
    with unit_of_work() as session:
        note = notes.add_note(session, principal=tenant.principal(), lead_id=lead.id, text="shared")
    principals = [tenant.principal(Role.OWNER), tenant.principal(Role.ADMIN)]
    files = [[_file(f"{i}-{j}".encode(), f"{i}-{j}.txt") for j in range(3)] for i in range(2)]
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def agent(i: int) -> None:
        try:
            for attachment in files[i]:
                barrier.wait(timeout=10)
                notes.unit_with_retries(
                    lambda s, a=attachment: notes.edit_note(
                        s, principal=principals[i], note_id=note.id, edit=NoteEdit(add=[a])
                    )
                )  # type: ignore[arg-type]
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=agent, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    saved = _reread(note.id)
    assert sorted(a["name"] for a in saved.attachments) == sorted(
        f["name"] for row in files for f in row
    )
    assert saved.version == 7


def test_only_the_author_or_an_admin_changes_a_note(db: Database) -> None:
    tenant = make_tenant()
    lead = make_lead(tenant)
    with unit_of_work() as session:
        note = notes.add_note(
            session, principal=tenant.principal(Role.ADMIN), lead_id=lead.id, text="x"
        )
    with pytest.raises(PermissionDenied), unit_of_work() as session:
        notes.delete_note(session, principal=tenant.principal(Role.AGENT), note_id=note.id)  # type: ignore[arg-type]
    with unit_of_work() as session:
        keys = notes.delete_note(session, principal=tenant.principal(Role.OWNER), note_id=note.id)  # type: ignore[arg-type]
    assert keys == []


def test_a_draft_keeps_text_and_files_until_published(db: Database) -> None:
    tenant = make_tenant()
    lead = make_lead(tenant)
    agent = tenant.principal(Role.AGENT)
    uploaded = _file(b"draft", "draft.txt")
    with unit_of_work() as session:
        note_drafts.set_text(session, principal=agent, lead_id=lead.id, text="טיוטה")
        note_drafts.add_files(session, principal=agent, lead_id=lead.id, files=[uploaded])
    with unit_of_work() as session:  # after a "reload"
        draft = note_drafts.get_draft(session, principal=agent, lead_id=lead.id)
        assert draft is not None and draft.text == "טיוטה" and draft.attachments == [uploaded]
        note, _ = note_drafts.publish(session, principal=agent, lead_id=lead.id)
    saved = _reread(note.id)
    assert saved.text == "טיוטה" and saved.attachments == [uploaded]
    with unit_of_work() as session:
        assert note_drafts.get_draft(session, principal=agent, lead_id=lead.id) is None
