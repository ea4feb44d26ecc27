"""The Notes tab: the notes list, the composer and its draft, the Files tab.

Uploads go into a draft kept in the database (so a reload keeps them); "save"
publishes the draft as a note. Everything shown is read back from the note's
``attachments`` column, the same one the services write.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import reflex as rx
from reflex.event import EventSpec

from crm_app.db import unit_of_work
from crm_app.i18n.formats import local_datetime
from crm_app.models import Note, NoteDraft, Role
from crm_app.services import attachments, note_drafts, notes
from crm_app.services.auth import Principal
from crm_app.services.errors import DomainError
from crm_app.services.leads import business_users
from crm_app.settings import get_settings
from crm_app.state.file_chips import FileChip, chip_fields, file_view
from crm_app.state.lead import LeadState, tab_from_url, tab_in_url
from crm_app.state.text_runs import TextRun, text_runs

_CHUNK = 1024 * 1024


def _chunks(upload: rx.UploadFile) -> Iterator[bytes]:
    while chunk := upload.file.read(_CHUNK):
        yield chunk


@dataclass(frozen=True)
class FileRow(FileChip):
    """A file on the Files tab, with the note it belongs to."""

    note_id: int = 0
    when: str = ""


@dataclass(frozen=True)
class NoteRow:
    """A note as the list shows it."""

    id: int
    text: str
    kind: str
    author: str
    when: str
    edited: bool
    can_edit: bool
    files: list[FileChip]
    runs: list[TextRun]


@dataclass(frozen=True)
class Limits:
    """The server's upload limits, shown next to the composer."""

    mb: int
    files: int


def empty_file_input(upload_id: str) -> EventSpec:
    """Empty an upload's file input once its files are stored, so the same file can be picked again.

    A browser fires no change for a picker that chooses what the input already holds; the
    dropzone reads the files asynchronously, so this runs after the upload, not at the pick.
    """
    return rx.call_script(
        f"(document.querySelector('#{upload_id} input[type=file]') || {{}}).value = ''"
    )


def note_row(note: Note, principal: Principal, authors: dict[int, str]) -> NoteRow:
    """A note as the list shows it."""
    mine = note.author_id == principal.user_id or principal.role in (Role.OWNER, Role.ADMIN)
    return NoteRow(
        id=note.id or 0,
        text=note.text,
        kind=note.kind,
        author=authors.get(note.author_id or 0, ""),
        when=local_datetime(note.created_at, principal.timezone),
        edited=note.updated_at > note.created_at and note.version > 1,
        can_edit=mine and note.kind == "manual",
        files=[file_view(a) for a in note.attachments],
        runs=text_runs(note.text),
    )


class NotesState(LeadState):
    """The lead's notes and the signed-in user's draft for a new one."""

    note_rows: list[NoteRow] = []
    notes_limit: int = notes.PAGE
    more_notes: bool = False
    files_tab: list[FileRow] = []
    draft_text: str = ""
    draft_files: list[FileChip] = []
    uploading: bool = False
    upload_loaded: int = 0
    upload_total: int = 0
    composer_error: str = ""

    @rx.var
    def limits(self) -> Limits:
        """The server's limits, shown next to the composer."""
        settings = get_settings()
        return Limits(mb=settings.max_upload_mb, files=settings.max_files_per_note)

    @rx.var
    def upload_percent(self) -> int:
        """Progress of the running upload."""
        return int(100 * self.upload_loaded / self.upload_total) if self.upload_total else 0

    @rx.var
    def can_save(self) -> bool:
        """Text or a finished upload, and nothing still uploading (rule 5)."""
        return not self.uploading and (bool(self.draft_text.strip()) or bool(self.draft_files))

    @rx.event
    def load_notes(self) -> None:
        """Read notes, files and the draft (the page's second on_load step)."""
        if self.found and self.lead_id:
            self._read_notes(self._me())

    def _read_notes(self, principal: Principal) -> None:
        with unit_of_work() as session:
            found = notes.list_notes(
                session, principal=principal, lead_id=self.lead_id, limit=self.notes_limit + 1
            )
            files = (
                notes.lead_files(session, principal=principal, lead_id=self.lead_id)
                if self.tab == "files"
                else []
            )
            draft = note_drafts.get_draft(session, principal=principal, lead_id=self.lead_id)
            authors = {u.id: u.name for u in business_users(session, principal=principal) if u.id}
        self.more_notes = len(found) > self.notes_limit
        self.note_rows = [note_row(n, principal, authors) for n in found[: self.notes_limit]]
        tz = principal.timezone
        self.files_tab = [
            FileRow(**chip_fields(a), note_id=note_id, when=local_datetime(at, tz))
            for note_id, at, a in files
        ]
        self._show_draft(draft)

    @rx.event
    def open_tab(self, tab: str) -> EventSpec:
        """Switch tabs (kept in the address); the Files tab reads its files when it opens."""
        self.tab = tab_from_url(tab)
        if self.tab == "files" and self.lead_id:
            self._read_notes(self._me())
        return tab_in_url(self.tab)

    @rx.event
    def show_more_notes(self) -> None:
        """Older notes, a page at a time."""
        if self.lead_id:
            self.notes_limit += notes.PAGE
            self._read_notes(self._me())

    def _show_draft(self, draft: NoteDraft | None) -> None:
        self.draft_text = draft.text if draft else ""
        self.draft_files = [file_view(a) for a in (draft.attachments if draft else [])]

    @rx.event
    def set_draft_text(self, value: str) -> None:
        """Remember the text as it is typed (debounced by the textarea)."""
        self.draft_text = value
        if self.lead_id:
            with unit_of_work() as session:
                note_drafts.set_text(
                    session, principal=self._me(), lead_id=self.lead_id, text=value
                )

    @rx.event
    def begin_upload(self) -> None:
        """Files were dropped, picked or pasted: saving waits until they are stored."""
        self.uploading, self.upload_loaded, self.upload_total = True, 0, 0
        self.composer_error = ""

    @rx.event
    def upload_progress(self, progress: dict[str, Any]) -> None:
        """Bytes sent so far, from the browser (storing them ends the upload, not this)."""
        self.upload_loaded = int(progress.get("loaded", 0))
        self.upload_total = int(progress.get("total", 0))

    @rx.event
    async def upload(self, files: list[rx.UploadFile]) -> Any:
        """Store dropped, picked or pasted files and add them to the draft."""
        principal = self._me()
        self.uploading, self.composer_error = False, ""
        if not self.lead_id:
            return None
        stored, refused = self._store_all(principal, files)
        try:
            with unit_of_work() as session:
                draft = note_drafts.add_files(
                    session, principal=principal, lead_id=self.lead_id, files=stored
                )
        except DomainError as exc:
            notes.commit_removals([a["key"] for a in stored])
            refused.append(self._say(exc))
        else:
            self.draft_files = [file_view(a) for a in draft.attachments]
        self.composer_error = " ".join(refused)
        return empty_file_input("note-upload")

    def _store_all(
        self, principal: Principal, files: list[rx.UploadFile]
    ) -> tuple[list[Any], list[str]]:
        stored: list[attachments.Attachment] = []
        refused: list[str] = []
        for upload in files:
            try:
                stored.append(
                    attachments.store(
                        _chunks(upload), raw_name=upload.name, uploaded_by=principal.user_id
                    )
                )
            except DomainError as exc:
                refused.append(f"{attachments.safe_name(upload.name)}: {self._say(exc)}")
        return stored, refused

    @rx.event
    def remove_draft_file(self, attachment_id: str) -> None:
        """Take an upload off the draft and delete its bytes."""
        with unit_of_work() as session:
            keys = note_drafts.remove_file(
                session, principal=self._me(), lead_id=self.lead_id, attachment_id=attachment_id
            )
        notes.commit_removals(keys)
        self.draft_files = [f for f in self.draft_files if f.id != attachment_id]

    @rx.event
    def save_note(self, form: dict[str, Any]) -> Any:
        """Publish the draft (with the text as it is now in the box) as a note."""
        principal = self._me()
        self.composer_error = ""
        try:
            with unit_of_work() as session:
                note_drafts.set_text(
                    session,
                    principal=principal,
                    lead_id=self.lead_id,
                    text=str(form.get("text", self.draft_text)),
                )
                note_drafts.publish(session, principal=principal, lead_id=self.lead_id)
        except DomainError as exc:
            self.composer_error = self._say(exc)
            return None
        self._read_notes(principal)
        self._refresh(principal, self.lead_id)
        return rx.toast.success(self._t("notes.saved"))

    @rx.event
    def delete_note(self, note_id: int) -> Any:
        """Delete a note (after the confirmation dialog) and then its files."""
        principal = self._me()
        with unit_of_work() as session:
            keys = notes.delete_note(session, principal=principal, note_id=int(note_id))
        notes.commit_removals(keys)
        self._read_notes(principal)
        self._refresh(principal, self.lead_id)
        return None
