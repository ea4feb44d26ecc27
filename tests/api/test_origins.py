"""Only our origins (``PUBLIC_BASE_URL``'s and ``ALLOWED_ORIGINS``) get credentialed answers.

CORS is Reflex's: it adds Starlette's CORSMiddleware, configured from
``rxconfig.py``, to the backend it mounts itself into and to its top-level app.
The ``served`` client wraps the backend exactly that way.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from reflex.app import App
from reflex.config import reload_config
from sqlmodel import select
from starlette.applications import Starlette
from starlette.testclient import TestClient

from crm_app.api.server import create_backend
from crm_app.db import unit_of_work
from crm_app.models import User, UserSession
from crm_app.services import auth
from crm_app.settings import reload_settings
from tests.api.conftest import bearer, login
from tests.conftest import ROOT, Database
from tests.factories import PASSWORD, make_tenant

OURS = "https://crm.test"  # PUBLIC_BASE_URL's origin in the tests
EXTRA = "https://app.crm.test"  # ALLOWED_ORIGINS
FOREIGN = "https://evil.example"
ALLOWED = [OURS, EXTRA]
REFUSED = [FOREIGN, "null"]


@pytest.fixture(autouse=True)
def _extra_origin(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALLOWED_ORIGINS", EXTRA)
    reload_settings()


@pytest.fixture
def served(db: Database, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    """The backend as Reflex serves it, with Reflex's CORS from ``rxconfig.py``."""
    monkeypatch.chdir(ROOT)
    reload_config()  # rxconfig.py, read under this test's settings
    backend = create_backend()
    App._add_cors(backend)  # what Reflex does to the app it mounts itself into
    top = Starlette()
    top.mount("", backend)
    App._add_cors(top)  # and to its own top-level app
    with TestClient(top, base_url=OURS, follow_redirects=False) as client:
        yield client


def _preflight(client: TestClient, origin: str) -> dict[str, str]:
    response = client.options(
        "/api/v1/leads",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type",
        },
    )
    return {"status": str(response.status_code), **response.headers}


@pytest.mark.parametrize("origin", ALLOWED)
def test_preflight_from_our_origins_allows_credentials(served: TestClient, origin: str) -> None:
    answer = _preflight(served, origin)
    assert answer["status"] == "200"
    assert answer["access-control-allow-origin"] == origin
    assert answer["access-control-allow-credentials"] == "true"


@pytest.mark.parametrize("origin", REFUSED)
def test_preflight_from_a_foreign_origin_is_refused(served: TestClient, origin: str) -> None:
    answer = _preflight(served, origin)
    assert answer["status"] == "400"
    assert "access-control-allow-origin" not in answer


@pytest.mark.parametrize("origin", ALLOWED)
def test_credentialed_read_is_shared_with_our_origins(served: TestClient, origin: str) -> None:
    tenant = make_tenant()
    response = served.get("/api/v1/me", headers={**bearer(tenant.owner), "Origin": origin})
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == origin
    assert response.headers["access-control-allow-credentials"] == "true"


@pytest.mark.parametrize("origin", REFUSED)
def test_credentialed_read_is_not_shared_with_a_foreign_origin(
    served: TestClient, origin: str
) -> None:
    tenant = make_tenant()
    login(served, tenant.owner)
    response = served.get("/api/v1/me", headers={"Origin": origin})
    assert response.status_code == 200  # answered, but the browser keeps it from the page
    assert "access-control-allow-origin" not in response.headers


def _sessions(user: User) -> int:
    with unit_of_work() as session:
        return len(session.exec(select(UserSession).where(UserSession.user_id == user.id)).all())


def _origin(origin: str | None) -> dict[str, str]:
    return {} if origin is None else {"Origin": origin}


@pytest.mark.parametrize("origin", [*ALLOWED, None])
def test_login_from_our_origins_or_without_origin_signs_in(
    client: TestClient, origin: str | None
) -> None:
    tenant = make_tenant()
    response = client.post(
        "/auth/login",
        data={"email": tenant.owner.email, "password": PASSWORD},
        headers=_origin(origin),
    )
    assert response.status_code == 303 and response.headers["location"] == "/leads"
    assert response.headers["set-cookie"].startswith(f"{auth.SESSION_COOKIE}=")
    assert _sessions(tenant.owner) == 1


@pytest.mark.parametrize("origin", REFUSED)
def test_login_from_a_foreign_origin_is_refused_and_opens_no_session(
    client: TestClient, origin: str
) -> None:
    tenant = make_tenant()
    response = client.post(
        "/auth/login",
        data={"email": tenant.owner.email, "password": PASSWORD},
        headers={"Origin": origin},
    )
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"
    assert "set-cookie" not in response.headers
    assert _sessions(tenant.owner) == 0
    assert client.get("/api/v1/me").status_code == 401


@pytest.mark.parametrize("origin", [*ALLOWED, None])
def test_logout_from_our_origins_or_without_origin_ends_the_session(
    client: TestClient, origin: str | None
) -> None:
    tenant = make_tenant()
    login(client, tenant.owner)
    cookie = client.cookies[auth.SESSION_COOKIE]
    response = client.post("/auth/logout", headers=_origin(origin))
    assert response.status_code == 303 and response.headers["location"] == "/login"
    assert 'crm_session=""' in response.headers["set-cookie"]
    assert _sessions(tenant.owner) == 0
    client.cookies.set(auth.SESSION_COOKIE, cookie)  # the old cookie no longer works
    assert client.get("/api/v1/me").status_code == 401


@pytest.mark.parametrize("origin", REFUSED)
def test_logout_from_a_foreign_origin_is_refused_and_keeps_the_session(
    client: TestClient, origin: str
) -> None:
    tenant = make_tenant()
    login(client, tenant.owner)
    response = client.post("/auth/logout", headers={"Origin": origin})
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"
    assert "set-cookie" not in response.headers
    assert _sessions(tenant.owner) == 1
    assert client.get("/api/v1/me").status_code == 200


@pytest.mark.parametrize("origin", REFUSED)
def test_cookie_write_from_a_foreign_origin_is_refused(client: TestClient, origin: str) -> None:
    tenant = make_tenant()
    login(client, tenant.owner)
    response = client.post(
        "/api/v1/leads", json={"phone": "0521234567"}, headers={"Origin": origin}
    )
    assert response.status_code == 403
    response = client.post("/api/v1/leads", json={"phone": "0521234567"}, headers={"Origin": EXTRA})
    assert response.status_code == 201
