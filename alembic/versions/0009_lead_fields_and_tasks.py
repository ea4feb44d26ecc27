"""Leads ready to work after a call: fields of the business's own, AI suggestions, and tasks.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 08:00:00

The voice agent's own questions (``collect_fields`` entries with a label)
become lead fields of kind text, so what the agent hears has a place on the lead.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _json_column(name: str, default: str) -> sa.Column[object]:
    kind = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
    return sa.Column(name, kind, nullable=False, server_default=default)


def _stamp(name: str, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _fk(column: str, table: str, target: str, ondelete: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=f"fk_{table}_{column}_{target}", ondelete=ondelete
    )


def upgrade() -> None:
    """Add the columns and tables, and a lead field for each custom question."""
    for name, length in (("reason", 500), ("service", 200), ("urgency", 10)):
        op.add_column(
            "lead", sa.Column(name, sa.String(length=length), nullable=False, server_default="")
        )
    op.add_column("lead", _json_column("custom_fields", "{}"))
    op.add_column("lead", _json_column("ai_filled", "[]"))
    op.add_column("lead", _json_column("suggestions", "{}"))
    op.add_column("call", _json_column("extracted", "{}"))
    op.add_column("business", sa.Column("default_assignee_id", sa.Integer(), nullable=True))
    op.create_foreign_key(
        "fk_business_default_assignee_id_user",
        "business",
        "user",
        ["default_assignee_id"],
        ["id"],
        ondelete="SET NULL",
    )
    _create_lead_field()
    _create_task()
    op.execute(
        """
        INSERT INTO lead_field (business_id, key, label_he, label_en, kind, choices, position,
                                created_at)
        SELECT b.id, f.value->>'key', f.value->>'label', f.value->>'label', 'text', '[]',
               f.ordinality, now()
        FROM business b, jsonb_array_elements(b.collect_fields) WITH ORDINALITY AS f
        WHERE coalesce(f.value->>'label', '') <> ''
        ON CONFLICT DO NOTHING
        """
    )


def _create_lead_field() -> None:
    op.create_table(
        "lead_field",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("business_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=40), nullable=False),
        sa.Column("label_he", sa.String(length=80), nullable=False),
        sa.Column("label_en", sa.String(length=80), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        _json_column("choices", "[]"),
        sa.Column("position", sa.Integer(), nullable=False),
        _stamp("created_at"),
        _fk("business_id", "lead_field", "business", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_lead_field"),
        sa.UniqueConstraint("business_id", "key", name="uq_lead_field_key"),
    )
    op.create_index("ix_lead_field_business_id", "lead_field", ["business_id"])


def _create_task() -> None:
    op.create_table(
        "task",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("business_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("details", sa.Text(), nullable=False),
        _stamp("due_at"),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("assignee_id", sa.Integer(), nullable=True),
        sa.Column("lead_id", sa.Integer(), nullable=True),
        sa.Column("call_id", sa.Integer(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        _stamp("done_at", nullable=True),
        _stamp("created_at"),
        _stamp("updated_at"),
        _fk("business_id", "task", "business", "CASCADE"),
        _fk("assignee_id", "task", "user", "SET NULL"),
        _fk("lead_id", "task", "lead", "CASCADE"),
        _fk("call_id", "task", "call", "SET NULL"),
        _fk("created_by_id", "task", "user", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name="pk_task"),
        sa.UniqueConstraint("call_id", "kind", name="uq_task_call_kind"),
    )
    op.create_index("ix_task_business_id", "task", ["business_id"])
    op.create_index("ix_task_lead_id", "task", ["lead_id"])
    op.create_index("ix_task_business_due", "task", ["business_id", "due_at"])
    op.create_index(
        "ix_task_business_assignee_state_due",
        "task",
        ["business_id", "assignee_id", "state", "due_at"],
    )


def downgrade() -> None:
    """Remove them."""
    op.drop_table("task")
    op.drop_table("lead_field")
    op.drop_constraint("fk_business_default_assignee_id_user", "business", type_="foreignkey")
    op.drop_column("business", "default_assignee_id")
    op.drop_column("call", "extracted")
    for name in ("suggestions", "ai_filled", "custom_fields", "urgency", "service", "reason"):
        op.drop_column("lead", name)
