"""Browser sign-in, the session cookie, bearer tokens and the JSON error shape."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from crm_app.api.server import create_backend
from crm_app.settings import reload_settings
from tests.api.conftest import bearer, login
from tests.conftest import Database
from tests.factories import PASSWORD, make_tenant


def test_health_reports_database_and_migrations(client: TestClient) -> None:
    response = client.get("/api/v1/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "migrations": "at_head"}


def test_api_without_credentials_is_401_with_a_json_error(client: TestClient) -> None:
    response = client.get("/api/v1/me")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthenticated"
    assert response.json()["error"]["message"]


def test_bearer_token_authenticates_the_api(client: TestClient) -> None:
    tenant = make_tenant()
    response = client.get("/api/v1/me", headers=bearer(tenant.admin))
    assert response.status_code == 200
    assert response.json()["business_id"] == tenant.id
    assert response.json()["role"] == "admin"
    assert (
        client.get("/api/v1/me", headers={"Authorization": "Bearer crm_forged"}).status_code == 401
    )


def test_login_sets_an_httponly_lax_secure_session_cookie(client: TestClient) -> None:
    tenant = make_tenant()
    response = client.post(
        "/auth/login", data={"email": tenant.owner.email, "password": PASSWORD, "next": "/leads/12"}
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/leads/12"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("crm_session=")
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" in cookie
    me = client.get("/api/v1/me")
    assert me.status_code == 200 and me.json()["email"] == tenant.owner.email


def test_cookie_is_not_secure_on_plain_http(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PUBLIC_BASE_URL", "http://localhost:3000")
    reload_settings()
    tenant = make_tenant()
    with TestClient(create_backend(), follow_redirects=False) as client:
        response = client.post(
            "/auth/login", data={"email": tenant.owner.email, "password": PASSWORD}
        )
    assert "Secure" not in response.headers["set-cookie"]


def test_wrong_password_goes_back_to_login_with_an_error(client: TestClient) -> None:
    tenant = make_tenant()
    response = client.post("/auth/login", data={"email": tenant.owner.email, "password": "nope"})
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?error=invalid")
    assert "set-cookie" not in response.headers


def test_sixth_attempt_is_throttled_with_a_clear_message(client: TestClient) -> None:
    tenant = make_tenant()
    for _ in range(5):
        client.post("/auth/login", data={"email": tenant.owner.email, "password": "nope"})
    response = client.post("/auth/login", data={"email": tenant.owner.email, "password": PASSWORD})
    assert "error=throttled" in response.headers["location"]
    assert "minutes=15" in response.headers["location"]


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example/x",
        "https://evil.example",
        "/login?x=1",
        "\\\\evil",
        "/\\evil.example",
        "/\t/evil.example",
        "/leads\r\nSet-Cookie: a=b",
        "/leads//evil.example",
    ],
)
def test_login_never_redirects_off_site(client: TestClient, target: str) -> None:
    tenant = make_tenant()
    response = client.post(
        "/auth/login", data={"email": tenant.owner.email, "password": PASSWORD, "next": target}
    )
    assert response.headers["location"] == "/leads"


@pytest.mark.parametrize(
    ("referer", "location"),
    [
        ("http://testserver/login?next=%2Fleads%2F7%3Ftab%3Dnotes", "/leads/7?tab=notes"),
        ("http://testserver/login?next=%2F%2Fevil.example", "/leads"),
        ("http://testserver/calls?next=%2Fsettings", "/leads"),  # not the login page
    ],
)
def test_a_form_posted_before_the_page_loaded_goes_where_its_login_url_said(
    client: TestClient, referer: str, location: str
) -> None:
    tenant = make_tenant()
    response = client.post(
        "/auth/login",
        data={"email": tenant.owner.email, "password": PASSWORD, "next": ""},
        headers={"Referer": referer},
    )
    assert response.status_code == 303 and response.headers["location"] == location


def test_logout_ends_the_session_on_the_server(client: TestClient) -> None:
    tenant = make_tenant()
    login(client, tenant.agent)
    stolen = client.cookies.get("crm_session")
    response = client.post("/auth/logout")
    assert response.status_code == 303 and response.headers["location"] == "/login"
    client.cookies.set("crm_session", stolen or "", domain="crm.test")
    assert client.get("/api/v1/me").status_code == 401


def test_nothing_is_served_under_public_upload_path(client: TestClient) -> None:
    assert client.get("/_upload/anything.txt").status_code == 404
    assert client.get("/_upload/../crm.db").status_code == 404


def test_openapi_document_is_published(client: TestClient) -> None:
    document = client.get("/api/v1/openapi.json").json()
    assert document["openapi"].startswith("3.")
    assert "/me" in document["paths"]
