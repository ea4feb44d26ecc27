"""The sign-in page's state: where it sends the visitor next, and what its message may say."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from crm_app.state.login import LoginState
from tests.conftest import Database
from tests.factories import make_tenant
from tests.state.conftest import session_cookie, state_for

OFF_SITE = [
    "/\\evil.example",
    "//evil.example",
    "/\t/evil.example",
    "/\n/evil.example",
    "https://evil.example/",
    "javascript:alert(1)",
    "/leads//evil.example",
    "/leads\x00",
]


@pytest.mark.parametrize("target", OFF_SITE)
async def test_the_sign_in_form_never_carries_a_next_a_browser_reads_as_another_site(
    db: Database, target: str
) -> None:
    state = await state_for(LoginState, path=f"/login?next={quote(target)}")
    state.load()
    assert state.next_path == "/leads"


async def test_the_sign_in_form_keeps_a_next_on_this_site(db: Database) -> None:
    state = await state_for(LoginState, path=f"/login?next={quote('/leads/7?tab=notes')}")
    state.load()
    assert state.next_path == "/leads/7?tab=notes"


@pytest.mark.parametrize("target", ["/\\evil.example", "//evil.example"])
async def test_a_signed_in_visitor_is_not_sent_off_site(db: Database, target: str) -> None:
    tenant = make_tenant()
    cookie = session_cookie(tenant.owner)
    state = await state_for(LoginState, path=f"/login?next={quote(target)}", cookie=cookie)
    redirect = state.load()
    assert redirect is not None
    assert "evil" not in str(redirect) and "/leads" in str(redirect)


async def test_a_signed_in_visitor_goes_where_they_were_going(db: Database) -> None:
    tenant = make_tenant()
    cookie = session_cookie(tenant.owner)
    state = await state_for(LoginState, path="/login?next=%2Fcalls", cookie=cookie)
    assert "/calls" in str(state.load())


async def test_the_throttled_message_shows_a_whole_number_of_minutes(db: Database) -> None:
    state = await state_for(LoginState, path="/login?error=throttled&minutes=15")
    state.load()
    assert "15" in state.error


@pytest.mark.parametrize(
    "minutes",
    ["5 minutes. Call +1-800-555-0100 to unlock", "-3", "0", "99999999", "1e3", "١٥", "15 "],
)
async def test_the_throttled_message_never_prints_other_minutes_text(
    db: Database, minutes: str
) -> None:
    state = await state_for(LoginState, path=f"/login?error=throttled&minutes={quote(minutes)}")
    state.load()
    assert state.error != ""
    assert minutes.strip() not in state.error and "800" not in state.error
    assert "{minutes}" not in state.error
