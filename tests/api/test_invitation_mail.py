"""``POST /api/v1/users`` e-mails the invitation when SMTP is set up, and says so."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from tests.api.conftest import headers_for
from tests.factories import make_tenant, unique_email
from tests.smtp import Inbox, smtp_server


@pytest.fixture
def inbox(monkeypatch: pytest.MonkeyPatch) -> Iterator[Inbox]:
    with smtp_server(monkeypatch) as received:
        yield received


def test_an_invitation_by_api_is_e_mailed(client: TestClient, inbox: Inbox) -> None:
    tenant = make_tenant(name="Garage Levi")
    email = unique_email("by-api")
    answer = client.post(
        "/api/v1/users",
        json={"email": email, "name": "Avi", "locale": "en"},
        headers=headers_for(tenant),
    )
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert body["emailed"] == "sent"
    [(recipients, message)] = inbox.messages
    assert recipients == [email] and message["Subject"] == "Your account at Garage Levi"
    assert body["link"] in message.get_content()


def test_without_smtp_the_answer_says_it_was_not_e_mailed(client: TestClient) -> None:
    answer = client.post(
        "/api/v1/users", json={"email": unique_email()}, headers=headers_for(make_tenant())
    )
    assert answer.status_code == 201 and answer.json()["emailed"] == "off"
