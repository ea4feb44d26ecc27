"""How a pipeline step reports an outcome other than success."""

from __future__ import annotations

from typing import Any


class StepOutcome(Exception):
    """A step ended without success; ``values`` are call columns to write all the same."""

    def __init__(self, message: str, values: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.values = values or {}


class StepFailed(StepOutcome):
    """The step could not do its work; the message is shown to admins on the call."""


class StepSkipped(StepOutcome):
    """The step has nothing to do for this call (no recording, no lead, ...)."""


class Waiting(Exception):
    """The step needs something that has not arrived yet (the recording); run again later."""
