"""How a pipeline step reports an outcome other than success."""

from __future__ import annotations


class StepFailed(Exception):
    """The step could not do its work; the message is shown to admins on the call."""


class StepSkipped(Exception):
    """The step has nothing to do for this call (no recording, no lead, ...)."""


class Waiting(Exception):
    """The step needs something that has not arrived yet (the recording); run again later."""
