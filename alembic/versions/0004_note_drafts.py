"""Note drafts (text and uploads that survive a reload) and the attachment index.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28 14:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _json_list(name: str) -> sa.Column[object]:
    return sa.Column(
        name,
        sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
        server_default=sa.text("'[]'"),
        nullable=False,
    )


def upgrade() -> None:
    """Create note_draft; index note attachments by content on Postgres."""
    op.create_table(
        "note_draft",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("business_id", sa.Integer(), nullable=False),
        sa.Column("lead_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("note_id", sa.Integer(), nullable=True),
        sa.Column("draft_key", sa.String(length=64), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        _json_list("attachments"),
        _json_list("removed"),
        sa.Column("base_version", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["business_id"],
            ["business.id"],
            name=op.f("fk_note_draft_business_id_business"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["lead_id"], ["lead.id"], name=op.f("fk_note_draft_lead_id_lead"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["note_id"], ["note.id"], name=op.f("fk_note_draft_note_id_note"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name=op.f("fk_note_draft_user_id_user"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_note_draft")),
        sa.UniqueConstraint("draft_key", name=op.f("uq_note_draft_draft_key")),
    )
    op.create_index(op.f("ix_note_draft_business_id"), "note_draft", ["business_id"])
    op.create_index(op.f("ix_note_draft_lead_id"), "note_draft", ["lead_id"])
    op.create_index(
        "ix_note_attachments",
        "note",
        ["attachments"],
        postgresql_using="gin",
        postgresql_ops={"attachments": "jsonb_path_ops"},
    )


def downgrade() -> None:
    """Drop the drafts and the index."""
    op.drop_index("ix_note_attachments", table_name="note")
    op.drop_table("note_draft")
