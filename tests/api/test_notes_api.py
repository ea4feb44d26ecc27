"""Notes and file downloads over the REST API: multipart, limits, Range, headers, tenancy."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import select
from starlette.testclient import TestClient

from crm_app.db import unit_of_work
from crm_app.models import Note, Role
from crm_app.services import attachments, note_drafts, storage
from crm_app.settings import reload_settings
from tests.api.conftest import headers_for
from tests.factories import make_lead, make_tenant

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _stored_files() -> list[str]:
    return [str(p) for p in storage.root().rglob("*") if p.is_file()]


def test_note_with_only_a_file_is_saved(client: TestClient) -> None:
    tenant = make_tenant()
    lead = make_lead(tenant)
    auth = headers_for(tenant, "agent")
    response = client.post(
        f"/api/v1/leads/{lead.id}/notes",
        headers=auth,
        files=[("files", ("תמונה.png", PNG, "image/png"))],
    )
    assert response.status_code == 201, response.text
    note = response.json()
    assert note["text"] == ""
    assert [(a["name"], a["size"], a["content_type"]) for a in note["attachments"]] == [
        ("תמונה.png", len(PNG), "image/png")
    ]
    listed = client.get(f"/api/v1/leads/{lead.id}/notes", headers=auth).json()
    assert listed[0]["attachments"] == note["attachments"]
    with unit_of_work() as session:  # the API shows exactly the column it wrote
        stored = session.get(Note, note["id"])
    assert stored is not None and [a["id"] for a in stored.attachments] == [
        note["attachments"][0]["id"]
    ]


def test_empty_note_is_refused(client: TestClient) -> None:
    tenant = make_tenant()
    lead = make_lead(tenant)
    response = client.post(
        f"/api/v1/leads/{lead.id}/notes", data={"text": "  "}, headers=headers_for(tenant)
    )
    assert response.status_code == 422 and response.json()["error"]["field"] == "text"


def test_oversized_file_is_a_413_and_nothing_is_stored(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MAX_UPLOAD_MB", "1")
    reload_settings()
    tenant = make_tenant()
    lead = make_lead(tenant)
    response = client.post(
        f"/api/v1/leads/{lead.id}/notes",
        headers=headers_for(tenant),
        data={"text": "with a big file"},
        files=[
            ("files", ("small.txt", b"ok", "text/plain")),
            ("files", ("big.bin", b"x" * (1024 * 1024 + 1), "application/octet-stream")),
        ],
    )
    assert response.status_code == 413
    assert "1 MB" in response.json()["error"]["message"]
    assert _stored_files() == []
    with unit_of_work() as session:
        assert session.exec(select(Note).where(Note.lead_id == lead.id)).all() == []


def test_a_body_declared_too_big_is_refused_before_it_is_read(client: TestClient) -> None:
    tenant = make_tenant()
    lead = make_lead(tenant)
    response = client.post(
        f"/api/v1/leads/{lead.id}/notes",
        headers={
            **headers_for(tenant),
            "Content-Length": str(10**10),
            "Content-Type": "multipart/form-data; boundary=x",
        },
        content=b"--x--",
    )
    assert response.status_code == 413


def test_more_files_than_the_limit_get_a_clear_message(client: TestClient) -> None:
    tenant = make_tenant()
    lead = make_lead(tenant)
    files = [("files", (f"f{i}.txt", b"x", "text/plain")) for i in range(11)]
    response = client.post(
        f"/api/v1/leads/{lead.id}/notes", headers=headers_for(tenant), files=files
    )
    assert response.status_code == 422 and "at most 10 files" in response.json()["error"]["message"]
    assert _stored_files() == []


def test_executables_are_refused(client: TestClient) -> None:
    tenant = make_tenant()
    lead = make_lead(tenant)
    response = client.post(
        f"/api/v1/leads/{lead.id}/notes",
        headers=headers_for(tenant),
        files=[("files", ("invoice.pdf", b"MZ\x90\x00" + b"\x00" * 64, "application/pdf"))],
    )
    assert response.status_code == 422 and response.json()["error"]["code"] == "invalid"
    assert _stored_files() == []


@pytest.mark.parametrize(
    "raw,shown",
    [
        ("../../etc/passwd", "passwd"),
        ("bad\x00name.txt", "bad%00name.txt"),  # the client percent-encodes NUL; no NUL reaches us
        ("x" * 1000 + ".txt", "x" * 146 + ".txt"),
    ],
)
def test_dangerous_names_are_sanitised_and_stored_under_generated_keys(
    client: TestClient, raw: str, shown: str
) -> None:
    tenant = make_tenant()
    lead = make_lead(tenant)
    response = client.post(
        f"/api/v1/leads/{lead.id}/notes",
        headers=headers_for(tenant),
        files=[("files", (raw, b"text", "text/plain"))],
    )
    assert response.status_code == 201
    assert response.json()["attachments"][0]["name"] == shown
    # Stored names are generated hex keys under the root, never the uploaded name (hex
    # keys may well contain "bad", so compare whole names, not substrings).
    stored = [Path(path) for path in _stored_files()]
    assert stored and all(path.is_relative_to(storage.root()) for path in stored)
    assert not any(
        path.name in {"passwd", shown, raw[:40]} or "name" in path.name or ".." in path.parts
        for path in stored
    )


def test_download_supports_range_and_safe_headers(client: TestClient) -> None:
    tenant = make_tenant()
    lead = make_lead(tenant)
    data = bytes(range(256)) * 4
    note = client.post(
        f"/api/v1/leads/{lead.id}/notes",
        headers=headers_for(tenant),
        files=[("files", ("דוח רבעוני.pdf", b"%PDF-1.7\n" + data, "application/pdf"))],
    ).json()
    url = note["attachments"][0]["download_url"]
    auth = headers_for(tenant, "agent")
    whole = client.get(url, headers=auth)
    assert whole.status_code == 200 and whole.content == b"%PDF-1.7\n" + data
    assert whole.headers["x-content-type-options"] == "nosniff"
    assert whole.headers["content-type"] == "application/pdf"
    disposition = whole.headers["content-disposition"]
    assert (
        disposition.startswith("inline;") and "filename*=UTF-8''%D7%93%D7%95%D7%97" in disposition
    )
    part = client.get(url, headers={**auth, "Range": "bytes=9-18"})
    assert part.status_code == 206 and part.content == data[:10]
    assert part.headers["content-range"] == f"bytes 9-18/{len(data) + 9}"


@pytest.mark.parametrize(
    "name,data",
    [
        ("page.html", b"<html><script>alert(1)</script></html>"),
        ("logo.svg", b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>"),
        ("app.js", b"alert(document.cookie)"),
    ],
)
def test_html_svg_and_scripts_are_never_served_inline(
    client: TestClient, name: str, data: bytes
) -> None:
    tenant = make_tenant()
    lead = make_lead(tenant)
    note = client.post(
        f"/api/v1/leads/{lead.id}/notes",
        headers=headers_for(tenant),
        files=[("files", (name, data, "text/html"))],
    ).json()
    response = client.get(note["attachments"][0]["download_url"], headers=headers_for(tenant))
    assert response.headers["content-disposition"].startswith("attachment;")
    assert response.headers["content-type"] in (
        "application/octet-stream",
        "text/plain; charset=utf-8",
    )
    assert "sandbox" in response.headers["content-security-policy"]


def test_another_business_file_and_note_are_404(client: TestClient) -> None:
    tenant, other = make_tenant(), make_tenant()
    lead = make_lead(tenant)
    note = client.post(
        f"/api/v1/leads/{lead.id}/notes",
        headers=headers_for(tenant),
        data={"text": "סוד"},
        files=[("files", ("a.txt", b"secret", "text/plain"))],
    ).json()
    foreign = headers_for(other)
    assert client.get(note["attachments"][0]["download_url"], headers=foreign).status_code == 404
    assert client.get(f"/api/v1/leads/{lead.id}/notes", headers=foreign).status_code == 404
    assert (
        client.patch(f"/api/v1/notes/{note['id']}", data={"text": "x"}, headers=foreign).status_code
        == 404
    )
    assert client.delete(f"/api/v1/notes/{note['id']}", headers=foreign).status_code == 404
    assert client.get(note["attachments"][0]["download_url"]).status_code == 401


def test_patch_adds_and_removes_files_and_delete_removes_bytes(client: TestClient) -> None:
    tenant = make_tenant()
    lead = make_lead(tenant)
    auth = headers_for(tenant)
    note = client.post(
        f"/api/v1/leads/{lead.id}/notes",
        headers=auth,
        files=[("files", ("one.txt", b"1", "text/plain"))],
    ).json()
    first = note["attachments"][0]["id"]
    patched = client.patch(
        f"/api/v1/notes/{note['id']}",
        headers=auth,
        data={"text": "עם שני קבצים", "remove": [first], "base_version": str(note["version"])},
        files=[("files", ("two.txt", b"2", "text/plain"))],
    ).json()
    assert patched["text"] == "עם שני קבצים" and [a["name"] for a in patched["attachments"]] == [
        "two.txt"
    ]
    assert len(_stored_files()) == 1  # one.txt's bytes went after the commit
    assert client.delete(f"/api/v1/notes/{note['id']}", headers=auth).status_code == 204
    assert _stored_files() == []


def test_stale_text_edit_is_a_409(client: TestClient) -> None:
    tenant = make_tenant()
    lead = make_lead(tenant)
    auth = headers_for(tenant)
    note = client.post(f"/api/v1/leads/{lead.id}/notes", headers=auth, data={"text": "v1"}).json()
    client.patch(
        f"/api/v1/notes/{note['id']}", headers=auth, data={"text": "v2", "base_version": "1"}
    )
    stale = client.patch(
        f"/api/v1/notes/{note['id']}", headers=auth, data={"text": "v1b", "base_version": "1"}
    )
    assert stale.status_code == 409


def test_a_draft_file_is_served_to_its_uploader_only(client: TestClient) -> None:
    tenant, other = make_tenant(), make_tenant()
    lead = make_lead(tenant)
    assert lead.id is not None
    agent = tenant.principal(Role.AGENT)
    with attachments.written_files() as written, unit_of_work() as session:
        written.append(attachments.store([PNG], raw_name="draft.png", uploaded_by=agent.user_id))
        note_drafts.add_files(session, principal=agent, lead_id=lead.id, files=written)
    url = f"/api/v1/files/{written[0]['id']}"
    mine = client.get(url, headers=headers_for(tenant, "agent"))
    assert mine.status_code == 200 and mine.content == PNG
    assert mine.headers["content-type"] == "image/png"
    assert client.get(url, headers=headers_for(tenant, "admin")).status_code == 404
    assert client.get(url, headers=headers_for(other, "agent")).status_code == 404
    assert client.get(url).status_code == 401
