from __future__ import annotations

from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from crm_app.api.server import create_backend
from crm_app.db import unit_of_work
from crm_app.models import User
from crm_app.services import auth
from tests.conftest import Database
from tests.factories import PASSWORD, Tenant


@pytest.fixture
def client(db: Database) -> Iterator[TestClient]:
    with TestClient(create_backend(), base_url="https://crm.test", follow_redirects=False) as c:
        yield c


def login(client: TestClient, user: User) -> None:
    response = client.post("/auth/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/leads"


def bearer(user: User) -> dict[str, str]:
    with unit_of_work() as session:
        token = auth.create_api_token(session, user=user, name="tests")
    return {"Authorization": f"Bearer {token}"}


def headers_for(tenant: Tenant, role: str = "owner") -> dict[str, str]:
    return bearer({"owner": tenant.owner, "admin": tenant.admin, "agent": tenant.agent}[role])
