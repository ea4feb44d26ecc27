"""Notes benchmark: saving a note with 5 x 1 MB files, and rendering a busy Notes tab.

1. p50/p95 of ``POST /api/v1/leads/{id}/notes`` with five 1 MB files through a
   real HTTP server (uvicorn, its own process), against the floor measured in
   the same run: writing the same bytes to disk with fsync.
2. Server time of the Notes tab's handler for a lead with 500 notes and 1,000
   attachments (database read and formatting), and the size of its state.

Run: ``python -m bench notes``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from bench.common import ensure_database, listening_socket, serve_inherited
from crm_app.db import build_engine, unit_of_work, use_engine
from crm_app.migrate import upgrade_to_head
from crm_app.models import Note
from crm_app.services import auth
from tests.factories import PASSWORD, Tenant, make_lead, make_tenant

FILES, SIZE, RUNS = 5, 1024 * 1024, 30


def p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20)[-1]


def fsync_floor(payloads: list[bytes], directory: Path) -> list[float]:
    """Write each file with fsync, and the directory: what any durable save must pay."""
    samples = []
    for _ in range(RUNS):
        start = time.perf_counter()
        for data in payloads:
            path = directory / secrets.token_hex(8)
            with path.open("wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
        fd = os.open(directory, os.O_RDONLY)
        os.fsync(fd)
        os.close(fd)
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def api_saves(url: str, token: str, lead_id: int, payloads: list[bytes]) -> list[float]:
    files = [
        ("files", (f"scan-{i}.pdf", data, "application/pdf")) for i, data in enumerate(payloads)
    ]
    samples = []
    with httpx.Client(
        base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=60
    ) as client:
        client.post(f"/api/v1/leads/{lead_id}/notes", data={"text": "warm-up"}, files=files)
        for i in range(RUNS):
            start = time.perf_counter()
            response = client.post(
                f"/api/v1/leads/{lead_id}/notes", data={"text": f"n{i}"}, files=files
            )
            samples.append((time.perf_counter() - start) * 1000)
            assert response.status_code == 201, response.text
    return samples


def start_server(database_url: str, storage: Path, sock: socket.socket) -> subprocess.Popen[bytes]:
    """The API in a process of its own, serving the socket this process bound."""
    env = {**os.environ, "DATABASE_URL": database_url, "STORAGE_DIR": str(storage)}
    fd = sock.fileno()
    process = subprocess.Popen(
        [sys.executable, "-m", "bench.notes", "serve", str(fd)], env=env, pass_fds=(fd,)
    )
    port = sock.getsockname()[1]
    for _ in range(100):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=1).status_code == 200:
                return process
        except httpx.HTTPError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("the API server did not start")


def busy_lead(tenant_principal: auth.Principal, lead_id: int) -> None:
    """500 notes, every other one with 4 small files: 1,000 attachments."""
    from crm_app.models import utcnow

    with unit_of_work() as session:
        for i in range(500):
            files = [
                {
                    "id": secrets.token_hex(16),
                    "name": f"file-{i}-{j}.pdf",
                    "size": 1000 + j,
                    "content_type": "application/pdf",
                    "sha256": "0" * 64,
                    "key": f"notes/xx/{i}-{j}.bin",
                    "uploaded_by": tenant_principal.user_id,
                    "uploaded_at": utcnow().isoformat(),
                }
                for j in range(4 if i % 2 else 0)
            ]
            session.add(
                Note(
                    business_id=tenant_principal.business_id,
                    lead_id=lead_id,
                    author_id=tenant_principal.user_id,
                    text=f"הערה מספר {i} " * 5,
                    attachments=files,
                )
            )


async def notes_tab_time(
    principal: auth.Principal, lead_id: int, cookie: str
) -> tuple[list[float], list[float], int]:
    """The page's two on_load steps, then the Files tab, each behind the session guard."""
    os.environ.setdefault("PYTEST_CURRENT_TEST", "bench")  # lets a State be built outside Reflex
    from crm_app.state.notes import NotesState
    from tests.state.conftest import guarded, state_for

    async def handle(state: Any, handler: str, *args: str) -> None:
        assert await guarded(state, handler) is None
        getattr(state, handler)(*args)

    samples, files_tab, size = [], [], 0
    for _ in range(RUNS):
        state: Any = await state_for(NotesState, path=f"/leads/{lead_id}", cookie=cookie)
        start = time.perf_counter()
        await handle(state, "load")
        await handle(state, "load_notes")
        samples.append((time.perf_counter() - start) * 1000)
        size = len(json.dumps({"notes": state.note_rows, "timeline": state.timeline}, default=str))
        start = time.perf_counter()
        await handle(state, "open_tab", "files")
        files_tab.append((time.perf_counter() - start) * 1000)
    return samples, files_tab, size


def run() -> None:
    url = ensure_database("crm_bench_notes", fresh=True)
    engine = build_engine(url)
    use_engine(engine)
    upgrade_to_head(engine)
    tenant = make_tenant()
    lead = leads_for(tenant)
    payloads = [os.urandom(SIZE) for _ in range(FILES)]
    with tempfile.TemporaryDirectory() as tmp:
        sock = listening_socket()
        port = sock.getsockname()[1]
        server = start_server(url, Path(tmp) / "files", sock)
        try:
            with unit_of_work() as session:
                token = auth.create_api_token(session, user=tenant.agent, name="bench")
            saves = api_saves(f"http://127.0.0.1:{port}", token, lead[0], payloads)
        finally:
            server.terminate()
            server.wait(10)
            sock.close()
        floor = fsync_floor(payloads, Path(tmp))
    print(f"\n== note with {FILES} x 1 MB files, {RUNS} saves through the API (Postgres), ms")
    print(f"API save      p50 {statistics.median(saves):7.1f}  p95 {p95(saves):7.1f}")
    print(f"fsync floor   p50 {statistics.median(floor):7.1f}  p95 {p95(floor):7.1f}")
    print(
        f"ratio         p50 {statistics.median(saves) / statistics.median(floor):.2f} x floor"
        f"  p95 {p95(saves) / p95(floor):.2f} x floor"
    )
    principal = tenant.principal()
    busy_lead(principal, lead[1])
    _, cookie_token = auth.sign_in(email=tenant.agent.email, password=PASSWORD, ip="127.0.0.1")
    cookie = f"{auth.SESSION_COOKIE}={cookie_token}"
    tab, files, size = asyncio.run(notes_tab_time(principal, lead[1], cookie))
    print(f"\n== lead page with 500 notes and 1,000 attachments ({RUNS} loads)")
    print(
        f"page + Notes tab (50 newest notes, timeline)  p50 {statistics.median(tab):.1f} ms"
        f"  p95 {p95(tab):.1f} ms; state {size / 1024:.0f} KB"
    )
    print(
        f"Files tab (all 1,000 files)                   p50 {statistics.median(files):.1f} ms"
        f"  p95 {p95(files):.1f} ms"
    )
    engine.dispose()


def leads_for(tenant: Tenant) -> tuple[int, int]:
    """One lead to save notes on, one to fill with 500 notes."""
    first, second = make_lead(tenant).id, make_lead(tenant).id
    assert first is not None and second is not None
    return first, second


def main(argv: list[str] | None = None) -> None:
    argparse.ArgumentParser(prog="python -m bench notes").parse_args(argv)
    run()


if __name__ == "__main__":
    if sys.argv[1:2] == ["serve"]:
        from crm_app.api.server import create_backend

        serve_inherited(create_backend(), int(sys.argv[2]))
    else:
        main()
