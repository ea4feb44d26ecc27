"""How a pipeline step reports an outcome other than success (with what it says)."""

from __future__ import annotations

from typing import Any

from crm_app.services.call_pipeline import Said, say

__all__ = ["Said", "StepFailed", "StepOutcome", "StepSkipped", "Waiting", "say"]


class StepOutcome(Exception):
    """A step ended without success; ``values`` are call columns to write all the same."""

    def __init__(self, said: Said, values: dict[str, Any] | None = None) -> None:
        super().__init__(said.text())
        self.said = said
        self.values = values or {}


class StepFailed(StepOutcome):
    """The step could not do its work; what it says is shown to admins on the call."""


class StepSkipped(StepOutcome):
    """The step has nothing to do for this call (no recording, no lead, ...)."""


class Waiting(Exception):
    """The step needs something that has not arrived yet (the recording); run again later."""

    def __init__(self, said: Said) -> None:
        super().__init__(said.text())
        self.said = said
