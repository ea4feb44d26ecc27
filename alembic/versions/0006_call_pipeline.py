"""Post-call pipeline state on the call, early Twilio callbacks, one summary note per call.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28 16:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _json() -> sa.types.TypeEngine[object]:
    return sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    """Add pipeline columns, the callback inbox and the unique summary-note index."""
    with op.batch_alter_table("call") as batch:
        batch.add_column(sa.Column("recording_status", sa.String(length=20), nullable=True))
        batch.add_column(sa.Column("recording_duration_sec", sa.Integer(), nullable=True))
        batch.add_column(
            sa.Column("pipeline", _json(), server_default=sa.text("'{}'"), nullable=False)
        )
        batch.add_column(sa.Column("recommended_status", sa.String(length=40), nullable=True))
        batch.add_column(sa.Column("recommended_confidence", sa.Float(), nullable=True))
    op.create_table(
        "twilio_callback",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("call_sid", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("payload", _json(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("applied_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_twilio_callback")),
    )
    op.create_index(op.f("ix_twilio_callback_call_sid"), "twilio_callback", ["call_sid"])
    op.create_index(
        "uq_note_call_summary",
        "note",
        ["call_id"],
        unique=True,
        postgresql_where=sa.text("kind = 'call_summary'"),
    )


def downgrade() -> None:
    """Remove them."""
    op.drop_index("uq_note_call_summary", table_name="note")
    op.drop_table("twilio_callback")
    with op.batch_alter_table("call") as batch:
        for name in (
            "recommended_confidence",
            "recommended_status",
            "pipeline",
            "recording_duration_sec",
            "recording_status",
        ):
            batch.drop_column(name)
