"""Invitations and reset links are e-mailed through a real SMTP server (aiosmtpd) when set up."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from crm_app.services.mail import SmtpServer, parse_smtp_url
from crm_app.settings import reload_settings
from tests.conftest import Database
from tests.factories import make_tenant, unique_email
from tests.smtp import Inbox, free_port, smtp_server
from tests.state.test_team_state import run, team_of


@pytest.fixture
def inbox(monkeypatch: pytest.MonkeyPatch) -> Iterator[Inbox]:
    with smtp_server(monkeypatch) as received:
        yield received


async def test_an_invitation_is_e_mailed_with_its_link(db: Database, inbox: Inbox) -> None:
    tenant = make_tenant(name="מספרת רותי")
    team = await team_of(tenant.owner)
    email = unique_email("invited")
    form = {"name": "Dana", "email": email, "role": "agent", "locale": "en"}
    await run(team, "invite", form)
    assert team.link_mail == "sent" and team.team_error == ""

    [(recipients, message)] = inbox.messages
    assert recipients == [email] and message["To"] == email and message["From"] == "crm@crm.test"
    assert message["Subject"] == "Your account at מספרת רותי"
    body = message.get_content()
    assert team.link_url in body and "Hello Dana" in body and team.link_expires in body


async def test_a_reset_link_is_e_mailed_in_the_users_language(db: Database, inbox: Inbox) -> None:
    tenant = make_tenant()
    team = await team_of(tenant.admin)
    await run(team, "reset_password", tenant.agent.id)
    assert team.link_mail == "sent"
    [(recipients, message)] = inbox.messages
    assert recipients == [tenant.agent.email]
    assert message["Subject"].startswith("בחירת סיסמה חדשה")
    assert team.link_url in message.get_content()


async def test_an_unreachable_smtp_server_is_said_and_the_link_still_shown(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SMTP_URL", f"smtp://127.0.0.1:{free_port()}")  # nobody listens
    monkeypatch.setenv("SMTP_TIMEOUT_SECONDS", "2")
    reload_settings()
    tenant = make_tenant()
    team = await team_of(tenant.owner)
    await run(team, "invite", {"email": unique_email("unsent"), "role": "agent"})
    assert team.link_mail == "failed" and team.link_url.startswith("https://crm.test/password")


def test_smtp_urls_are_read() -> None:
    assert parse_smtp_url("smtp://mail.example.com") == SmtpServer(
        "mail.example.com", 25, False, "", ""
    )
    assert parse_smtp_url("smtps://me%40x.com:p%3Ass@mail.example.com") == SmtpServer(
        "mail.example.com", 465, True, "me@x.com", "p:ss"
    )
    assert parse_smtp_url("smtp://h:2525") == SmtpServer("h", 2525, False, "", "")
    assert parse_smtp_url("") is None and parse_smtp_url("http://mail.example.com") is None
