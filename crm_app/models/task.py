"""Tasks: something a person must do, by a time, often about a lead."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from crm_app.models.base import UTCDateTime, business_fk, created_at_field, updated_at_field


class TaskState(StrEnum):
    """Where a task stands."""

    OPEN = "open"
    DONE = "done"
    SNOOZED = "snoozed"  # open again at its (moved) due time


class TaskKind(StrEnum):
    """Who made the task: a person, or the call pipeline asking for a callback."""

    MANUAL = "manual"
    CALLBACK = "callback"


class Task(SQLModel, table=True):
    """A to-do with a due time and an assignee."""

    __table_args__ = (
        # "My day": one assignee's unfinished tasks by due time.
        sa.Index(
            "ix_task_business_assignee_state_due", "business_id", "assignee_id", "state", "due_at"
        ),
        sa.Index("ix_task_business_due", "business_id", "due_at"),
        # The pipeline makes at most one callback task per call, whatever retries it runs.
        sa.UniqueConstraint("call_id", "kind", name="uq_task_call_kind"),
    )

    id: int | None = Field(default=None, primary_key=True)
    business_id: int = business_fk()
    title: str = Field(max_length=200)
    details: str = Field(default="", sa_type=sa.Text)
    due_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    state: str = Field(default=TaskState.OPEN.value, max_length=10)
    kind: str = Field(default=TaskKind.MANUAL.value, max_length=10)
    assignee_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    lead_id: int | None = Field(default=None, foreign_key="lead.id", index=True, ondelete="CASCADE")
    call_id: int | None = Field(default=None, foreign_key="call.id", ondelete="SET NULL")
    created_by_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    done_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # When its assignee was told it is due (once per due time: a snooze clears it).
    alerted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = created_at_field()
    updated_at: datetime = updated_at_field()
