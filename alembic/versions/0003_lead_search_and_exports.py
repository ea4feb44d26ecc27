"""Lead search (generated search_text, trigram and phone indexes) and export jobs.

pg_trgm/btree_gin indexes and a higher statistics target on the searched
columns (see the leads anchors: it halves search p95).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 12:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SEARCH_TEXT = "lower(name || ' ' || email)"


def _search_column() -> sa.Column[str]:
    return sa.Column("search_text", sa.Text(), sa.Computed(SEARCH_TEXT, persisted=True))


def _search() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.execute("CREATE EXTENSION IF NOT EXISTS btree_gin")
    op.add_column("lead", _search_column())
    op.execute("ALTER TABLE lead ALTER COLUMN search_text SET STATISTICS 1000")
    op.execute("ALTER TABLE lead ALTER COLUMN phone_digits SET STATISTICS 1000")
    op.create_index(
        "ix_lead_search_trgm",
        "lead",
        ["business_id", "search_text"],
        postgresql_using="gin",
        postgresql_ops={"search_text": "gin_trgm_ops"},
    )
    op.create_index(
        "ix_lead_phone_trgm",
        "lead",
        ["phone_digits"],
        postgresql_using="gin",
        postgresql_ops={"phone_digits": "gin_trgm_ops"},
    )


def upgrade() -> None:
    """Add search_text and its indexes, and the export_job table."""
    _search()
    op.create_index(
        "ix_lead_phone_prefix",
        "lead",
        ["business_id", "phone_digits"],
        postgresql_ops={"phone_digits": "text_pattern_ops"},
    )
    op.create_index("ix_lead_business_name_id", "lead", ["business_id", "name", "id"])
    op.create_table(
        "export_job",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("business_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("format", sa.String(length=8), nullable=False),
        sa.Column(
            "filters",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("total_rows", sa.Integer(), nullable=False),
        sa.Column("done_rows", sa.Integer(), nullable=False),
        sa.Column("storage_key", sa.String(length=200), nullable=True),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("error", sa.String(length=500), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["business_id"],
            ["business.id"],
            name=op.f("fk_export_job_business_id_business"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name=op.f("fk_export_job_user_id_user"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_export_job")),
    )
    op.create_index(op.f("ix_export_job_business_id"), "export_job", ["business_id"])
    op.create_index(op.f("ix_export_job_user_id"), "export_job", ["user_id"])


def downgrade() -> None:
    """Drop the export jobs and the search column and indexes."""
    op.drop_table("export_job")
    op.drop_index("ix_lead_business_name_id", table_name="lead")
    op.drop_index("ix_lead_phone_prefix", table_name="lead")
    op.drop_index("ix_lead_phone_trgm", table_name="lead")
    op.drop_index("ix_lead_search_trgm", table_name="lead")
    op.drop_column("lead", "search_text")
