"""Calls keep whether anyone spoke; the business-and-time index carries the dashboard's columns.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 09:00:00

The dashboard counts answered and missed calls, their length and their days
for a range; with ``spoke`` stored and included in the index beside
``direction`` and ``duration_sec``, those counts are index-only scans.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add the stored column and rebuild the index with it included."""
    op.add_column(
        "call",
        sa.Column(
            "spoke",
            sa.Boolean(),
            sa.Computed("jsonb_array_length(transcript) > 0", persisted=True),
            nullable=True,
        ),
    )
    op.drop_index("ix_call_business_created", table_name="call")
    op.create_index(
        "ix_call_business_created",
        "call",
        ["business_id", "created_at"],
        postgresql_include=["direction", "spoke", "duration_sec"],
    )


def downgrade() -> None:
    """Back to the plain index, without the column."""
    op.drop_index("ix_call_business_created", table_name="call")
    op.create_index("ix_call_business_created", "call", ["business_id", "created_at"])
    op.drop_column("call", "spoke")
