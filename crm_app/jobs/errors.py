"""How a pipeline step says what happened, and reports an outcome other than success.

A step's words are kept as catalogue keys with their values (:class:`Said`), so
the call panel shows them in each reader's language; logs and the API get the
English text.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from crm_app.i18n import MESSAGES, translate

Param = str | int


@dataclass(frozen=True)
class Said:
    """One or more sentences, each an i18n key (``pipeline.*``) with its values."""

    parts: tuple[tuple[str, dict[str, Param]], ...]

    def __add__(self, other: Said) -> Said:
        return Said(self.parts + other.parts)

    def text(self, locale: str = "en", labels: dict[str, str] | None = None) -> str:
        """The sentences in ``locale``; a ``status`` value is shown by its label."""
        sentences = []
        for key, params in self.parts:
            shown = dict(params)
            if labels and "status" in shown:
                shown["status"] = labels.get(str(shown["status"]), shown["status"])
            sentences.append(translate(key, locale, **shown))
        return "; ".join(sentences)

    def to_json(self) -> list[list[Any]]:
        """For the call's ``pipeline`` column."""
        return [[key, params] for key, params in self.parts]

    @classmethod
    def from_json(cls, stored: Any) -> Said | None:
        """What :meth:`to_json` wrote; None for anything else (older rows, unknown keys)."""
        if not isinstance(stored, list) or not stored:
            return None
        parts = []
        for part in stored:
            if not (isinstance(part, list) and len(part) == 2):
                return None
            key, params = part
            if key not in MESSAGES["en"] or not isinstance(params, dict):
                return None
            parts.append((str(key), {str(k): v for k, v in params.items()}))
        return cls(tuple(parts))


def say(key: str, **params: Param) -> Said:
    """``say("pipeline.words", count=27)``."""
    return Said(((key, params),))


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
