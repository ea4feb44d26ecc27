"""Reading a lead's fields out of a call: structured output against a schema of the business's.

The schema holds the questions the business's voice agent asks (name, reason,
city, service, urgency, when to call back), the business's own lead fields by
their kinds, and two facts about the call: whether the caller asked to be
called back, and whether they got what they called for. It is sent in the
Chat Completions API's strict ``json_schema`` mode, and the answer is
validated against the same schema here (a model can still answer badly).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model

from crm_app.jobs import ai
from crm_app.jobs.config import PipelineConfig
from crm_app.jobs.errors import StepFailed, say
from crm_app.models import LeadField, LeadFieldKind

# The built-in questions the lead has a column for; callback_time goes to the callback task.
COLUMN_QUESTIONS = ("name", "city", "reason", "service", "urgency")
URGENCY = ("low", "normal", "high")
_DESCRIBE = {
    "name": "the caller's full name as they said it",
    "city": "the city the caller lives in or wants the service in",
    "reason": "why the caller called, in one short sentence in the call's language",
    "service": "the service or product the caller wants",
    "urgency": "how urgent the caller's need is",
    "callback_time": "when the caller asked to be called back, as a local date and time "
    "YYYY-MM-DDTHH:MM in the business's time zone",
    "wants_callback": "true when the caller asked to be called back",
    "resolved": "true when the caller got what they called for during the call",
}
_INSTRUCTIONS = (
    "You read phone calls to the business {business} and fill in its lead form. Use null for "
    "anything the caller did not say: never guess. Write values in the language the caller "
    "used. The call started on {weekday} {when} at the business ({zone}): resolve words such "
    "as tomorrow or next Sunday from that date."
)


@dataclass(frozen=True)
class Question:
    """One property of the schema: its key, a description and how its value is typed."""

    key: str
    description: str
    kind: str = LeadFieldKind.TEXT.value
    choices: tuple[str, ...] = ()


def questions_for(collect: list[dict[str, str]], fields: list[LeadField]) -> list[Question]:
    """The built-in questions the agent asks, then every lead field of the business's own."""
    asked = [q.get("key", "") for q in collect]
    built_in = [
        Question(key, _DESCRIBE[key], "choice" if key == "urgency" else "text", URGENCY)
        for key in (*COLUMN_QUESTIONS, "callback_time")
        if key in asked
    ]
    own = [
        Question(f.key, f.label_en or f.label_he, f.kind, tuple(f.choices))
        for f in fields
        if f.kind in {k.value for k in LeadFieldKind}
    ]
    return built_in + own


def _property(question: Question) -> dict[str, Any]:
    if question.kind == LeadFieldKind.NUMBER:
        return {"type": ["number", "null"], "description": question.description}
    if question.kind == LeadFieldKind.CHOICE:
        return {
            "type": ["string", "null"],
            "enum": [*question.choices, None],
            "description": question.description,
        }
    suffix = " (YYYY-MM-DD)" if question.kind == LeadFieldKind.DATE else ""
    return {"type": ["string", "null"], "description": question.description + suffix}


def schema(questions: list[Question]) -> dict[str, Any]:
    """The strict JSON schema: every property required, nothing else allowed."""
    properties = {q.key: _property(q) for q in questions}
    properties["wants_callback"] = {"type": "boolean", "description": _DESCRIBE["wants_callback"]}
    properties["resolved"] = {"type": "boolean", "description": _DESCRIBE["resolved"]}
    return {
        "type": "object",
        "properties": properties,
        "required": list(properties),
        "additionalProperties": False,
    }


def _annotation(question: Question) -> Any:
    if question.kind == LeadFieldKind.NUMBER:
        return float | None
    if question.kind == LeadFieldKind.CHOICE and question.choices:
        return Literal[question.choices] | None
    return str | None


def _validator(questions: list[Question]) -> type[BaseModel]:
    """A model of the schema (keys such as ``x-car`` are aliases of safe names)."""
    fields: dict[str, Any] = {
        f"q{index}": (_annotation(q), Field(alias=q.key)) for index, q in enumerate(questions)
    }
    return create_model(
        "Extracted",
        __config__=ConfigDict(extra="forbid", strict=False),
        wants_callback=(bool, ...),
        resolved=(bool, ...),
        **fields,
    )


def extract(
    config: PipelineConfig,
    facts: ai.CallFacts,
    questions: list[Question],
    started_local: datetime,
) -> dict[str, Any]:
    """The fields the call told, validated; keys are the questions' and the two call facts."""
    system = _INSTRUCTIONS.format(
        business=facts.business_name,
        weekday=started_local.strftime("%A"),
        when=started_local.strftime("%Y-%m-%d %H:%M"),
        zone=started_local.tzname() or "",
    )
    with ai.as_step_failure("extraction"):
        completion = ai.client(config).chat.completions.create(
            model=config.summary_model,
            messages=[
                {"role": "system", "content": system},
                {"role": "user", "content": ai.transcript_text(facts.transcript, facts.locale)},
            ],
            response_format={
                "type": "json_schema",
                "json_schema": {"name": "lead_fields", "strict": True, "schema": schema(questions)},
            },
            temperature=0,
        )
    content = completion.choices[0].message.content if completion.choices else None
    try:
        answer = _validator(questions).model_validate(json.loads(content or ""))
    except (ValueError, ValidationError) as exc:
        raise StepFailed(say("pipeline.extraction_not_valid")) from exc
    return answer.model_dump(by_alias=True)
