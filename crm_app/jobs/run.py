"""What the post-call pipeline's steps share: one run's call and business, and a step's result."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from crm_app.db import unit_of_work
from crm_app.jobs import ai
from crm_app.jobs.config import PipelineConfig
from crm_app.jobs.errors import Said, StepSkipped, say
from crm_app.models import Business, Call
from crm_app.services import statuses


@dataclass(frozen=True)
class Done:
    """A step's success: what to show, and the call columns it produced."""

    said: Said
    values: dict[str, Any] = field(default_factory=dict)
    written: str | None = None  # a stored file to remove if recording the step fails


class Run:
    """What the steps share during one run."""

    def __init__(self, call_id: int, config: PipelineConfig, final: bool) -> None:
        self.call_id, self.config, self.final = call_id, config, final
        self._business: Business | None = None

    def call(self) -> Call:
        """A fresh read of the call (each step sees the previous steps' writes)."""
        with unit_of_work(read_only=True) as session:
            call = session.get(Call, self.call_id)
            if call is None:
                raise StepSkipped(say("pipeline.call_deleted"))
            return call

    def business(self, call: Call) -> Business:
        """The call's business (read once per run)."""
        if self._business is None:
            with unit_of_work(read_only=True) as session:
                self._business = session.get(Business, call.business_id)
            assert self._business is not None
        return self._business

    def facts(self, call: Call) -> ai.CallFacts:
        """What the models read the call from: the business, the call and its transcript."""
        business = self.business(call)
        with unit_of_work(read_only=True) as session:
            keys = [s.key for s in statuses.list_statuses(session, business_id=call.business_id)]
        return ai.CallFacts(
            business_name=business.name,
            locale=business.locale,
            duration_sec=call.duration_sec or 0,
            end_reason=call.end_reason,
            transcript=list(call.transcript),
            status_keys=keys,
        )
