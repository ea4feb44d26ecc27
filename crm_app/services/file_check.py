"""Storage maintenance: files nothing refers to, and references to missing files.

Orphans come from crashes between writing bytes and committing (the normal
paths delete them); dangling references would mean a lost file, which the
design forbids, so finding one is worth an alarm. Orphans younger than an
hour are left alone: they may belong to an upload that is still committing.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field

from sqlmodel import Session, col, select

from crm_app.db import unit_of_work
from crm_app.models import Call, ExportJob, Note, NoteDraft
from crm_app.services import audit, storage

GRACE_SECONDS = 3600
AREAS = ("notes", "exports", "recordings")


@dataclass
class Dangling:
    """A note attachment whose bytes are missing."""

    business_id: int
    note_id: int
    attachment_id: str
    key: str


@dataclass
class Report:
    """What a check found."""

    files: int = 0
    references: int = 0
    orphans: list[str] = field(default_factory=list)
    dangling: list[Dangling] = field(default_factory=list)


def _referenced(session: Session) -> Iterator[str]:
    for attachments in session.exec(select(Note.attachments).execution_options(yield_per=500)):
        yield from (a["key"] for a in attachments)
    for attachments in session.exec(select(NoteDraft.attachments)):
        yield from (a["key"] for a in attachments)
    yield from (k for k in session.exec(select(ExportJob.storage_key)) if k)
    yield from (k for k in session.exec(select(Call.recording_storage_key)) if k)


def _stored_keys(min_age: float) -> Iterator[str]:
    root = storage.root()
    now = time.time()
    for area in AREAS:
        for path in (root / area).rglob("*"):
            if (
                path.is_file()
                and not path.name.startswith(".")
                and now - path.stat().st_mtime >= min_age
            ):
                yield str(path.relative_to(root))


def check(min_age: float = GRACE_SECONDS, business_id: int | None = None) -> Report:
    """Compare storage with every reference in the database.

    With ``business_id``, dangling references are looked for in that business only
    (orphans are always global: a file has no business until it is referenced).
    """
    report = Report()
    with unit_of_work() as session:
        referenced = set(_referenced(session))
        report.references = len(referenced)
        notes = select(Note).execution_options(yield_per=500)
        if business_id is not None:
            notes = notes.where(col(Note.business_id) == business_id)
        for note in session.exec(notes):
            for attachment in note.attachments:
                if not storage.exists(attachment["key"]):
                    assert note.id is not None
                    report.dangling.append(
                        Dangling(note.business_id, note.id, attachment["id"], attachment["key"])
                    )
    stored = list(_stored_keys(min_age))
    report.files = len(stored)
    report.orphans = [key for key in stored if key not in referenced]
    return report


def clean(report: Report) -> None:
    """Delete orphan files and drop dangling references (each drop is audited)."""
    for key in report.orphans:
        storage.delete(key)
    for item in report.dangling:
        with unit_of_work() as session:
            note = session.exec(
                select(Note).where(col(Note.id) == item.note_id).with_for_update()
            ).first()
            if note is None:
                continue
            note.attachments = [a for a in note.attachments if a["id"] != item.attachment_id]
            note.version += 1
            session.add(note)
            audit.record(
                session,
                principal=None,
                business_id=item.business_id,
                action="file.dangling_removed",
                entity="note",
                entity_id=item.note_id,
                details={"attachment_id": item.attachment_id, "key": item.key},
            )
