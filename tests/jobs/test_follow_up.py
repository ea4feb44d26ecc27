"""After the summary: lead fields read from the call, the no-overwrite rule, the callback task."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from openai.types.shared_params import ResponseFormatJSONSchema
from pydantic import TypeAdapter
from sqlmodel import col, select

from crm_app.db import unit_of_work
from crm_app.jobs.follow_up import callback_due
from crm_app.jobs.pipeline import run_pipeline
from crm_app.models import Business, Lead, LeadFieldKind, Role, Task
from crm_app.services import business_settings, lead_fields, lead_fill, leads
from crm_app.services.agent_time import OpeningHours
from crm_app.services.business_settings import Assignee, BusinessChanges
from crm_app.services.call_pipeline import step_states
from crm_app.services.slots import DEFAULT_HOURS
from tests.factories import Tenant, make_lead
from tests.jobs.conftest import Outside, finished_call, load

ZONE = ZoneInfo("Asia/Jerusalem")


def add_field(tenant: Tenant, label: str, kind: str = "text", choices: tuple[str, ...] = ()) -> str:
    with unit_of_work() as session:
        field = lead_fields.create_field(
            session,
            principal=tenant.principal(Role.OWNER),
            new=lead_fields.FieldInput(label_en=label, kind=kind, choices=choices),
        )
        return field.key


def read_lead(lead_id: int | None) -> Lead:
    with unit_of_work(read_only=True) as session:
        found = session.get(Lead, lead_id)
        assert found is not None
        return found


def callback_tasks(call_id: int) -> list[Task]:
    with unit_of_work(read_only=True) as session:
        return list(session.exec(select(Task).where(col(Task.call_id) == call_id)))


def ask_for(tenant: Tenant, *keys: str) -> None:
    with unit_of_work() as session:
        business = session.get(Business, tenant.id)
        assert business is not None
        business.collect_fields = [{"key": key} for key in keys]
        session.add(business)


def test_a_call_fills_the_fields_the_business_collects_from_structured_output(
    tenant: Tenant, outside: Outside
) -> None:
    ask_for(tenant, "name", "reason", "urgency", "callback_time")
    car = add_field(tenant, "Car model")
    visits = add_field(tenant, "Visits", kind="number")
    lead = make_lead(tenant, name="")
    outside.openai.extraction = {
        "name": "דנה לוי",
        "reason": "בדיקה שנתית",
        "urgency": "high",
        car: "Mazda 3",
        visits: 2,
        "resolved": True,
    }
    call_id = finished_call(tenant, lead, recording_status="absent")

    assert run_pipeline(call_id, config=outside.config) == "done"

    filled = read_lead(lead.id)
    assert (filled.name, filled.reason, filled.urgency) == ("דנה לוי", "בדיקה שנתית", "high")
    assert filled.custom_fields == {car: "Mazda 3", visits: 2}
    assert set(filled.ai_filled) == {"name", "reason", "urgency", car, visits}
    states = step_states(load(call_id))
    assert (states["extract"], states["fill"], states["callback"]) == ("done", "done", "skipped")
    # Asked in strict JSON-schema mode, with the business's own fields by their kinds.
    request = outside.openai.chats[-1]["response_format"]
    TypeAdapter(ResponseFormatJSONSchema).validate_python(request)
    properties = request["json_schema"]["schema"]["properties"]
    assert properties[visits]["type"] == ["number", "null"]
    assert properties["urgency"]["enum"] == ["low", "normal", "high", None]
    assert "city" not in properties  # not a question this business asks
    assert request["json_schema"]["strict"] is True


@pytest.mark.parametrize(
    "answer", ['{"name": "Dana"}', "not json", '{"name": 5, "wants_callback": true}']
)
def test_an_answer_that_does_not_fit_the_schema_fails_the_step_and_changes_nothing(
    tenant: Tenant, outside: Outside, answer: str
) -> None:
    lead = make_lead(tenant, name="")
    call_id = finished_call(tenant, lead, recording_status="absent")
    outside.openai.chat_content = answer  # the summary fails too: it is not the JSON asked for

    assert run_pipeline(call_id, config=outside.config) == "failed"

    call = load(call_id)
    assert step_states(call)["extract"] == "failed"
    assert "did not match the lead form" in call.pipeline["steps"]["extract"]["message"]
    assert call.extracted == {} and read_lead(lead.id).name == ""
    assert step_states(call)["fill"] == "skipped"


def test_a_value_a_person_entered_is_kept_and_the_ai_one_is_a_suggestion(
    tenant: Tenant, outside: Outside
) -> None:
    lead = make_lead(tenant, name="")
    with unit_of_work() as session:
        leads.update_lead(
            session,
            principal=tenant.principal(Role.AGENT),
            lead_id=lead.id or 0,
            changes=leads.LeadChanges(name="דנה כהן"),
        )
    outside.openai.extraction = {"name": "דנה לוי", "reason": "תור", "resolved": True}
    first = finished_call(tenant, lead, recording_status="absent")
    assert run_pipeline(first, config=outside.config) == "done"

    after = read_lead(lead.id)
    assert after.name == "דנה כהן" and after.reason == "תור"
    assert after.suggestions == {"name": {"value": "דנה לוי", "call_id": first}}

    # A later call may correct what the AI filled, never what the person typed.
    outside.openai.extraction = {"name": "דנה לוינסון", "reason": "ביטול תור", "resolved": True}
    second = finished_call(tenant, lead, recording_status="absent")
    assert run_pipeline(second, config=outside.config) == "done"
    after = read_lead(lead.id)
    assert after.name == "דנה כהן" and after.reason == "ביטול תור"
    assert after.suggestions["name"]["value"] == "דנה לוינסון"

    with unit_of_work() as session:
        lead_fill.resolve_suggestion(
            session, principal=tenant.principal(Role.AGENT), lead_id=lead.id or 0, key="name",
            accept=True,
        )  # fmt: skip
    accepted = read_lead(lead.id)
    assert accepted.name == "דנה לוינסון" and accepted.suggestions == {}
    assert "name" not in accepted.ai_filled  # accepted by a person: theirs now


def test_a_caller_who_asks_to_be_called_back_gets_a_task_for_the_leads_owner(
    tenant: Tenant, outside: Outside
) -> None:
    lead = make_lead(tenant, name="", owner_id=tenant.agent.id)
    monday = _next_weekday(0)  # the default hours: Sunday to Thursday, 09:00-17:00
    asked = f"{monday:%Y-%m-%d}T10:30"
    outside.openai.extraction = {
        "name": "אבי",
        "reason": "הצעת מחיר",
        "wants_callback": True,
        "callback_time": asked,
    }
    call_id = finished_call(tenant, lead, recording_status="absent")

    assert run_pipeline(call_id, config=outside.config) == "done"
    assert run_pipeline(call_id, config=outside.config) == "done"  # a repeat adds nothing

    [task] = callback_tasks(call_id)
    assert task.kind == "callback" and task.state == "open"
    assert task.assignee_id == tenant.agent.id and task.lead_id == lead.id
    assert task.due_at.astimezone(ZONE) == datetime.fromisoformat(asked).replace(tzinfo=ZONE)
    assert task.title == "לחזור אל אבי" and task.details == "הצעת מחיר"


def test_a_caller_left_without_what_they_wanted_gets_a_task_for_an_owner_when_unowned(
    tenant: Tenant, outside: Outside
) -> None:
    lead = make_lead(tenant, name="")
    outside.openai.extraction = {"resolved": False}
    call_id = finished_call(tenant, lead, recording_status="absent")

    assert run_pipeline(call_id, config=outside.config) == "done"

    [task] = callback_tasks(call_id)
    assert task.assignee_id == tenant.owner.id
    local = task.due_at.astimezone(ZONE)
    assert OpeningHours.of(DEFAULT_HOURS, []).is_open(local)


def test_the_callback_of_an_unowned_lead_goes_to_the_business_s_chosen_assignee(
    tenant: Tenant, outside: Outside
) -> None:
    with unit_of_work() as session:
        business_settings.update_business(
            session,
            principal=tenant.principal(Role.OWNER),
            changes=BusinessChanges(default_assignee=Assignee(tenant.agent.id)),
        )
    lead = make_lead(tenant, name="")
    outside.openai.extraction = {"wants_callback": True}
    call_id = finished_call(tenant, lead, recording_status="absent")

    assert run_pipeline(call_id, config=outside.config) == "done"

    [task] = callback_tasks(call_id)
    assert task.assignee_id == tenant.agent.id


def test_the_callback_is_moved_past_a_closed_day_to_the_next_opening() -> None:
    opening = OpeningHours.of(DEFAULT_HOURS, ["2026-12-06"])  # a Sunday, closed for a holiday
    thursday_evening = datetime(2026, 12, 3, 16, 0, tzinfo=ZONE)

    # Asked for Friday 10:00: the business is closed Friday, Saturday and that Sunday, so
    # the caller is called at 10:00 on Monday, the next day it opens.
    due = callback_due(
        "2026-12-04T10:00", now=thursday_evening, timezone="Asia/Jerusalem", opening=opening
    )
    assert due == datetime(2026, 12, 7, 10, 0, tzinfo=ZONE)
    # Asked for Friday 19:00, when it is never open: Monday at opening time.
    evening = callback_due(
        "2026-12-04T19:00", now=thursday_evening, timezone="Asia/Jerusalem", opening=opening
    )
    assert evening == datetime(2026, 12, 7, 9, 0, tzinfo=ZONE)
    # Asked for a time already past: as soon as the business is open.
    past = callback_due(
        "2026-12-01T10:00", now=thursday_evening, timezone="Asia/Jerusalem", opening=opening
    )
    assert past == thursday_evening
    # Nothing (or nonsense) asked: now, moved into the hours.
    late = datetime(2026, 12, 3, 20, 0, tzinfo=ZONE).astimezone(UTC)
    assert callback_due(None, now=late, timezone="Asia/Jerusalem", opening=opening) == datetime(
        2026, 12, 7, 9, 0, tzinfo=ZONE
    )
    assert callback_due("soon", now=late, timezone="Asia/Jerusalem", opening=opening).day == 7


def test_a_choice_field_refuses_a_value_outside_its_list(tenant: Tenant) -> None:
    key = add_field(tenant, "Branch", kind=LeadFieldKind.CHOICE.value, choices=("North", "South"))
    lead = make_lead(tenant)
    with unit_of_work() as session:
        result = lead_fill.fill_from_call(
            session, lead=session.get(Lead, lead.id), values={key: "East"}, call_id=1
        )
    assert result.filled == () and read_lead(lead.id).custom_fields == {}


def _next_weekday(weekday: int) -> datetime:
    day = datetime.now(ZONE) + timedelta(days=1)
    while day.weekday() != weekday:
        day += timedelta(days=1)
    return day
