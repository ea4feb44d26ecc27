"""Calls whose final write could not reach the database: kept on disk until it is back.

When the database stays away through every retry of a call's final write,
the call's outcome (how it ended, its transcript, when) is written here, one
JSON file per call, atomically. :func:`voice_bridge.crm.replay_spool` writes
them to the database when it answers again (the bridge tries at start and
every few seconds while it runs), and only then removes the file; a replay
that fails leaves it for the next try.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from crm_app.services.calls import CallOutcome


@dataclass(frozen=True)
class Spooled:
    """A call waiting in the spool, and its file."""

    call_id: int
    outcome: CallOutcome
    path: Path


class CallSpool:
    """The spool directory (created on first use)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def put(self, call_id: int, outcome: CallOutcome) -> Path:
        """Keep a call's outcome; fsynced and renamed into place, so no half file is read."""
        self.directory.mkdir(parents=True, exist_ok=True)
        record: dict[str, Any] = {
            "call_id": call_id,
            "end_reason": outcome.end_reason,
            "transcript": outcome.transcript,
            "ended_at": outcome.ended_at.isoformat(),
            "failed": outcome.failed,
        }
        target = self.directory / f"call-{call_id}.json"
        fd, temporary = tempfile.mkstemp(dir=self.directory, prefix=".call-", suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(record, out, ensure_ascii=False)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, target)
        return target

    def pending(self) -> list[Spooled]:
        """The spooled calls, oldest file first (unreadable files are left for a person)."""
        if not self.directory.is_dir():
            return []
        found = []
        for path in sorted(self.directory.glob("call-*.json"), key=lambda p: p.stat().st_mtime):
            try:
                record = json.loads(path.read_text(encoding="utf-8"))
                outcome = CallOutcome(
                    end_reason=str(record["end_reason"]),
                    transcript=list(record["transcript"]),
                    ended_at=datetime.fromisoformat(record["ended_at"]),
                    failed=bool(record["failed"]),
                )
                found.append(Spooled(int(record["call_id"]), outcome, path))
            except (OSError, ValueError, KeyError, TypeError):
                continue
        return found

    def done(self, spooled: Spooled) -> None:
        """The call is in the database: forget its file."""
        spooled.path.unlink(missing_ok=True)
