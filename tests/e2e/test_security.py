"""The UI's state belongs to the sign-in that loaded it, tried from outside on the real server.

A tab is its token; these tests hold on to a tab's token and come back with
another user's cookie, with none, after signing out, from a foreign Origin,
or with only the token in the URL, and check what the server sends back.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import socketio
from sqlmodel import select

from crm_app.db import unit_of_work
from crm_app.models import NoteDraft
from crm_app.state.notes import NotesState
from tests.conftest import ROOT
from tests.factories import PASSWORD, Tenant, make_lead, make_tenant
from tests.live import LiveServer
from tests.socket_tab import LEADS_LOAD, Tab, handler_name

pytestmark = pytest.mark.e2e


def cookie_of(server: LiveServer, tenant: Tenant) -> str:
    """Sign in as the browser's form does; the session cookie it sets."""
    answer = httpx.post(
        f"{server.url}/auth/login",
        data={"email": tenant.agent.email, "password": PASSWORD},
        headers={"Origin": server.url},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    return f"crm_session={answer.cookies['crm_session']}"


async def _tab_loaded_for(server: LiveServer, cookie: str, secret: str) -> Tab:
    tab = Tab(server.url)
    await tab.open("/leads", cookie=cookie)
    await tab.hydrated()
    assert secret in tab.text()  # the tab holds A's leads now
    await tab.close()
    return tab


async def test_another_users_cookie_gets_nothing_of_the_tab_it_did_not_load(
    server: LiveServer,
) -> None:
    a, b = make_tenant(), make_tenant()
    make_lead(a, name=f"סוד של א {uuid.uuid4().hex[:6]}")
    secret = make_lead(a, name=f"לקוח א {uuid.uuid4().hex[:6]}").name
    theirs = make_lead(b, name=f"לקוח ב {uuid.uuid4().hex[:6]}").name
    tab = await _tab_loaded_for(server, cookie_of(server, a), secret)

    await tab.open("/leads", cookie=cookie_of(server, b))  # same token, B's cookie
    await tab.until(lambda t: theirs in t.text())
    await tab.hydrated()
    await tab.close()
    assert secret not in tab.text() and a.agent.email not in tab.text()


async def test_no_cookie_gets_nothing_of_the_tab_and_goes_to_sign_in(server: LiveServer) -> None:
    a = make_tenant()
    secret = make_lead(a, name=f"לקוח א {uuid.uuid4().hex[:6]}").name
    tab = await _tab_loaded_for(server, cookie_of(server, a), secret)

    await tab.open("/leads")
    await tab.until(lambda t: any(p.startswith("/login") for p in t.redirects()))
    await tab.close()
    assert secret not in tab.text() and a.agent.email not in tab.text()


async def test_after_sign_out_the_tab_and_its_old_cookie_get_nothing(server: LiveServer) -> None:
    a = make_tenant()
    secret = make_lead(a, name=f"לקוח א {uuid.uuid4().hex[:6]}").name
    cookie = cookie_of(server, a)
    tab = Tab(server.url)
    await tab.open("/leads", cookie=cookie)
    await tab.hydrated()
    assert secret in tab.text()
    logout = {"Cookie": cookie, "Origin": server.url}
    await asyncio.to_thread(httpx.post, f"{server.url}/auth/logout", headers=logout)

    tab.received = []
    await tab.send(LEADS_LOAD, "/leads")  # the open socket still carries the ended session
    await tab.until(lambda t: any(p.startswith("/login") for p in t.redirects()))
    await tab.close()
    assert secret not in tab.text()
    await tab.open("/leads", cookie=cookie)  # and a reconnect with the dead cookie
    await tab.until(lambda t: any(p.startswith("/login") for p in t.redirects()))
    await tab.close()
    assert secret not in tab.text()


async def test_the_socket_refuses_a_token_that_is_only_in_its_url(server: LiveServer) -> None:
    tab = Tab(server.url)
    with pytest.raises(socketio.exceptions.ConnectionError):
        await tab.open("/login", token_in_auth=False, query=f"token={tab.token}")
    await tab.open("/login")  # the same tab, the token in its CONNECT packet
    await tab.hydrated()
    await tab.close()


async def test_the_socket_refuses_a_foreign_origin(server: LiveServer) -> None:
    with pytest.raises(socketio.exceptions.ConnectionError):
        await Tab(server.url).open("/login", origin="https://evil.example")
    tab = Tab(server.url)
    await tab.open("/login", origin=server.url)
    await tab.hydrated()
    await tab.close()


def _upload(server: LiveServer, token: str, cookie: str | None) -> httpx.Response:
    headers = {
        "Reflex-Client-Token": token,
        "Reflex-Event-Handler": handler_name(NotesState, "upload"),
        "Origin": server.url,
    }
    if cookie:
        headers["Cookie"] = cookie
    return httpx.post(
        f"{server.url}/_upload",
        headers=headers,
        files=[("files", ("scan.pdf", b"%PDF-1.4 private", "application/pdf"))],
    )


def _stored_files(server: LiveServer) -> list[Path]:
    return [p for p in server.storage_dir.rglob("*") if p.is_file()]


async def test_an_upload_with_a_tabs_token_and_no_cookie_is_refused_and_stores_nothing(
    server: LiveServer,
) -> None:
    a, b = make_tenant(), make_tenant()
    lead = make_lead(a, name="לקוח עם טיוטה")
    cookie = cookie_of(server, a)
    tab = Tab(server.url)
    await tab.open(f"/leads/{lead.id}", cookie=cookie)
    await tab.hydrated()
    await tab.close()
    before = _stored_files(server)

    assert _upload(server, tab.token, None).status_code == 401
    assert _upload(server, tab.token, cookie_of(server, b)).status_code == 403

    assert _stored_files(server) == before
    with unit_of_work() as session:
        drafts = session.exec(select(NoteDraft).where(NoteDraft.lead_id == lead.id)).all()
    assert all(d.attachments == [] for d in drafts)
    answer = _upload(server, tab.token, cookie)  # the tab's own sign-in may upload
    assert answer.status_code == 200 and "scan.pdf" in answer.text


async def test_the_server_writes_no_state_to_disk(server: LiveServer) -> None:
    tenant = make_tenant()
    secret = make_lead(tenant, name=f"לקוח {uuid.uuid4().hex[:6]}").name
    started = time.time() - 1
    await _tab_loaded_for(server, cookie_of(server, tenant), secret)
    written = [
        p
        for root in (ROOT / ".states", server.web_dir)
        if root.exists()
        for p in root.rglob("*")
        if p.is_file() and p.suffix in (".pkl", ".states") and p.stat().st_mtime >= started
    ]
    assert written == []  # Reflex's disk manager would have pickled the tab (cookie included)


def _chunks(total_mb: int, sent: list[int]) -> Iterator[bytes]:
    """A multipart body of ``total_mb`` MB, counted as the server takes it."""
    boundary = b"--crm-test-boundary\r\n"
    yield boundary + b'Content-Disposition: form-data; name="files"; filename="big.bin"\r\n\r\n'
    chunk = b"x" * (1024 * 1024)
    for _ in range(total_mb):
        sent[0] += len(chunk)
        yield chunk
    yield b"\r\n--crm-test-boundary--\r\n"


def _chunked_upload(server: LiveServer, token: str, cookie: str, sent: list[int]) -> int:
    headers = {
        "Reflex-Client-Token": token,
        "Reflex-Event-Handler": handler_name(NotesState, "upload"),
        "Content-Type": "multipart/form-data; boundary=crm-test-boundary",
        "Origin": server.url,
    }
    if cookie:
        headers["Cookie"] = cookie
    try:
        answer = httpx.post(
            f"{server.url}/_upload", headers=headers, content=_chunks(300, sent), timeout=60
        )
    except httpx.TransportError:  # the server answered and closed while the body was coming
        return 0
    return answer.status_code


def _size(directory: Path) -> int:
    return sum(p.stat().st_size for p in directory.rglob("*") if p.is_file())


async def test_an_anonymous_chunked_upload_of_300_mb_is_refused_before_its_body(
    server: LiveServer,
) -> None:
    sent = [0]
    before = _size(server.tmp_dir)
    status = await asyncio.to_thread(_chunked_upload, server, str(uuid.uuid4()), "", sent)
    assert status == 401
    assert sent[0] <= 16 * 1024 * 1024  # what the sockets' buffers took before the answer
    assert _size(server.tmp_dir) <= before  # nothing was spooled
