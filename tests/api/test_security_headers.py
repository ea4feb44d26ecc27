"""No response of the server can be framed, sniffed, or leak our URLs in a Referer."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from crm_app.api.server import create_backend
from tests.api.conftest import headers_for, login
from tests.conftest import Database
from tests.factories import make_lead, make_tenant

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _frame_proof(headers: Mapping[str, str]) -> None:
    assert headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "same-origin"


@pytest.fixture
def with_pages(db: Database) -> Iterator[TestClient]:
    """The backend with a stand-in for Reflex's pages, mounted at "" as Reflex mounts itself."""

    async def page(_: Request) -> HTMLResponse:
        return HTMLResponse("<!doctype html><title>Sign in</title>")

    backend = create_backend()
    backend.mount("", Starlette(routes=[Route("/login", page)]))
    with TestClient(backend, base_url="https://crm.test", follow_redirects=False) as client:
        yield client


def test_pages_cannot_be_framed(with_pages: TestClient) -> None:
    response = with_pages.get("/login")
    assert response.status_code == 200 and "Sign in" in response.text
    _frame_proof(response.headers)


def test_api_answers_cannot_be_framed(with_pages: TestClient) -> None:
    _frame_proof(with_pages.get("/api/v1/health").headers)
    _frame_proof(with_pages.get("/api/v1/me").headers)  # a 401
    _frame_proof(with_pages.post("/api/v1/leads", json={}).headers)  # refused before the body
    _frame_proof(with_pages.get("/nowhere").headers)  # a 404


def test_sign_in_redirect_cannot_be_framed(with_pages: TestClient) -> None:
    tenant = make_tenant()
    login(with_pages, tenant.owner)
    _frame_proof(with_pages.post("/auth/logout").headers)


def test_a_download_keeps_its_sandbox_and_cannot_be_framed(client: TestClient) -> None:
    tenant = make_tenant()
    lead = make_lead(tenant)
    auth = headers_for(tenant)
    note = client.post(
        f"/api/v1/leads/{lead.id}/notes",
        headers=auth,
        files=[("files", ("a.png", PNG, "image/png"))],
    ).json()
    response = client.get(note["attachments"][0]["download_url"], headers=auth)
    assert response.status_code == 200 and response.content == PNG
    _frame_proof(response.headers)
    policy = response.headers["content-security-policy"]
    assert policy.startswith("sandbox; default-src 'none'")
