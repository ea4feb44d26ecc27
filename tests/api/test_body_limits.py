"""Body limits hold while a body streams, and the API checks credentials before it reads one.

These run the real backend under uvicorn in a thread and stream chunked bodies
over a socket, as an attacker would. The server's TMPDIR (where multipart
files are spooled) is a directory of the test's, watched while the body
streams: what it holds is what a disk-filling client would achieve.
"""

from __future__ import annotations

import os
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from sqlmodel import select
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Mount, Route
from starlette.types import Receive, Scope, Send

from crm_app.api.server import create_backend
from crm_app.db import unit_of_work
from crm_app.models import Note, UserSession
from crm_app.services import storage
from crm_app.settings import reload_settings
from tests.api.chunked import MIB, filler, post_chunked
from tests.api.conftest import headers_for
from tests.conftest import Database
from tests.factories import PASSWORD, make_lead, make_tenant
from voice_bridge.testing.serving import serve_in_thread

ATTACK = 300 * MIB
LIMIT = 3 * MIB  # MAX_UPLOAD_MB=1 x MAX_FILES_PER_NOTE=2, plus 1 MiB for the multipart framing
BUFFERS = 32 * MIB  # far more than the sockets' buffers between the client and the app
BOUNDARY = "attack"
FILE_PART = (
    f"--{BOUNDARY}\r\n"
    'Content-Disposition: form-data; name="files"; filename="big.bin"\r\n'
    "Content-Type: application/octet-stream\r\n\r\n"
).encode()
MULTIPART = {"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def wait_until(condition: Callable[[], bool], timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not true within {timeout}s")
        time.sleep(0.005)


class Spool:
    """The server's TMPDIR and the most it has held at once."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.peak = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def held(self) -> int:
        """Bytes in files under the directory, named or not (tempfile's are unnamed on Linux)."""
        sizes: dict[int, int] = {}
        for fd in os.listdir("/proc/self/fd"):
            link = f"/proc/self/fd/{fd}"
            try:
                if os.readlink(link).startswith(f"{self.directory}/"):
                    st = os.stat(link)
                    sizes[st.st_ino] = st.st_size
            except OSError:  # closed meanwhile
                continue
        for path in self.directory.rglob("*"):
            if path.is_file():
                st = path.stat()
                sizes[st.st_ino] = st.st_size
        return sum(sizes.values())

    def sample(self) -> int:
        """What the directory holds now (and the peak, updated)."""
        held = self.held()
        with self._lock:
            self.peak = max(self.peak, held)
        return held

    def _watch(self) -> None:
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(0.001)

    def __enter__(self) -> Spool:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()


@pytest.fixture
def spool(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Spool]:
    directory = (tmp_path / "spool").resolve()
    directory.mkdir()
    # The server runs in this process: tempfile's directory is its TMPDIR.
    monkeypatch.setattr(tempfile, "tempdir", str(directory))
    with Spool(directory) as watched:
        yield watched


@pytest.fixture
def small_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MAX_UPLOAD_MB", "1")
    monkeypatch.setenv("MAX_FILES_PER_NOTE", "2")
    reload_settings()


def _with_reflex_stand_in(backend: Starlette) -> Starlette:
    """Mount a stand-in for Reflex at "", as Reflex mounts itself into the backend.

    Its ``/_upload`` parses the multipart form, as Reflex's does.
    """

    async def upload(request: Request) -> JSONResponse:
        form = await request.form()
        return JSONResponse({"fields": len(form)})

    async def echo(scope: Scope, receive: Receive, send: Send) -> None:
        """Answers while it reads: the 413 comes too late for this one."""
        await send({"type": "http.response.start", "status": 200, "headers": []})
        while (await receive()).get("more_body"):
            await send({"type": "http.response.body", "body": b".", "more_body": True})
        await send({"type": "http.response.body", "body": b""})

    routes = [Route("/_upload", upload, methods=["POST"]), Mount("/echo", echo)]
    backend.mount("", Starlette(routes=routes))
    return backend


@pytest.fixture
def server(db: Database, small_limits: None) -> Iterator[str]:
    with serve_in_thread(_with_reflex_stand_in(create_backend())) as url:
        yield url


def _nothing_stored(lead_id: int) -> None:
    assert [p for p in storage.root().rglob("*") if p.is_file()] == []
    with unit_of_work() as session:
        assert session.exec(select(Note).where(Note.lead_id == lead_id)).all() == []


def _sessions() -> int:
    with unit_of_work() as session:
        return len(session.exec(select(UserSession)).all())


def _attack_body(after: Callable[[int], None] | None = None) -> Iterator[bytes]:
    yield FILE_PART
    yield from filler(ATTACK, after=after)


def test_anonymous_chunked_upload_is_refused_before_a_byte_is_spooled(
    server: str, spool: Spool
) -> None:
    lead = make_lead(make_tenant())
    answer = post_chunked(server, f"/api/v1/leads/{lead.id}/notes", _attack_body(), MULTIPART)
    assert answer.status == 401
    assert answer.json()["error"]["code"] == "unauthenticated"
    assert answer.pulled < BUFFERS
    assert spool.peak == 0
    _nothing_stored(lead.id)  # type: ignore[arg-type]


def test_authenticated_chunked_upload_stops_at_the_limit(server: str, spool: Spool) -> None:
    tenant = make_tenant()
    lead = make_lead(tenant)

    def once_two_mib_are_sent(sent: int) -> None:
        if sent == 2 * MIB:  # the server spools the file part where the test is looking
            wait_until(lambda: spool.sample() > MIB)

    answer = post_chunked(
        server,
        f"/api/v1/leads/{lead.id}/notes",
        _attack_body(after=once_two_mib_are_sent),
        {**MULTIPART, **headers_for(tenant)},
    )
    assert answer.status == 413
    assert answer.json()["error"]["code"] == "too_large"
    assert answer.json()["error"]["message"]
    assert MIB < spool.peak <= LIMIT
    assert answer.pulled < BUFFERS
    wait_until(lambda: spool.held() == 0)  # the partial file is gone
    _nothing_stored(lead.id)  # type: ignore[arg-type]


def test_reflex_upload_route_stops_at_the_limit(server: str, spool: Spool) -> None:
    answer = post_chunked(server, "/_upload", _attack_body(), MULTIPART)
    assert answer.status == 413
    assert answer.json()["error"]["code"] == "too_large"
    assert spool.peak <= LIMIT
    assert answer.pulled < BUFFERS
    wait_until(lambda: spool.held() == 0)


@pytest.mark.parametrize("path", ["/auth/login", "/twilio/status"])
def test_oversized_chunked_form_is_a_413(server: str, spool: Spool, path: str) -> None:
    sessions = _sessions()
    body = [b"email=", *filler(MIB)]
    answer = post_chunked(server, path, body, FORM)
    assert answer.status == 413
    assert answer.json()["error"]["code"] == "too_large"
    assert spool.peak == 0
    assert _sessions() == sessions


@pytest.mark.parametrize("path", ["/auth/login", "/auth/logout", "/twilio/voice"])
def test_multipart_to_a_form_route_is_a_415(server: str, spool: Spool, path: str) -> None:
    tenant = make_tenant()
    response = httpx.post(
        server + path,
        data={"email": tenant.owner.email, "password": "x"},
        files={"f": ("a.bin", b"x" * 1024, "application/octet-stream")},
    )
    assert response.status_code == 415
    assert response.json()["error"]["code"] == "unsupported_media_type"
    assert spool.peak == 0


def test_a_response_under_way_is_cut_off_when_the_body_passes_the_limit(server: str) -> None:
    with pytest.raises(ConnectionError, match="without an answer"):
        post_chunked(server, "/echo/", filler(16 * MIB))


def test_a_small_form_still_signs_in(server: str) -> None:
    tenant = make_tenant()
    response = httpx.post(
        server + "/auth/login",
        data={"email": tenant.owner.email, "password": PASSWORD},
    )
    assert response.status_code == 303
    assert response.headers["set-cookie"].startswith("crm_session=")
