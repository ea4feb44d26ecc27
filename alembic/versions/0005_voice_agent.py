"""Voice agent settings on the business, and the media stream on the call.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28 15:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _business_columns() -> tuple[sa.Column[object], ...]:
    return (
        sa.Column("ai_instructions", sa.Text(), server_default="", nullable=False),
        sa.Column("greeting", sa.String(length=500), server_default="", nullable=False),
        sa.Column("voice", sa.String(length=20), server_default="marin", nullable=False),
        sa.Column("books_appointments", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column(
            "business_hours",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            server_default=sa.text("'{}'"),
            nullable=False,
        ),
        sa.Column("slot_minutes", sa.Integer(), server_default="30", nullable=False),
        sa.Column("booking_window_days", sa.Integer(), server_default="30", nullable=False),
        sa.Column("min_notice_minutes", sa.Integer(), server_default="120", nullable=False),
    )


def upgrade() -> None:
    """Add the voice agent's settings and the call's stream id."""
    with op.batch_alter_table("business") as batch:
        for column in _business_columns():
            batch.add_column(column)
    with op.batch_alter_table("call") as batch:
        batch.add_column(sa.Column("stream_sid", sa.String(length=64), nullable=True))


def downgrade() -> None:
    """Drop them again."""
    with op.batch_alter_table("call") as batch:
        batch.drop_column("stream_sid")
    with op.batch_alter_table("business") as batch:
        for column in _business_columns():
            batch.drop_column(column.name)
