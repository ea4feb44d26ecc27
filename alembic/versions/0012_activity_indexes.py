"""Notes and status changes are indexed by business and time, for the latest activity.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03 16:00:00

The dashboard lists the business's newest leads, calls, notes and status
changes; each kind reads its few newest rows from a (business, created) index
instead of sorting every row of the business.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add the two indexes."""
    op.create_index("ix_note_business_created", "note", ["business_id", "created_at"])
    op.create_index(
        "ix_lead_status_change_business_created",
        "lead_status_change",
        ["business_id", "created_at"],
    )


def downgrade() -> None:
    """Drop them."""
    op.drop_index("ix_lead_status_change_business_created", table_name="lead_status_change")
    op.drop_index("ix_note_business_created", table_name="note")
