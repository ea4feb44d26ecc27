"""Alerts: who hears of a call, a due task or an assignment; the mail a real SMTP server gets."""

from __future__ import annotations

import email.policy
from collections.abc import Iterator
from datetime import timedelta
from email.parser import BytesParser
from pathlib import Path

import pytest
from sqlmodel import col, select

from crm_app.db import unit_of_work
from crm_app.jobs.pipeline import run_pipeline
from crm_app.models import Lead, LeadSource, Notification, Role, Task, User, utcnow
from crm_app.services import alert_mail, leads, notifications, tasks
from crm_app.settings import reload_settings
from tests.factories import Tenant, make_lead
from tests.jobs.conftest import Outside, finished_call
from tests.smtp import Inbox, free_port, smtp_server


@pytest.fixture
def inbox(monkeypatch: pytest.MonkeyPatch) -> Iterator[Inbox]:
    with smtp_server(monkeypatch) as received:
        yield received


def give_to_agent(tenant: Tenant, lead: Lead) -> None:
    """The owner gives the lead to the agent (who is alerted)."""
    with unit_of_work() as session:
        leads.update_lead(
            session,
            principal=tenant.principal(Role.OWNER),
            lead_id=lead.id or 0,
            changes=leads.LeadChanges(owner_id=tenant.agent.id),
        )


def alerts_of(user: User) -> list[Notification]:
    with unit_of_work(read_only=True) as session:
        query = select(Notification).where(col(Notification.user_id) == user.id)
        return list(session.exec(query.order_by(col(Notification.id))))


def test_a_new_callers_missed_call_alerts_the_managers_by_bell_and_by_mail(
    tenant: Tenant, outside: Outside, inbox: Inbox
) -> None:
    lead = make_lead(tenant, name="", source=LeadSource.PHONE_AI)
    call_id = finished_call(tenant, lead, recording_status="absent", realtime=[])

    assert run_pipeline(call_id, config=outside.config) == "done"

    for manager in (tenant.owner, tenant.admin):
        assert [(a.kind, a.data["call_id"]) for a in alerts_of(manager)] == [
            ("new_lead", call_id),
            ("missed_call", call_id),
        ]
    assert alerts_of(tenant.agent) == []  # not theirs: the lead has no owner
    with unit_of_work(read_only=True) as session:
        assert notifications.bell(session, user_id=tenant.owner.id or 0).unread == 2
    ours = {tenant.owner.email, tenant.admin.email, tenant.agent.email}
    mine = [(to, m) for to, m in inbox.messages if to[0] in ours]  # others' alerts wait too
    received = {(to[0], m["Subject"]) for to, m in mine}
    phone = lead.phone_e164
    assert received == {
        (user.email, subject)
        for user in (tenant.owner, tenant.admin)
        for subject in (f"ליד חדש משיחה: {phone}", f"שיחה שלא נענתה מ-{phone}")
    }
    body = mine[0][1].get_content()
    assert f"/leads/{lead.id}" in body or f"/calls/{call_id}" in body
    assert {a.email_state for a in alerts_of(tenant.owner)} == {"sent"}

    assert run_pipeline(call_id, config=outside.config) == "done"  # a rerun alerts nobody again
    again = [to for to, _ in inbox.messages if to[0] in ours]
    assert len(alerts_of(tenant.owner)) == 2 and len(again) == 4


def test_a_user_gets_only_the_mails_they_chose_and_the_bell_still_shows_the_rest(
    tenant: Tenant, outside: Outside, inbox: Inbox
) -> None:
    with unit_of_work() as session:
        owner = session.get(User, tenant.owner.id)
        assert owner is not None
        owner.email_alerts = ["missed_call"]
        session.add(owner)
    lead = make_lead(tenant, name="", source=LeadSource.PHONE_AI)
    call_id = finished_call(tenant, lead, recording_status="absent", realtime=[])

    assert run_pipeline(call_id, config=outside.config) == "done"

    assert {(a.kind, a.email_state) for a in alerts_of(tenant.owner)} == {
        ("new_lead", "skipped"),
        ("missed_call", "sent"),
    }
    assert [m["Subject"] for to, m in inbox.messages if to == [tenant.owner.email]] == [
        f"שיחה שלא נענתה מ-{lead.phone_e164}"
    ]


def test_mail_that_cannot_be_sent_waits_and_goes_out_when_the_server_is_back(
    tenant: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SMTP_URL", f"smtp://127.0.0.1:{free_port()}")  # nobody listens
    reload_settings()
    lead = make_lead(tenant, name="דנה")
    give_to_agent(tenant, lead)
    assert alert_mail.send_pending() == 0
    [waiting] = alerts_of(tenant.agent)
    assert (waiting.kind, waiting.email_state, waiting.email_attempts) == ("assigned", "pending", 1)

    with smtp_server(monkeypatch) as inbox:
        assert alert_mail.send_pending() >= 1  # other tests' waiting alerts go out too
    assert [m["Subject"] for to, m in inbox.messages if to == [tenant.agent.email]] == [
        "ליד הועבר אליך: דנה"
    ]
    assert alerts_of(tenant.agent)[0].email_state == "sent"


def test_a_due_task_alerts_its_assignee_once_and_again_after_a_snooze(tenant: Tenant) -> None:
    with unit_of_work() as session:
        task = tasks.create_task(
            session,
            principal=tenant.principal(Role.AGENT),
            title="להתקשר לדנה",
            due_at=utcnow() + timedelta(minutes=5),
        )
        task_id = task.id or 0
    with unit_of_work() as session:
        notifications.alert_due_tasks(session)
    assert alerts_of(tenant.agent) == []  # not due yet
    later = utcnow() + timedelta(minutes=6)
    for _ in range(2):
        with unit_of_work() as session:
            notifications.alert_due_tasks(session, now=later)
    assert [(a.kind, a.data["task_id"]) for a in alerts_of(tenant.agent)] == [("task_due", task_id)]

    with unit_of_work() as session:
        tasks.update_task(
            session,
            principal=tenant.principal(Role.AGENT),
            task_id=task_id,
            changes=tasks.TaskChanges(state="snoozed", due_at=later + timedelta(hours=1)),
        )
    with unit_of_work() as session:
        notifications.alert_due_tasks(session, now=later + timedelta(hours=2))
    assert len(alerts_of(tenant.agent)) == 2


def test_assigning_tells_the_assignee_but_not_whoever_took_it_themselves(tenant: Tenant) -> None:
    lead = make_lead(tenant, name="אבי")
    with unit_of_work() as session:
        leads.bulk_assign(
            session, principal=tenant.principal(Role.AGENT), lead_ids=[lead.id or 0],
            owner_id=tenant.agent.id,
        )  # fmt: skip
        tasks.create_task(
            session,
            principal=tenant.principal(Role.OWNER),
            title="הצעת מחיר",
            due_at=utcnow() + timedelta(days=1),
            assignee_id=tenant.agent.id,
            lead_id=lead.id,
        )
    assert [a.kind for a in alerts_of(tenant.agent)] == ["assigned"]
    assert alerts_of(tenant.agent)[0].data["task_id"]
    with unit_of_work(read_only=True) as session:
        found = session.exec(select(Task).where(col(Task.lead_id) == lead.id)).one()
        assert found.assignee_id == tenant.agent.id
        assert session.get(Lead, lead.id).owner_id == tenant.agent.id  # type: ignore[union-attr]


def test_without_a_mail_server_alerts_land_in_a_local_mailbox_as_eml_files(
    tenant: Tenant, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    mailbox = tmp_path / "mail box"  # a path with a space, as a file URL spells it
    monkeypatch.setenv("SMTP_URL", mailbox.as_uri())
    reload_settings()
    lead = make_lead(tenant, name="רון")
    give_to_agent(tenant, lead)

    assert alert_mail.send_pending() >= 1
    mails = [
        BytesParser(policy=email.policy.default).parsebytes(path.read_bytes())
        for path in sorted(mailbox.glob("*.eml"))
    ]
    [mine] = [m for m in mails if m["To"] == tenant.agent.email]
    assert mine["Subject"] == "ליד הועבר אליך: רון"
    assert f"/leads/{lead.id}" in mine.get_content()  # type: ignore[attr-defined]
    assert not list(mailbox.glob(".*"))  # no half-written file is left behind
    assert alerts_of(tenant.agent)[0].email_state == "sent"


def test_a_known_caller_who_asks_to_be_called_back_tells_the_task_s_assignee(
    tenant: Tenant, outside: Outside
) -> None:
    lead = make_lead(tenant, name="רון", source=LeadSource.PHONE_AI)
    first = finished_call(tenant, lead, recording_status="absent")
    assert run_pipeline(first, config=outside.config) == "done"  # a new lead: the managers hear
    before = len(alerts_of(tenant.owner))

    outside.openai.extraction = {"wants_callback": True}
    again = finished_call(tenant, lead, recording_status="absent")
    assert run_pipeline(again, config=outside.config) == "done"

    told = alerts_of(tenant.owner)[before:]  # the unowned lead's task goes to the owner
    assert [(a.kind, a.data.get("lead_id")) for a in told] == [("assigned", lead.id)]
    assert alerts_of(tenant.admin)[-1].kind == "new_lead"  # told nothing of another's task
