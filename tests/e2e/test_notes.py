"""Notes with files in chromium: the flow whose failure made files vanish in the old system."""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import col, select

from crm_app.db import unit_of_work
from crm_app.models import NoteDraft
from tests.e2e.conftest import open_tab, sign_in
from tests.factories import PASSWORD, make_lead, make_tenant
from tests.live import LiveServer

pytestmark = pytest.mark.e2e


def _open_notes(page: Page, server: LiveServer) -> int:
    tenant = make_tenant()
    lead = make_lead(tenant, name="ליד עם קבצים")
    sign_in(page, server, tenant.agent.email, PASSWORD, start=f"/leads/{lead.id}")
    expect(page.locator("#lead-name")).to_have_text("ליד עם קבצים")
    open_tab(page, "notes")
    assert lead.id is not None
    return lead.id


def _wait_for_draft_text(lead_id: int, text: str, within: float = 20.0) -> None:
    """Until the server has stored ``text`` as the new note's draft on the lead."""
    deadline = time.monotonic() + within
    while True:
        with unit_of_work(read_only=True) as session:
            drafts = session.exec(
                select(NoteDraft.text).where(
                    col(NoteDraft.lead_id) == lead_id, col(NoteDraft.note_id).is_(None)
                )
            ).all()
        if text in drafts:
            return
        assert time.monotonic() < deadline, f"the draft holds {drafts!r}, not {text!r}"
        time.sleep(0.1)


def test_file_without_text_is_saved_reloaded_edited_and_downloaded(
    page: Page, server: LiveServer, tmp_path: Path
) -> None:
    payload = bytes(range(256)) * 200 + "סוף הקובץ".encode()
    source = tmp_path / "חוזה חתום.bin"
    source.write_bytes(payload)
    _open_notes(page, server)
    save = page.locator("#note-save")
    expect(save).to_be_disabled()
    page.set_input_files("#note-upload input[type=file]", str(source))
    expect(page.locator("#note-upload [data-testid=attachment]")).to_contain_text("חוזה חתום.bin")
    expect(save).to_be_enabled()  # a file and no text is a note
    save.click()
    note = page.locator("[data-testid=note]").first
    expect(note.locator("[data-testid=attachment]")).to_contain_text("חוזה חתום.bin")
    expect(note.locator("[data-testid=note-text]")).to_have_count(0)  # no placeholder text

    page.reload()
    open_tab(page, "notes")
    note = page.locator("[data-testid=note]").first
    expect(note.locator("[data-testid=attachment]")).to_contain_text("חוזה חתום.bin")

    open_tab(page, "files")  # the Files tab reads the same column
    expect(page.locator("[data-testid=lead-file]")).to_contain_text("חוזה חתום.bin")
    open_tab(page, "notes")
    note = page.locator("[data-testid=note]").first
    note.locator("[data-testid=note-edit]").click()
    expect(page.locator("#edit-note-files [data-testid=attachment]")).to_contain_text(
        "חוזה חתום.bin"
    )
    page.get_by_role("button", name="ביטול").click()

    link = page.locator("[data-testid=note]").first.locator("a[data-testid=attachment]")
    expect(link).to_have_attribute("download", "חוזה חתום.bin")
    with page.expect_download() as download:
        link.click()
    target = tmp_path / "downloaded.bin"
    download.value.save_as(target)
    assert target.read_bytes() == payload
    assert download.value.suggested_filename == "חוזה חתום.bin"


def test_save_waits_for_uploads_and_a_draft_survives_reload(
    page: Page, server: LiveServer, tmp_path: Path
) -> None:
    source = tmp_path / "photo.png"
    source.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 2048)
    lead_id = _open_notes(page, server)
    page.fill("#note-text", "טיוטה שלא נשמרה")
    page.set_input_files("#note-upload input[type=file]", str(source))
    expect(page.locator("#note-upload [data-testid=attachment]")).to_have_count(1)
    expect(page.locator("#note-upload img")).to_be_visible()  # images show as thumbnails
    _wait_for_draft_text(lead_id, "טיוטה שלא נשמרה")  # the debounced text reached the server
    page.reload()
    open_tab(page, "notes")
    expect(page.locator("#note-text")).to_have_value("טיוטה שלא נשמרה")
    expect(page.locator("#note-upload [data-testid=attachment]")).to_have_count(1)
    page.click("#note-save")
    note = page.locator("[data-testid=note]").first
    expect(note).to_contain_text("טיוטה שלא נשמרה")
    expect(note.locator("img")).to_be_visible()
    # An image opens in the browser: its link is not a download.
    link = note.locator("a[data-testid=attachment]")
    assert link.evaluate("a => a.hasAttribute('download')") is False


def test_each_file_shows_its_progress_and_save_waits(
    page: Page, server: LiveServer, tmp_path: Path
) -> None:
    files = []
    for name in ("first.bin", "second.bin"):
        files.append(tmp_path / name)
        files[-1].write_bytes(os.urandom(6 * 1024 * 1024))
    _open_notes(page, server)
    page.fill("#note-text", "text is there, but the files are not stored yet")
    expect(page.locator("#note-save")).to_be_enabled()
    page.evaluate("""() => {
        window.__seen = {rows: 0, saveDisabled: false};
        new MutationObserver(() => {
            const rows = document.querySelectorAll('[data-testid=upload-progress]').length;
            if (rows) {
                window.__seen.rows = Math.max(window.__seen.rows, rows);
                window.__seen.saveDisabled ||= document.querySelector('#note-save').disabled;
            }
        }).observe(document.body, {subtree: true, childList: true, attributes: true});
    }""")
    page.set_input_files("#note-upload input[type=file]", [str(f) for f in files])
    expect(page.locator("#note-upload [data-testid=attachment]")).to_have_count(2)
    seen = page.evaluate("window.__seen")
    assert seen == {"rows": 2, "saveDisabled": True}
    expect(page.locator("#note-save")).to_be_enabled()


def test_pasted_and_dropped_files_join_the_draft(page: Page, server: LiveServer) -> None:
    _open_notes(page, server)
    page.evaluate("""() => {
        const files = new DataTransfer();
        files.items.add(new File(['pasted bytes'], 'pasted.txt', {type: 'text/plain'}));
        const event = new ClipboardEvent(
            'paste', {clipboardData: files, bubbles: true, cancelable: true});
        document.querySelector('#note-text').dispatchEvent(event);
    }""")
    expect(page.locator("#note-upload [data-testid=attachment]")).to_contain_text("pasted.txt")
    page.evaluate("""() => {
        const files = new DataTransfer();
        files.items.add(new File(['dropped bytes'], 'dropped.txt', {type: 'text/plain'}));
        const zone = document.querySelector('#note-upload');
        for (const type of ['dragenter', 'dragover', 'drop']) {
            const init = {dataTransfer: files, bubbles: true, cancelable: true};
            zone.dispatchEvent(new DragEvent(type, init));
        }
    }""")
    expect(page.locator("#note-upload [data-testid=attachment]")).to_have_count(2)


def test_the_same_file_can_be_picked_again_after_removing_it(
    page: Page, server: LiveServer, tmp_path: Path
) -> None:
    source = tmp_path / "contract.txt"
    source.write_text("the contract")
    _open_notes(page, server)
    chips = page.locator("#note-upload [data-testid=attachment]")
    page.set_input_files("#note-upload input[type=file]", str(source))
    expect(chips).to_have_count(1)
    page.locator("[data-testid=attachment-remove]").click()
    expect(chips).to_have_count(0)
    page.set_input_files("#note-upload input[type=file]", str(source))
    expect(chips).to_have_count(1)
    expect(chips).to_contain_text("contract.txt")


def test_refused_file_shows_a_readable_message(
    page: Page, server: LiveServer, tmp_path: Path
) -> None:
    source = tmp_path / "installer.exe"
    source.write_bytes(b"MZ" + b"\x00" * 100)
    _open_notes(page, server)
    page.set_input_files("#note-upload input[type=file]", str(source))
    expect(page.locator("#note-error")).to_contain_text("installer.exe")
    expect(page.locator("#note-upload [data-testid=attachment]")).to_have_count(0)
    expect(page.locator("#note-save")).to_be_disabled()


def test_deleting_a_note_asks_first(page: Page, server: LiveServer) -> None:
    _open_notes(page, server)
    page.fill("#note-text", "למחיקה")
    expect(page.locator("#note-save")).to_be_enabled()
    page.click("#note-save")
    expect(page.locator("[data-testid=note]")).to_have_count(1)
    page.locator("[data-testid=note-delete]").click()
    page.click("#note-delete-confirm")
    expect(page.locator("[data-testid=note]")).to_have_count(0)
    expect(page).to_have_url(re.compile(r"/leads/\d+"))
