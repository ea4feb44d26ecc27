"""The API tokens and audit log sections: shown once, revoked, who did what; roles and tenancy."""

from __future__ import annotations

from datetime import timedelta

from crm_app.db import unit_of_work
from crm_app.models import AuditEvent, User
from crm_app.services import api_tokens, auth
from crm_app.state.audit_log import AuditLogState, describe
from crm_app.state.tokens import TokensState
from tests.conftest import Database
from tests.factories import make_tenant
from tests.state.conftest import session_cookie, state_for
from tests.state.test_team_state import FORBIDDEN, run, team_of


async def tokens_of(user: User) -> TokensState:
    state = await state_for(
        TokensState, path="/settings?section=tokens", cookie=session_cookie(user)
    )
    await run(state, "load")
    return state


async def audit_of(user: User) -> AuditLogState:
    state = await state_for(
        AuditLogState, path="/settings?section=audit", cookie=session_cookie(user)
    )
    await run(state, "load")
    return state


def _works(secret: str) -> bool:
    with unit_of_work() as session:
        return auth.resolve_api_token(session, secret) is not None


async def test_a_token_is_shown_once_listed_and_revoked(db: Database) -> None:
    tenant = make_tenant()
    tokens = await tokens_of(tenant.admin)
    assert tokens.tokens == []
    await run(tokens, "create", {"name": "  "})
    assert tokens.token_error == "יש לתת לטוקן שם." and tokens.new_token == ""
    await run(tokens, "create", {"name": "Zapier"})
    secret = tokens.new_token
    assert tokens.new_token_name == "Zapier" and _works(secret)
    [row] = tokens.tokens
    assert row.name == "Zapier" and secret.startswith(row.prefix) and secret != row.prefix
    assert row.creator == tenant.admin.name and row.created and row.last_used == ""
    assert row.revoked == ""

    await run(tokens, "load")  # coming back to the section: the secret is gone for good
    assert tokens.new_token == "" and [t.name for t in tokens.tokens] == ["Zapier"]

    await run(tokens, "revoke", row.id)
    assert tokens.token_error == "" and tokens.tokens[0].revoked != ""
    assert not _works(secret)


async def test_agents_are_refused_the_tokens_section(db: Database) -> None:
    tenant = make_tenant()
    with unit_of_work() as session:
        _, secret = api_tokens.create_token(
            session, principal=tenant.principal(), name="the owner's"
        )
    own_id = _token_id(secret)
    tokens = await tokens_of(tenant.agent)
    assert tokens.tokens == [] and tokens.token_error == FORBIDDEN
    await run(tokens, "create", {"name": "mine"})
    assert tokens.token_error == FORBIDDEN and tokens.new_token == ""
    tokens.token_error = ""
    await run(tokens, "revoke", own_id)
    assert tokens.token_error == FORBIDDEN and _works(secret)


def _token_id(secret: str) -> int:
    with unit_of_work() as session:
        principal = auth.resolve_api_token(session, secret)
        assert principal is not None
        views = api_tokens.list_tokens(session, principal=principal)
    return next(v.id for v in views if secret.startswith(v.prefix))


async def test_another_business_token_is_not_found(db: Database) -> None:
    mine, theirs = make_tenant(), make_tenant()
    with unit_of_work() as session:
        _, secret = api_tokens.create_token(session, principal=theirs.principal(), name="theirs")
    tokens = await tokens_of(mine.owner)
    await run(tokens, "revoke", _token_id(secret))
    assert tokens.token_error == "הטוקן הזה לא קיים." and _works(secret)


async def test_the_audit_log_shows_who_did_what_and_filters(db: Database) -> None:
    tenant = make_tenant()
    tokens = await tokens_of(tenant.owner)
    await run(tokens, "create", {"name": "Make.com"})
    team = await team_of(tenant.owner)
    await run(team, "change_role", tenant.agent.id, "admin")

    log = await audit_of(tenant.owner)
    actions = [e.action for e in log.events]
    assert [a for a in actions if a != "auth.sign_in"] == ["user.role", "token.create"]
    assert actions.count("auth.sign_in") == 3  # each tab above signed in
    role_change = next(e for e in log.events if e.action == "user.role")
    assert role_change.who == tenant.owner.name and role_change.label == "שינוי תפקיד"
    assert role_change.what == "קודם: נציג · חדש: מנהל" and role_change.when
    assert {u.value for u in log.users} == {
        str(tenant.owner.id),
        str(tenant.admin.id),
        str(tenant.agent.id),
    }

    await run(log, "filter_action", "token.create")
    assert [(e.label, e.what) for e in log.events] == [
        ("יצירת טוקן API", f"שם: Make.com · תחילית: {tokens.tokens[0].prefix}")
    ]
    await run(log, "filter_action", "all")
    await run(log, "filter_actor", str(tenant.admin.id))
    assert log.events == []
    await run(log, "clear_filters")
    tomorrow = (tenant.business.created_at + timedelta(days=2)).date().isoformat()
    await run(log, "filter_from", tomorrow)
    assert log.events == []
    await run(log, "filter_from", "not a date")
    assert log.audit_error.startswith("יש להקליד תאריך כמו 28/11/2026")
    year, month, day = tomorrow.split("-")
    await run(log, "filter_from", f"{day}/{month}/{year}")  # as the tables show days
    assert log.events == [] and log.date_from == tomorrow


async def test_the_audit_log_pages_by_keyset(db: Database) -> None:
    tenant = make_tenant()
    with unit_of_work() as session:
        for n in range(30):
            api_tokens.create_token(session, principal=tenant.principal(), name=f"t{n}")
    log = await audit_of(tenant.admin)
    await run(log, "filter_action", "token.create")
    first = [e.what for e in log.events]
    assert len(first) == 25 and first[0].startswith("שם: t29") and log.next_cursor
    await run(log, "next_page")
    second = [e.what for e in log.events]
    assert len(second) == 5 and second[-1].startswith("שם: t0 ") and log.next_cursor == ""
    await run(log, "prev_page")
    assert [e.what for e in log.events] == first and log.earlier == []


async def test_agents_are_refused_the_audit_log(db: Database) -> None:
    tenant = make_tenant()
    log = await audit_of(tenant.agent)
    assert log.events == [] and log.users == [] and log.audit_error == FORBIDDEN
    await run(log, "filter_action", "auth.sign_in")
    assert log.events == [] and log.audit_error == FORBIDDEN


def test_details_read_on_one_line_in_the_users_language() -> None:
    event = AuditEvent(
        business_id=1,
        action="agent.update",
        entity="agent_revision",
        entity_id=3,
        details={"changed": ["greeting", "voice"], "revision": 3, "empty": None},
    )
    assert describe(event, "en") == "changed: Greeting, Voice · revision: 3"
    assert describe(event, "he") == "שונו: פתיח, קול · גרסה: 3"
    role = AuditEvent(business_id=1, action="user.role", details={"from": "agent", "to": "admin"})
    assert describe(role, "en") == "from: Agent · to: Admin"
    status = AuditEvent(business_id=1, action="lead.status", details={"to": "won", "ai": True})
    assert describe(status, "he") == "על ידי הסוכן הקולי: כן · חדש: won"
    bare = AuditEvent(business_id=1, action="auth.sign_out", entity="user", entity_id=7)
    assert describe(bare, "en") == "user #7" and describe(bare, "he") == "משתמש #7"


def test_a_business_change_reads_as_before_and_after() -> None:
    event = AuditEvent(
        business_id=1,
        action="business.update",
        details={
            "changed": {
                "name": ["Old", "New"],
                "business_hours": [{}, {"fri": [["08:00", "12:00"], ["16:00", "19:00"]]}],
            }
        },
    )
    assert describe(event, "en") == (
        "opening hours: ∅ → Friday 08:00–12:00, 16:00–19:00 · name: Old → New"
    )
    assert describe(event, "he") == "שעות פעילות: ∅ → שישי 08:00–12:00, 16:00–19:00 · שם: Old → New"
