"""Drafts: what the composer (or an edit) holds before "save" — text and finished uploads.

A draft lives in the database, so a reload finds its text and files again.
Publishing a draft creates (or edits) the note and deletes the draft in one
transaction; discarding it deletes its uploads' bytes after the commit.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Session, col, select

from crm_app.models import Note, NoteDraft, utcnow
from crm_app.services import notes
from crm_app.services.attachments import Attachment, check_count
from crm_app.services.auth import Principal
from crm_app.services.errors import InvalidInput, NotFound
from crm_app.services.leads import get_lead


def draft_key(principal: Principal, lead_id: int, note_id: int | None) -> str:
    """``user:lead:note-or-new``."""
    return f"{principal.user_id}:{lead_id}:{note_id or 'new'}"


def get_draft(
    session: Session,
    *,
    principal: Principal,
    lead_id: int,
    note_id: int | None = None,
    create: bool = False,
) -> NoteDraft | None:
    """The user's draft for a new note on the lead (or for editing ``note_id``)."""
    key = draft_key(principal, lead_id, note_id)
    draft = session.exec(select(NoteDraft).where(col(NoteDraft.draft_key) == key)).first()
    if draft is None and create:
        get_lead(session, principal=principal, lead_id=lead_id)
        if note_id is not None:
            notes.get_note(session, principal=principal, note_id=note_id)
        draft = NoteDraft(
            business_id=principal.business_id,
            lead_id=lead_id,
            user_id=principal.user_id,
            note_id=note_id,
            draft_key=key,
        )
        session.add(draft)
        session.flush()
    return draft


def _existing_files(session: Session, draft: NoteDraft) -> int:
    if draft.note_id is None:
        return len(draft.attachments)
    note = session.get(Note, draft.note_id)
    kept = [a for a in (note.attachments if note else []) if a["id"] not in draft.removed]
    return len(kept) + len(draft.attachments)


def set_text(
    session: Session, *, principal: Principal, lead_id: int, text: str, note_id: int | None = None
) -> None:
    """Remember the draft's text as the user types."""
    draft = get_draft(session, principal=principal, lead_id=lead_id, note_id=note_id, create=True)
    assert draft is not None
    draft.text, draft.updated_at = text[: notes.MAX_TEXT], utcnow()
    session.add(draft)


def add_files(
    session: Session,
    *,
    principal: Principal,
    lead_id: int,
    files: list[Attachment],
    note_id: int | None = None,
) -> NoteDraft:
    """Attach finished uploads to the draft (a new list is assigned)."""
    draft = get_draft(session, principal=principal, lead_id=lead_id, note_id=note_id, create=True)
    assert draft is not None
    check_count(_existing_files(session, draft), len(files))
    draft.attachments = [*draft.attachments, *files]
    draft.updated_at = utcnow()
    session.add(draft)
    return draft


def remove_file(
    session: Session,
    *,
    principal: Principal,
    lead_id: int,
    attachment_id: str,
    note_id: int | None = None,
) -> list[str]:
    """Take a file off the draft; an upload of the draft itself returns its key to delete.

    When editing a note, removing one of the note's files only marks it; the
    note loses it when the edit is saved.
    """
    draft = get_draft(session, principal=principal, lead_id=lead_id, note_id=note_id, create=True)
    assert draft is not None
    own = [a for a in draft.attachments if a["id"] == attachment_id]
    draft.attachments = [a for a in draft.attachments if a["id"] != attachment_id]
    if not own and note_id is not None:
        draft.removed = [*draft.removed, attachment_id]
    session.add(draft)
    return [a["key"] for a in own]


def publish(
    session: Session, *, principal: Principal, lead_id: int, note_id: int | None = None
) -> tuple[Note, list[str]]:
    """Turn the draft into a note (or apply it to ``note_id``).

    Returns:
        The note, and the storage keys of files it lost (delete after commit).
    """
    draft = get_draft(session, principal=principal, lead_id=lead_id, note_id=note_id)
    if draft is None:
        if note_id is None:
            raise InvalidInput(
                "write something or attach a file", field="text", key="errors.note_empty"
            )
        return notes.get_note(session, principal=principal, note_id=note_id), []
    if note_id is None:
        note = notes.add_note(
            session,
            principal=principal,
            lead_id=lead_id,
            text=draft.text,
            attachments=draft.attachments,
        )
        session.delete(draft)
        return note, []
    return _publish_edit(session, principal, draft, note_id)


def _publish_edit(
    session: Session, principal: Principal, draft: NoteDraft, note_id: int
) -> tuple[Note, list[str]]:
    edit = notes.NoteEdit(
        text=draft.text,
        add=list(draft.attachments),
        remove=list(draft.removed),
        base_version=draft.base_version,
    )
    removed = notes.edit_note(session, principal=principal, note_id=note_id, edit=edit)
    session.delete(draft)
    return notes.get_note(session, principal=principal, note_id=note_id), removed


def start_edit(session: Session, *, principal: Principal, note_id: int) -> NoteDraft:
    """Open an edit of a note: a fresh draft holding its text and version.

    An edit already in progress (say, before a reload) is kept as it is.
    """
    note = notes.get_note(session, principal=principal, note_id=note_id)
    draft = get_draft(session, principal=principal, lead_id=note.lead_id, note_id=note_id)
    if draft is not None:
        return draft
    draft = get_draft(
        session, principal=principal, lead_id=note.lead_id, note_id=note_id, create=True
    )
    assert draft is not None
    draft.text, draft.base_version = note.text, note.version
    session.add(draft)
    return draft


def discard(
    session: Session, *, principal: Principal, lead_id: int, note_id: int | None = None
) -> list[str]:
    """Drop the draft; returns its own uploads' keys (delete after commit)."""
    draft = get_draft(session, principal=principal, lead_id=lead_id, note_id=note_id)
    if draft is None:
        return []
    keys = [a["key"] for a in draft.attachments]
    session.delete(draft)
    return keys


def find_file(session: Session, *, principal: Principal, attachment_id: str) -> Attachment:
    """A file on a note of the principal's business, or on the principal's own draft.

    A draft's upload is not on any note yet; it is served to the user who holds the
    draft (so the composer can show its preview) and reads as not found to anyone else.
    """
    try:
        return notes.find_attachment(session, principal=principal, attachment_id=attachment_id)[1]
    except NotFound:
        pass
    drafts = session.exec(
        select(NoteDraft).where(
            col(NoteDraft.business_id) == principal.business_id,
            col(NoteDraft.user_id) == principal.user_id,
            sa.type_coerce(NoteDraft.attachments, JSONB).contains([{"id": attachment_id}]),
        )
    )
    for draft in drafts:
        for attachment in draft.attachments:
            if attachment["id"] == attachment_id:
                return attachment
    raise NotFound("no such file", key="errors.file_not_found")
