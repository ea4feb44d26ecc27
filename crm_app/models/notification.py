"""Alerts: something a user should know now (in-app, and by e-mail when they chose it)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from crm_app.models.base import UTCDateTime, business_fk, created_at_field, json_type


class AlertKind(StrEnum):
    """What an alert is about."""

    NEW_LEAD = "new_lead"  # a caller the business did not know
    MISSED_CALL = "missed_call"  # a call that ended before anything was said
    TASK_DUE = "task_due"
    ASSIGNED = "assigned"  # a lead or a task was given to the user
    CANCELLED_BY_TEXT = "cancelled_by_text"  # a customer cancelled an appointment by text


ALL_KINDS = [k.value for k in AlertKind]


class Notification(SQLModel, table=True):
    """One alert for one user."""

    __table_args__ = (
        # The bell: a user's newest alerts, and the unread ones counted.
        sa.Index("ix_notification_user_created", "user_id", "created_at"),
        sa.Index(
            "ix_notification_user_unread",
            "user_id",
            postgresql_where=sa.text("read_at IS NULL"),
        ),
        # The e-mail sender's outbox.
        sa.Index(
            "ix_notification_email_pending",
            "created_at",
            postgresql_where=sa.text("email_state = 'pending'"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    business_id: int = business_fk()
    user_id: int = Field(foreign_key="user.id", ondelete="CASCADE")
    kind: str = Field(max_length=20)
    # What the alert names, by id and as it was then: {"lead_id", "name", "call_id", "task_id"}.
    data: dict[str, Any] = Field(
        default_factory=dict, sa_column=sa.Column(json_type(), nullable=False)
    )
    created_at: datetime = created_at_field()
    read_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # pending (to send) | sent | skipped (the user did not ask for it, or no SMTP) | failed
    email_state: str = Field(default="skipped", max_length=10)
    email_attempts: int = Field(default=0)
