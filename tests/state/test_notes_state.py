"""The Notes tab's state: uploads become a draft, a file-only note saves, reads match writes."""

from __future__ import annotations

import io
from pathlib import Path

import reflex as rx
from starlette.testclient import TestClient

from crm_app.api.server import create_backend
from crm_app.state.note_edit import NoteEditState
from crm_app.state.notes import NotesState
from tests.api.conftest import headers_for
from tests.conftest import Database
from tests.factories import make_lead, make_tenant
from tests.state.conftest import session_cookie, state_for


async def _state(
    cls: type[NotesState], tenant, lead_id: int, cookie: str | None = None
) -> NotesState:  # type: ignore[no-untyped-def]
    state = await state_for(
        cls, path=f"/leads/{lead_id}", cookie=cookie or session_cookie(tenant.agent)
    )
    state.load()
    state.load_notes()
    return state


def _upload(name: str, data: bytes) -> rx.UploadFile:
    return rx.UploadFile(file=io.BytesIO(data), path=Path(name))


async def test_a_file_only_note_is_saved_and_survives_a_reload(db: Database) -> None:
    tenant = make_tenant()
    lead = make_lead(tenant)
    cookie = session_cookie(tenant.agent)
    state = await _state(NotesState, tenant, lead.id, cookie)
    assert not state.can_save
    state.begin_upload()
    assert state.uploading and not state.can_save
    await state.upload([_upload("scan.pdf", b"%PDF-1.4 scan")])
    assert (
        not state.uploading
        and state.can_save
        and [f.name for f in state.draft_files] == ["scan.pdf"]
    )
    reloaded = await _state(
        NotesState, tenant, lead.id, cookie
    )  # a page reload: the draft is still there
    assert [f.name for f in reloaded.draft_files] == ["scan.pdf"]
    reloaded.save_note({"text": ""})
    assert reloaded.composer_error == ""
    assert reloaded.note_rows[0].text == "" and [f.name for f in reloaded.note_rows[0].files] == [
        "scan.pdf"
    ]
    assert reloaded.draft_files == [] and reloaded.files_tab == []  # read when the tab opens
    reloaded.open_tab("files")
    assert [f.name for f in reloaded.files_tab] == ["scan.pdf"]


async def test_refused_uploads_explain_themselves_and_keep_the_rest(db: Database) -> None:
    tenant = make_tenant()
    lead = make_lead(tenant)
    state = await _state(NotesState, tenant, lead.id)
    await state.upload([_upload("ok.txt", b"fine"), _upload("virus.exe", b"MZ..")])
    assert [f.name for f in state.draft_files] == ["ok.txt"]
    assert "virus.exe" in state.composer_error and "אסור" in state.composer_error


async def test_draft_text_is_kept_as_typed(db: Database) -> None:
    tenant = make_tenant()
    lead = make_lead(tenant)
    cookie = session_cookie(tenant.agent)
    state = await _state(NotesState, tenant, lead.id, cookie)
    state.set_draft_text("שיחה ראשונה")
    assert (await _state(NotesState, tenant, lead.id, cookie)).draft_text == "שיחה ראשונה"


async def test_the_page_state_and_the_api_show_the_same_attachments(db: Database) -> None:
    tenant = make_tenant()
    lead = make_lead(tenant)
    with TestClient(create_backend(), base_url="https://crm.test") as client:
        auth = headers_for(tenant, "agent")
        note = client.post(
            f"/api/v1/leads/{lead.id}/notes",
            headers=auth,
            files=[
                ("files", ("a.txt", b"a", "text/plain")),
                ("files", ("b.png", b"\x89PNG\r\n\x1a\n", "image/png")),
            ],
        ).json()
        api_files = client.get(f"/api/v1/leads/{lead.id}/notes", headers=auth).json()[0][
            "attachments"
        ]
    state = await _state(NotesState, tenant, lead.id)
    page_files = state.note_rows[0].files
    assert [(f.id, f.name, f.url) for f in page_files] == [
        (a["id"], a["name"], a["download_url"]) for a in api_files
    ]
    assert [a["id"] for a in note["attachments"]] == [f.id for f in page_files]


async def test_editing_shows_the_files_and_merges_changes(db: Database) -> None:
    tenant = make_tenant()
    lead = make_lead(tenant)
    cookie = session_cookie(tenant.agent)
    state = await _state(NotesState, tenant, lead.id, cookie)
    await state.upload([_upload("first.txt", b"1")])
    state.save_note({"text": "note"})
    edit = await _state(NoteEditState, tenant, lead.id, cookie)
    note_id = edit.note_rows[0].id
    edit.start_edit(note_id)
    assert [f.name for f in edit.edit_files] == ["first.txt"]
    await edit.upload_to_edit([_upload("second.txt", b"2")])
    edit.remove_edit_file(edit.edit_files[0].id)
    assert [f.name for f in edit.edit_files] == ["second.txt"]
    edit.save_edit_note({"text": "note, edited"})
    assert edit.editing_id == 0 and edit.note_rows[0].text == "note, edited"
    assert [f.name for f in edit.note_rows[0].files] == ["second.txt"]


async def test_a_saved_note_shows_its_files_on_the_timeline_at_once(db: Database) -> None:
    tenant = make_tenant()
    lead = make_lead(tenant)
    state = await _state(NotesState, tenant, lead.id)
    await state.upload([_upload("תמונה.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)])
    state.save_note({"text": "להתקשר ל 050-123-4567 about the Premium plan"})
    note = next(row for row in state.timeline if row.kind == "note")
    assert [(f.name, f.size, f.opens) for f in note.files] == [("תמונה.png", "72 B", "image")]
    assert note.files[0].url.startswith("/api/v1/files/")
    assert [(r.text, r.kind) for r in note.runs] == [
        ("להתקשר ל ", "plain"),
        ("050-123-4567", "whole"),
        (" ", "plain"),
        ("about the Premium plan", "ltr"),
    ]
