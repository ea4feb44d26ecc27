"""``python -m crm_app``: accounts and tokens from the command line."""

from __future__ import annotations

import io
import os
import subprocess
import sys

import pytest
from sqlmodel import select
from starlette.testclient import TestClient

from crm_app.__main__ import main
from crm_app.api.server import create_backend
from crm_app.db import unit_of_work
from crm_app.models import Business, Role, User
from crm_app.services.auth import sign_in
from tests.conftest import ROOT, Database
from tests.factories import make_tenant, unique_email, unique_landline

NEW_PASSWORD = "a-long-enough-password"


def run(
    argv: list[str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    stdin: str = "",
) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_create_owner_reads_the_password_from_stdin_and_prints_the_business_id(
    db: Database, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    email = unique_email("owner")
    code, out, _ = run(
        [
            "create-owner",
            "--business",
            "מספרה",
            "--phone",
            unique_landline(),
            "--email",
            email,
            "--locale",
            "en",
        ],
        monkeypatch,
        capsys,
        NEW_PASSWORD + "\n",
    )
    assert code == 0
    business_id = int(out.strip().splitlines()[-1])
    with unit_of_work() as session:
        business = session.get(Business, business_id)
        owner = session.exec(select(User).where(User.email == email)).one()
    assert business is not None and business.name == "מספרה"
    assert owner.role == Role.OWNER and owner.locale == "en" and owner.business_id == business_id
    principal, _ = sign_in(email=email, password=NEW_PASSWORD, ip="127.0.0.9")
    assert principal.business_id == business_id


def test_create_owner_refuses_a_short_password(
    db: Database, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(
        [
            "create-owner",
            "--business",
            "x",
            "--phone",
            unique_landline(),
            "--email",
            unique_email(),
        ],
        monkeypatch,
        capsys,
        "short\n",
    )
    assert code == 1 and "at least 10" in err


def test_create_user_adds_to_the_managers_business(
    db: Database, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    tenant = make_tenant()
    email = unique_email("agent")
    code, _, _ = run(
        ["create-user", "--email", tenant.owner.email, "--new-email", email, "--role", "agent"],
        monkeypatch,
        capsys,
        NEW_PASSWORD + "\n",
    )
    assert code == 0
    with unit_of_work() as session:
        user = session.exec(select(User).where(User.email == email)).one()
    assert user.business_id == tenant.id and user.role == Role.AGENT


def test_agents_cannot_create_users(
    db: Database, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    tenant = make_tenant()
    code, _, err = run(
        [
            "create-user",
            "--email",
            tenant.agent.email,
            "--new-email",
            unique_email(),
            "--role",
            "agent",
        ],
        monkeypatch,
        capsys,
        NEW_PASSWORD + "\n",
    )
    assert code == 1 and "not an owner or admin" in err


def test_create_api_token_prints_a_working_token_on_the_last_line(
    db: Database, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    tenant = make_tenant()
    code, out, _ = run(
        ["create-api-token", "--email", tenant.admin.email, "--name", "ci"], monkeypatch, capsys
    )
    assert code == 0
    token = out.strip().splitlines()[-1]
    with TestClient(create_backend(), base_url="https://crm.test") as client:
        response = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200 and response.json()["business_id"] == tenant.id


def test_revoke_api_token_stops_the_token_named_by_its_prefix(
    db: Database, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    tenant = make_tenant()
    _, out, _ = run(["create-api-token", "--email", tenant.admin.email], monkeypatch, capsys)
    token = out.strip().splitlines()[-1]
    prefix = token[: len("crm_") + 6]
    code, out, _ = run(["revoke-api-token", "--prefix", prefix], monkeypatch, capsys)
    assert code == 0 and f"revoked {prefix}" in out
    with TestClient(create_backend(), base_url="https://crm.test") as client:
        response = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401
    code, _, err = run(["revoke-api-token", "--prefix", "crm_nosuch"], monkeypatch, capsys)
    assert code == 1 and "0 tokens" in err


def test_cli_runs_as_a_module_against_the_configured_database(db: Database) -> None:
    env = {**os.environ, "DATABASE_URL": db.url}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "crm_app",
            "create-owner",
            "--business",
            "Module Test",
            "--phone",
            unique_landline(),
            "--email",
            unique_email(),
        ],
        input=NEW_PASSWORD + "\n",
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    with unit_of_work() as session:
        assert session.get(Business, int(result.stdout.strip().splitlines()[-1])) is not None
