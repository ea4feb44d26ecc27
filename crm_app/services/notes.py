"""Notes on a lead: text, files, or both; edits merge, so files never vanish.

The three causes of vanishing files in the original system are designed out:
the attachment list is always *assigned* (never mutated in place), it is read
from the same column it is written to, and a note with files but no text is a
valid note. Concurrent edits lock the row (Postgres) and check ``version``
(everywhere), and merge added and removed files instead of overwriting.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, col, select

from crm_app.db import unit_of_work
from crm_app.models import Call, Note, NoteKind, Role, utcnow
from crm_app.services.attachments import Attachment, check_count
from crm_app.services.auth import Principal
from crm_app.services.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from crm_app.services.leads import get_lead

T = TypeVar("T")
MAX_TEXT = 20_000
PAGE = 50


def _check_text(text: str) -> str:
    if len(text) > MAX_TEXT:
        raise InvalidInput(f"a note has at most {MAX_TEXT} characters", field="text")
    if "\x00" in text:
        raise InvalidInput("a note cannot hold a NUL character", field="text")
    return text.strip()


def add_note(
    session: Session,
    *,
    principal: Principal,
    lead_id: int,
    text: str = "",
    attachments: Sequence[Attachment] = (),
    kind: NoteKind = NoteKind.MANUAL,
    call_id: int | None = None,
) -> Note:
    """Add a note with text, files or both (never neither; no placeholder text).

    Raises:
        InvalidInput: an empty note, too many files or too much text.
        NotFound: another business's lead.
    """
    get_lead(session, principal=principal, lead_id=lead_id)
    text = _check_text(text)
    if not text and not attachments:
        raise InvalidInput(
            "write something or attach a file", field="text", key="errors.note_empty"
        )
    check_count(0, len(attachments))
    note = Note(
        business_id=principal.business_id,
        lead_id=lead_id,
        author_id=principal.user_id,
        kind=kind.value,
        text=text,
        attachments=[dict(a) for a in attachments],
        call_id=call_id,
    )
    session.add(note)
    session.flush()
    return note


def get_note(session: Session, *, principal: Principal, note_id: int, lock: bool = False) -> Note:
    """A note of the principal's business (``NotFound`` otherwise), optionally row-locked."""
    query = select(Note).where(
        col(Note.id) == note_id, col(Note.business_id) == principal.business_id
    )
    if lock:
        query = query.with_for_update()
    note = session.exec(query).first()
    if note is None:
        raise NotFound("no such note", key="errors.note_not_found")
    return note


def _may_change(principal: Principal, note: Note) -> None:
    if note.author_id != principal.user_id and principal.role not in (Role.OWNER, Role.ADMIN):
        raise PermissionDenied(
            "only the author or an admin may change this note", key="errors.note_not_yours"
        )


@dataclass
class NoteEdit:
    """A change to a note as a diff, so that edits from two tabs merge."""

    text: str | None = None
    add: list[Attachment] = field(default_factory=list)
    remove: list[str] = field(default_factory=list)  # attachment ids
    base_version: int | None = None  # the version the editor started from


def edit_note(session: Session, *, principal: Principal, note_id: int, edit: NoteEdit) -> list[str]:
    """Apply an edit; returns the storage keys of removed files (delete after commit).

    Files are merged: the current list minus the removed ids plus the added
    files, so another tab's additions survive. Text that changed elsewhere
    since ``base_version`` is a conflict, never silently overwritten.
    """
    note = get_note(session, principal=principal, note_id=note_id, lock=True)
    _may_change(principal, note)
    current = list(note.attachments)
    removed = [a for a in current if a["id"] in set(edit.remove)]
    kept = [a for a in current if a["id"] not in set(edit.remove)]
    check_count(len(kept), len(edit.add))
    text = note.text if edit.text is None else _check_text(edit.text)
    if text != note.text and edit.base_version not in (None, note.version):
        raise Conflict("the note was changed in another tab; reload it", key="errors.note_changed")
    if not text and not kept and not edit.add:
        raise InvalidInput("a note needs text or a file", field="text", key="errors.note_empty")
    _compare_and_set(session, note, text=text, attachments=kept + [dict(a) for a in edit.add])
    return [a["key"] for a in removed]


def _compare_and_set(
    session: Session, note: Note, *, text: str, attachments: list[Attachment]
) -> None:
    """Write text and a *new* attachment list if nobody else wrote since we read."""
    result = session.execute(
        sa.update(Note)
        .where(col(Note.id) == note.id, col(Note.version) == note.version)
        .values(text=text, attachments=attachments, version=note.version + 1, updated_at=utcnow())
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise StaleNote(f"note {note.id} changed while we edited it")
    session.expire(note)


class StaleNote(Exception):
    """Somebody else wrote the note between our read and our write: retry."""


def with_retries(work: Callable[[], T], attempts: int = 5) -> T:
    """Run a unit of work again when a concurrent writer got there first."""
    for attempt in range(attempts):
        try:
            return work()
        except (StaleNote, OperationalError):
            if attempt == attempts - 1:
                raise
    raise AssertionError("unreachable")


def delete_note(session: Session, *, principal: Principal, note_id: int) -> list[str]:
    """Delete a note; returns its files' keys (delete them after the commit)."""
    note = get_note(session, principal=principal, note_id=note_id, lock=True)
    _may_change(principal, note)
    keys = [a["key"] for a in note.attachments]
    session.delete(note)
    return keys


def list_notes(
    session: Session, *, principal: Principal, lead_id: int, limit: int = PAGE
) -> list[Note]:
    """The lead's notes, newest first."""
    get_lead(session, principal=principal, lead_id=lead_id)
    query = (
        select(Note)
        .where(col(Note.lead_id) == lead_id, col(Note.business_id) == principal.business_id)
        .order_by(col(Note.created_at).desc(), col(Note.id).desc())
        .limit(limit)
    )
    return list(session.exec(query))


def lead_files(
    session: Session, *, principal: Principal, lead_id: int
) -> list[tuple[int, datetime, Attachment]]:
    """Every attachment of the lead's notes, read from the column notes are written to.

    Returns:
        (note id, note time, attachment) for each file, newest note first.
    """
    get_lead(session, principal=principal, lead_id=lead_id)
    query = (
        sa.select(col(Note.id), col(Note.created_at), col(Note.attachments))
        .where(col(Note.lead_id) == lead_id, col(Note.business_id) == principal.business_id)
        .order_by(col(Note.created_at).desc(), col(Note.id).desc())
    )
    return [(note_id, at, a) for note_id, at, files in session.execute(query) for a in files]


def find_attachment(
    session: Session, *, principal: Principal, attachment_id: str
) -> tuple[Note, Attachment]:
    """The note and attachment with this id in the principal's business (``NotFound`` otherwise)."""
    query = select(Note).where(
        col(Note.business_id) == principal.business_id,
        sa.type_coerce(Note.attachments, JSONB).contains([{"id": attachment_id}]),
    )
    for note in session.exec(query.limit(2)):
        for attachment in note.attachments:
            if attachment["id"] == attachment_id:
                return note, attachment
    raise NotFound("no such file", key="errors.file_not_found")


def note_view(note: Note) -> dict[str, Any]:
    """A note with its attachments as stored (for the API and the page state alike)."""
    return {
        "id": note.id,
        "lead_id": note.lead_id,
        "author_id": note.author_id,
        "kind": note.kind,
        "text": note.text,
        "attachments": list(note.attachments),
        "version": note.version,
        "created_at": note.created_at,
        "updated_at": note.updated_at,
    }


def commit_removals(keys: Sequence[str]) -> None:
    """Delete removed files' bytes; call only after the commit that unlinked them."""
    from crm_app.services import storage

    for key in keys:
        storage.delete(key)


def unit_with_retries(work: Callable[[Session], T]) -> T:
    """``work`` inside a unit of work, retried on a concurrent write."""

    def attempt() -> T:
        with unit_of_work() as session:
            return work(session)

    return with_retries(attempt)


def upsert_call_summary(session: Session, *, call: Call, text: str) -> Note:
    """The call's one summary note on its lead: written once, updated when re-run.

    The unique index ``uq_note_call_summary`` makes a second insert impossible,
    so two runs racing each other still leave one note.
    """
    assert call.lead_id is not None and call.id is not None
    text = _check_text(text)

    def existing() -> Note | None:
        query = select(Note).where(
            col(Note.call_id) == call.id, col(Note.kind) == NoteKind.CALL_SUMMARY.value
        )
        return session.exec(query.with_for_update()).first()

    note = existing()
    if note is None:
        try:
            with session.begin_nested():
                note = Note(
                    business_id=call.business_id,
                    lead_id=call.lead_id,
                    kind=NoteKind.CALL_SUMMARY.value,
                    text=text,
                    call_id=call.id,
                )
                session.add(note)
                session.flush()
            return note
        except sa.exc.IntegrityError:  # a concurrent run inserted it first
            note = existing()
            assert note is not None
    if note.text != text:
        note.text = text
        note.version += 1
        note.updated_at = utcnow()
        session.add(note)
    return note
