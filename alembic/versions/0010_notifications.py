"""Alerts: notifications per user (in-app and e-mail), users' e-mail choices, due-task alerts.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 08:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

EVERY_ALERT = '["new_lead", "missed_call", "task_due", "assigned"]'


def _json() -> sa.types.TypeEngine[object]:
    return sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    """Add the table and the columns."""
    op.create_table(
        "notification",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("business_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("data", _json(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("email_state", sa.String(length=10), nullable=False),
        sa.Column("email_attempts", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["business_id"],
            ["business.id"],
            name="fk_notification_business_id_business",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name="fk_notification_user_id_user", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_notification"),
    )
    op.create_index("ix_notification_business_id", "notification", ["business_id"])
    op.create_index("ix_notification_user_created", "notification", ["user_id", "created_at"])
    op.create_index(
        "ix_notification_user_unread",
        "notification",
        ["user_id"],
        postgresql_where=sa.text("read_at IS NULL"),
    )
    op.create_index(
        "ix_notification_email_pending",
        "notification",
        ["created_at"],
        postgresql_where=sa.text("email_state = 'pending'"),
    )
    op.add_column(
        "user", sa.Column("email_alerts", _json(), nullable=False, server_default=EVERY_ALERT)
    )
    op.add_column("task", sa.Column("alerted_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    """Remove them."""
    op.drop_column("task", "alerted_at")
    op.drop_column("user", "email_alerts")
    op.drop_table("notification")
