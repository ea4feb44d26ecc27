"""REST API v1: notes with files (multipart) and the private file download."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Path, Response, UploadFile
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field

from crm_app.api.bodies import NO_NUL
from crm_app.api.deps import CurrentPrincipal, RowId
from crm_app.api.downloads import download_headers, file_answer
from crm_app.db import unit_of_work
from crm_app.services import attachments, note_drafts, notes, storage
from crm_app.services.auth import Principal
from crm_app.services.errors import NotFound

router = APIRouter(tags=["notes"])
_CHUNK = 1024 * 1024


class AttachmentOut(BaseModel):
    """A file on a note."""

    id: str
    name: str
    size: int
    content_type: str
    sha256: str
    uploaded_by: int
    uploaded_at: datetime
    download_url: str


class NoteOut(BaseModel):
    """A note: text, files or both."""

    id: int
    lead_id: int
    author_id: int | None
    kind: str
    text: str
    attachments: list[AttachmentOut]
    version: int
    created_at: datetime
    updated_at: datetime


def note_out(view: dict[str, Any]) -> NoteOut:
    """The API shape of :func:`crm_app.services.notes.note_view`."""
    files = [
        AttachmentOut(**attachments.public(a), download_url=f"/api/v1/files/{a['id']}")
        for a in view["attachments"]
    ]
    return NoteOut(**{**view, "attachments": files})


def _chunks(upload: UploadFile) -> Iterator[bytes]:
    upload.file.seek(0)
    while chunk := upload.file.read(_CHUNK):
        yield chunk


def store_uploads(
    principal: Principal, uploads: list[UploadFile], into: list[attachments.Attachment]
) -> None:
    """Store each upload (refusing oversized or executable files), collecting them in ``into``."""
    for upload in uploads:
        into.append(
            attachments.store(
                _chunks(upload), raw_name=upload.filename, uploaded_by=principal.user_id
            )
        )


Files = Annotated[list[UploadFile], File(description="0..n files")]


@router.get("/leads/{lead_id}/notes", response_model=list[NoteOut])
def list_notes(lead_id: RowId, principal: CurrentPrincipal) -> list[NoteOut]:
    """The lead's notes, newest first, with their files."""
    with unit_of_work() as session:
        found = notes.list_notes(session, principal=principal, lead_id=lead_id)
        return [note_out(notes.note_view(n)) for n in found]


@router.post("/leads/{lead_id}/notes", response_model=NoteOut, status_code=201)
def add_note(
    lead_id: RowId,
    principal: CurrentPrincipal,
    text: Annotated[str, Form(pattern=NO_NUL)] = "",
    files: Files = [],  # noqa: B006  (FastAPI's form default)
) -> NoteOut:
    """Add a note: ``text``, ``files``, or both (an empty note is refused)."""
    with unit_of_work() as session:  # fail fast, before any bytes are written
        notes.list_notes(session, principal=principal, lead_id=lead_id, limit=1)
    attachments.check_count(0, len(files))
    with attachments.written_files() as written, unit_of_work() as session:
        store_uploads(principal, files, written)
        note = notes.add_note(
            session, principal=principal, lead_id=lead_id, text=text, attachments=written
        )
        return note_out(notes.note_view(note))


@router.patch("/notes/{note_id}", response_model=NoteOut)
def edit_note(
    note_id: RowId,
    principal: CurrentPrincipal,
    text: Annotated[str | None, Form(pattern=NO_NUL)] = None,
    files: Files = [],  # noqa: B006
    remove: Annotated[
        list[Annotated[str, Field(pattern="^[0-9a-f]{32}$")]],
        Form(description="attachment ids to remove"),
    ] = [],  # noqa: B006
    base_version: Annotated[int | None, Form()] = None,
) -> NoteOut:
    """Change the text, add files, remove files (merged with concurrent edits)."""
    with attachments.written_files() as written:
        store_uploads(principal, files, written)
        edit = notes.NoteEdit(text=text, add=written, remove=remove, base_version=base_version)
        removed = notes.unit_with_retries(
            lambda s: notes.edit_note(s, principal=principal, note_id=note_id, edit=edit)
        )
    notes.commit_removals(removed)
    with unit_of_work() as session:
        return note_out(
            notes.note_view(notes.get_note(session, principal=principal, note_id=note_id))
        )


@router.delete("/notes/{note_id}", status_code=204)
def delete_note(note_id: RowId, principal: CurrentPrincipal) -> Response:
    """Delete a note and, after the commit, its files."""
    with unit_of_work() as session:
        removed = notes.delete_note(session, principal=principal, note_id=note_id)
    notes.commit_removals(removed)
    return Response(status_code=204)


@router.get(
    "/files/{attachment_id}",
    response_class=FileResponse,
    tags=["files"],
    responses=file_answer("*/*", description="the file (Range supported)"),
)
def download(
    attachment_id: Annotated[str, Path(pattern="^[0-9a-f]{32}$")], principal: CurrentPrincipal
) -> FileResponse:
    """A note file's bytes (Range supported); inline only for types that cannot run code.

    A draft's file (uploaded, not saved on a note yet) is served to its uploader only.
    """
    with unit_of_work() as session:
        attachment = note_drafts.find_file(
            session, principal=principal, attachment_id=attachment_id
        )
    if not storage.exists(attachment["key"]):
        raise NotFound("the file is missing from storage", key="errors.file_not_found")
    inline = attachments.is_inline_safe(attachment["content_type"])
    media = attachment["content_type"] if inline else "application/octet-stream"
    headers = download_headers(attachment["name"], inline=inline)
    headers["Content-Security-Policy"] = (
        "sandbox; default-src 'none'; img-src 'self'; media-src 'self'"
    )
    headers["ETag"] = f'"{attachment["sha256"]}"'
    return FileResponse(storage.path_for(attachment["key"]), media_type=media, headers=headers)
