"""The steps after the summary: read the lead's fields, fill it, ask for a callback, alert.

``extract`` asks the summary model for the fields the business collects
(structured output, validated); ``fill`` writes them on the lead by the
no-overwrite rule of :mod:`crm_app.services.lead_fill`; ``callback`` gives
the lead's owner (or the business's default assignee) a "call back" task when
the caller asked for one or did not get what they called for, due when they
asked, moved into the business's opening hours; ``alert`` tells the business's
managers and the lead's owner of a new lead or a missed call.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, func, select

from crm_app.db import unit_of_work
from crm_app.i18n import translate
from crm_app.jobs import extraction
from crm_app.jobs.errors import StepSkipped, say
from crm_app.jobs.run import Done, Run
from crm_app.models import AlertKind, Call, CallDirection, Lead, LeadSource, Task, utcnow
from crm_app.services import agent, alert_mail, lead_fields, lead_fill, notifications, tasks
from crm_app.services.agent_time import OpeningHours

CALL_FACTS = ("wants_callback", "resolved", "callback_time")


def extract(run: Run, call: Call) -> Done:
    """Read the lead's fields out of the transcript."""
    if not call.transcript:
        raise StepSkipped(say("pipeline.nothing_said"))
    business = run.business(call)
    with unit_of_work(read_only=True) as session:
        fields = lead_fields.list_fields(session, business_id=call.business_id)
    questions = extraction.questions_for(business.collect_fields or agent.DEFAULT_COLLECT, fields)
    started = (call.started_at or call.created_at).astimezone(ZoneInfo(business.timezone))
    values = extraction.extract(run.config, run.facts(call), questions, started)
    found = sum(1 for k, v in values.items() if k not in CALL_FACTS and v not in (None, ""))
    return Done(say("pipeline.extracted", count=found), {"extracted": values})


def _locked_lead(session: Session, lead_id: int) -> Lead:
    lead = session.exec(select(Lead).where(col(Lead.id) == lead_id).with_for_update()).first()
    if lead is None:
        raise StepSkipped(say("pipeline.lead_deleted"))
    return lead


def fill(run: Run, call: Call) -> Done:
    """Write what was read on the lead, keeping what people entered."""
    if call.lead_id is None:
        raise StepSkipped(say("pipeline.not_a_lead"))
    values = {k: v for k, v in call.extracted.items() if k not in CALL_FACTS}
    if not any(v not in (None, "") for v in values.values()):
        raise StepSkipped(say("pipeline.nothing_to_fill"))
    assert call.id is not None
    with unit_of_work() as session:
        lead = _locked_lead(session, call.lead_id)
        result = lead_fill.fill_from_call(session, lead=lead, values=values, call_id=call.id)
    return Done(say("pipeline.filled", filled=len(result.filled), suggested=len(result.suggested)))


def needs_callback(call: Call) -> bool:
    """An inbound caller who asked to be called back, did not get what they wanted, or hung up."""
    if call.direction != CallDirection.INBOUND.value:
        return False
    if not call.transcript:
        return True  # missed or abandoned before anything was said
    facts: dict[str, Any] = call.extracted
    return bool(facts.get("wants_callback")) or facts.get("resolved") is False


def callback_due(
    requested: Any, *, now: datetime, timezone: str, opening: OpeningHours
) -> datetime:
    """When to call back: the asked-for local time (not in the past), within opening hours.

    When the business is closed for the rest of the day the caller asked for,
    their time of day is kept on the next day it is open, if it is open then;
    otherwise (and when they asked for nothing) it is due when the business opens.
    """
    zone = ZoneInfo(timezone)
    local_now = now.astimezone(zone)
    wanted, asked_for = local_now, False
    if isinstance(requested, str) and requested.strip():
        try:
            asked = datetime.fromisoformat(requested.strip())
        except ValueError:
            asked = local_now
        asked = asked.replace(tzinfo=zone) if asked.tzinfo is None else asked.astimezone(zone)
        wanted, asked_for = max(asked, local_now), asked > local_now
    first = opening.at_or_after(wanted)
    if not asked_for or first.date() == wanted.date():
        return first
    same_time = datetime.combine(first.date(), wanted.time(), tzinfo=zone)
    return same_time if same_time > first and opening.is_open(same_time) else first


def callback(run: Run, call: Call) -> Done:
    """A "call back" task for the lead's owner, when the call needs one."""
    if call.lead_id is None:
        raise StepSkipped(say("pipeline.not_a_lead"))
    if not needs_callback(call):
        raise StepSkipped(say("pipeline.no_callback_needed"))
    business = run.business(call)
    due = callback_due(
        call.extracted.get("callback_time"),
        now=utcnow(),
        timezone=business.timezone,
        opening=OpeningHours.of(business.business_hours, business.closed_dates),
    )
    assert call.id is not None
    with unit_of_work() as session:
        lead = _locked_lead(session, call.lead_id)
        who = lead.name or lead.phone_e164
        task = tasks.create_callback(
            session,
            lead=lead,
            call_id=call.id,
            due_at=due,
            title=translate("tasks.callback_title", business.locale, name=who),
            details=lead.reason or call.summary[:500],
        )
    if task is None:
        raise StepSkipped(say("pipeline.callback_exists"))
    return Done(say("pipeline.callback_task", when=f"{due:%Y-%m-%d %H:%M}"))


def _alert_kinds(session: Session, call: Call, lead: Lead) -> list[AlertKind]:
    kinds = []
    earlier = session.exec(
        select(func.count())
        .select_from(Call)
        .where(col(Call.lead_id) == lead.id, col(Call.id) < (call.id or 0))
    ).one()
    if lead.source == LeadSource.PHONE_AI.value and earlier == 0:
        kinds.append(AlertKind.NEW_LEAD)
    if call.direction == CallDirection.INBOUND.value and not call.transcript:
        kinds.append(AlertKind.MISSED_CALL)
    return kinds


def alert(run: Run, call: Call) -> Done:
    """Tell the managers and the lead's owner of a new lead or a missed call.

    The callback task's assignee hears of the task when not among them, or when
    there is nothing else to say (a known caller who asked to be called back).
    """
    if call.lead_id is None:
        raise StepSkipped(say("pipeline.not_a_lead"))
    with unit_of_work() as session:
        lead = _locked_lead(session, call.lead_id)
        kinds = _alert_kinds(session, call, lead)
        people = notifications.managers(session, call.business_id) | (
            {lead.owner_id} if lead.owner_id else set()
        )
        made = [
            n
            for kind in kinds
            for n in notifications.notify(
                session,
                business_id=call.business_id,
                user_ids=people,
                kind=kind,
                data=notifications.about_lead(lead, call_id=call.id),
            )
        ]
        task = session.exec(
            select(Task).where(col(Task.call_id) == call.id, col(Task.kind) == "callback")
        ).first()
        if task is not None and (task.assignee_id not in people or not kinds):
            made += tasks.tell_assignee(session, None, task)
    if not made:
        raise StepSkipped(say("pipeline.no_alert"))
    alert_mail.send_pending()  # a failed send waits for the minute's job
    return Done(say("pipeline.alerted", count=len(made)))
