"""The business and its voice agent set up in the app: closed dates, agent revisions, team links.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 02:20:00

Existing businesses keep their agent settings in their columns; their first
save in the app becomes revision 1. They are asked for a caller's name,
reason and callback time, as new businesses are.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DEFAULT_COLLECT = '[{"key": "name"}, {"key": "reason"}, {"key": "callback_time"}]'


def _json() -> sa.types.TypeEngine[object]:
    return sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def _stamp(name: str, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    """Add the tables and columns."""
    op.create_table(
        "agent_revision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("business_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("settings", _json(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("restored_from", sa.Integer(), nullable=True),
        _stamp("created_at"),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["user.id"],
            name=op.f("fk_agent_revision_author_id_user"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["business_id"],
            ["business.id"],
            name=op.f("fk_agent_revision_business_id_business"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agent_revision")),
        sa.UniqueConstraint("business_id", "number", name="uq_agent_revision_business_number"),
    )
    op.create_index(op.f("ix_agent_revision_business_id"), "agent_revision", ["business_id"])
    op.create_table(
        "password_link",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("business_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.String(length=10), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        _stamp("created_at"),
        _stamp("expires_at"),
        _stamp("used_at", nullable=True),
        sa.ForeignKeyConstraint(
            ["business_id"],
            ["business.id"],
            name=op.f("fk_password_link_business_id_business"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["user.id"],
            name=op.f("fk_password_link_created_by_user"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name=op.f("fk_password_link_user_id_user"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_password_link")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_password_link_token_hash")),
    )
    op.create_index(op.f("ix_password_link_business_id"), "password_link", ["business_id"])
    op.create_index(op.f("ix_password_link_user_id"), "password_link", ["user_id"])
    with op.batch_alter_table("business") as batch:
        batch.add_column(sa.Column("closed_dates", _json(), server_default="[]", nullable=False))
        batch.add_column(
            sa.Column("agent_locale", sa.String(length=5), server_default="", nullable=False)
        )
        batch.add_column(sa.Column("collect_fields", _json(), server_default="[]", nullable=False))
        batch.add_column(sa.Column("silence_seconds", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("max_call_seconds", sa.Integer(), nullable=True))
        batch.add_column(
            sa.Column("agent_revision", sa.Integer(), server_default="0", nullable=False)
        )
    op.execute(f"UPDATE business SET collect_fields = '{DEFAULT_COLLECT}'")
    op.add_column("call", sa.Column("agent_revision", sa.Integer(), nullable=True))


def downgrade() -> None:
    """Drop them."""
    op.drop_column("call", "agent_revision")
    with op.batch_alter_table("business") as batch:
        for name in (
            "agent_revision",
            "max_call_seconds",
            "silence_seconds",
            "collect_fields",
            "agent_locale",
            "closed_dates",
        ):
            batch.drop_column(name)
    op.drop_table("password_link")
    op.drop_table("agent_revision")
