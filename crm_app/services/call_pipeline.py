"""The post-call pipeline's record on the call: its steps, their states and what they said.

The pipeline (``crm_app.jobs.pipeline``) runs the steps; this module is the
model every reader and writer shares: the calls page and the API read the
states, admins reset failed steps, and the runner writes each step's outcome.
``call.pipeline`` holds ``{"state": ..., "steps": {name: {"state", "said",
"message", "attempts", "at"}}, "updated_at"}``.

A step's words are kept as catalogue keys with their values (:class:`Said`), so
the call panel shows them in each reader's language; logs and the API get the
English text.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, select

from crm_app.db import unit_of_work
from crm_app.i18n import MESSAGES, translate
from crm_app.models import Call, Role, utcnow
from crm_app.services.auth import Principal, require_role
from crm_app.services.calls import get_call

STEPS = (
    "download",
    "metadata",
    "transcribe",
    "summarize",
    "extract",
    "note",
    "fill",
    "status",
    "callback",
    "alert",
)
FINISHED = ("done", "skipped")
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


def step_states(call: Call) -> dict[str, str]:
    """Each step's state, ``pending`` for steps that have not run."""
    steps = call.pipeline.get("steps", {})
    return {name: steps.get(name, {}).get("state", "pending") for name in STEPS}


def _locked_call(session: Session, call_id: int) -> Call | None:
    return session.exec(select(Call).where(col(Call.id) == call_id).with_for_update()).first()


def _write(call_id: int, change: Callable[[Call, dict[str, Any]], None]) -> None:
    """Apply ``change`` to the call and a copy of its pipeline state, in one unit of work."""
    with unit_of_work() as session:
        call = _locked_call(session, call_id)
        if call is None:
            return
        state = {**call.pipeline, "steps": dict(call.pipeline.get("steps", {}))}
        change(call, state)
        state["updated_at"] = utcnow().isoformat()
        call.pipeline = state  # a new dict: the JSON column sees the change
        session.add(call)


def set_step(
    call_id: int,
    step: str,
    state: str,
    said: Said | None = None,
    values: dict[str, Any] | None = None,
) -> None:
    """Record a step's state, and the call columns it produced, in one write."""

    def change(call: Call, pipeline: dict[str, Any]) -> None:
        for name, value in (values or {}).items():
            setattr(call, name, value)
        previous = pipeline["steps"].get(step, {})
        attempts = int(previous.get("attempts", 0))
        if state == "running" or previous.get("state") != "running":
            attempts += 1  # each attempt counts once, when it starts or (fast steps) ends
        pipeline["steps"][step] = {
            "state": state,
            "message": said.text()[:300] if said else "",
            "said": said.to_json() if said else [],
            "attempts": attempts,
            "at": utcnow().isoformat(),
        }

    _write(call_id, change)


def set_state(call_id: int, state: str) -> None:
    """Record the state of the whole run (``running``, ``waiting``, ``done``, ``failed``)."""

    def change(call: Call, pipeline: dict[str, Any]) -> None:
        pipeline["state"] = state

    _write(call_id, change)


def mark_queued(call_id: int) -> None:
    """Note that a run is on its way (shown in the UI)."""

    def change(call: Call, pipeline: dict[str, Any]) -> None:
        if pipeline.get("state") != "running":
            pipeline["state"] = "queued"

    _write(call_id, change)


def reset_failed(session: Session, *, principal: Principal, call_id: int) -> list[str]:
    """Mark the failed steps, and every step after the first of them, to run again.

    Returns the steps that will run; the caller queues the run after the commit.

    Raises:
        NotFound: another business's call.
        PermissionDenied: agents cannot re-run the pipeline.
    """
    require_role(principal, Role.OWNER, Role.ADMIN)
    call = get_call(session, principal=principal, call_id=call_id)
    states = step_states(call)
    failed = [name for name in STEPS if states[name] == "failed"]
    if not failed:
        return []
    again = list(STEPS[STEPS.index(failed[0]) :])
    locked = _locked_call(session, call_id)
    assert locked is not None
    pipeline = {**locked.pipeline, "steps": dict(locked.pipeline.get("steps", {}))}
    for name in again:
        pipeline["steps"].pop(name, None)
    pipeline["state"] = "queued"
    locked.pipeline = pipeline
    session.add(locked)
    return again
