"""Editing a note in place: its text and files stay visible; changes merge on save."""

from __future__ import annotations

from typing import Any

import reflex as rx

from crm_app.db import unit_of_work
from crm_app.models import Note, NoteDraft
from crm_app.services import note_drafts, notes
from crm_app.services.auth import Principal
from crm_app.services.errors import DomainError
from crm_app.state.file_chips import FileChip, file_view
from crm_app.state.notes import NotesState, empty_file_input


class NoteEditState(NotesState):
    """The note being edited: a draft holding its new text, added and removed files."""

    editing_id: int = 0
    edit_text: str = ""
    edit_files: list[FileChip] = []
    edit_error: str = ""
    edit_uploading: bool = False

    def _show_edit(self, note: Note, draft: NoteDraft) -> None:
        kept = [a for a in note.attachments if a["id"] not in set(draft.removed)]
        self.edit_text = draft.text
        self.edit_files = [file_view(a) for a in [*kept, *draft.attachments]]

    def _with_edit(self, principal: Principal, change: Any) -> None:
        with unit_of_work() as session:
            change(session)
            note = notes.get_note(session, principal=principal, note_id=self.editing_id)
            draft = note_drafts.get_draft(
                session,
                principal=principal,
                lead_id=note.lead_id,
                note_id=self.editing_id,
                create=True,
            )
            assert draft is not None
            self._show_edit(note, draft)

    @rx.event
    def start_edit(self, note_id: int) -> None:
        """Open the editor on a note, with the files it has."""
        principal = self._me()
        self.editing_id, self.edit_error = int(note_id), ""
        self._with_edit(
            principal,
            lambda s: note_drafts.start_edit(s, principal=principal, note_id=self.editing_id),
        )

    @rx.event
    def set_edit_text(self, value: str) -> None:
        """Remember the edited text."""
        if not self.editing_id:
            return
        self.edit_text = value
        with unit_of_work() as session:
            note_drafts.set_text(
                session,
                principal=self._me(),
                lead_id=self.lead_id,
                text=value,
                note_id=self.editing_id,
            )

    @rx.event
    async def upload_to_edit(self, files: list[rx.UploadFile]) -> Any:
        """Add files to the note being edited."""
        principal = self._me()
        self.edit_uploading, self.edit_error = False, ""
        if not self.editing_id:
            return None
        stored, refused = self._store_all(principal, files)
        try:
            self._with_edit(
                principal,
                lambda s: note_drafts.add_files(
                    s,
                    principal=principal,
                    lead_id=self.lead_id,
                    files=stored,
                    note_id=self.editing_id,
                ),
            )
        except DomainError as exc:
            notes.commit_removals([a["key"] for a in stored])
            refused.append(self._say(exc))
        self.edit_error = " ".join(refused)
        return empty_file_input("edit-upload")

    @rx.event
    def begin_edit_upload(self) -> None:
        """Saving the edit waits until the dropped files are stored."""
        self.edit_uploading, self.edit_error = True, ""

    @rx.event
    def edit_upload_progress(self, progress: dict[str, Any]) -> None:
        """Progress of the editor's upload (the handler's end clears ``edit_uploading``)."""
        self.upload_loaded = int(progress.get("loaded", 0))
        self.upload_total = int(progress.get("total", 0))

    @rx.event
    def remove_edit_file(self, attachment_id: str) -> None:
        """Take a file off the note (applied on save)."""
        principal = self._me()
        if not self.editing_id:
            return
        keys: list[str] = []

        def change(session: Any) -> None:
            keys.extend(
                note_drafts.remove_file(
                    session,
                    principal=principal,
                    lead_id=self.lead_id,
                    attachment_id=attachment_id,
                    note_id=self.editing_id,
                )
            )

        self._with_edit(principal, change)
        notes.commit_removals(keys)

    @rx.event
    def save_edit_note(self, form: dict[str, Any]) -> Any:
        """Apply the edit: merged with anything another tab saved meanwhile."""
        principal = self._me()
        if not self.editing_id:
            return None
        note_id, text = self.editing_id, str(form.get("text", self.edit_text))

        def publish(session: Any) -> list[str]:
            note_drafts.set_text(
                session, principal=principal, lead_id=self.lead_id, text=text, note_id=note_id
            )
            return note_drafts.publish(
                session, principal=principal, lead_id=self.lead_id, note_id=note_id
            )[1]

        try:
            removed = notes.unit_with_retries(publish)
        except DomainError as exc:
            self.edit_error = self._say(exc)
            return None
        notes.commit_removals(removed)
        self.editing_id = 0
        self._read_notes(principal)
        return rx.toast.success(self._t("notes.saved"))

    @rx.event
    def cancel_edit(self) -> None:
        """Close the editor and drop what it uploaded."""
        principal = self._me()
        if self.editing_id:
            with unit_of_work() as session:
                keys = note_drafts.discard(
                    session, principal=principal, lead_id=self.lead_id, note_id=self.editing_id
                )
            notes.commit_removals(keys)
        self.editing_id, self.edit_error = 0, ""
