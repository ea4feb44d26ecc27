"""Durable jobs (procrastinate's schema, Postgres only) and the realtime transcript column.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-28 18:00:00

Procrastinate's schema is applied from the pinned package's own ``schema.sql``;
a later procrastinate upgrade must add a revision that runs its migration files.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from procrastinate.schema import SchemaManager
from sqlalchemy.dialects import postgresql

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _json() -> sa.types.TypeEngine[object]:
    return sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    """Add ``call.realtime_transcript`` and create the job queue's schema."""
    with op.batch_alter_table("call") as batch:
        batch.add_column(
            sa.Column(
                "realtime_transcript", _json(), server_default=sa.text("'[]'"), nullable=False
            )
        )
    bind = op.get_bind()
    exists = bind.execute(sa.text("SELECT to_regclass('procrastinate_jobs')")).scalar()
    if exists is None:
        # Raw DBAPI: the script holds plpgsql bodies and '%' placeholders of RAISE.
        cursor = bind.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        cursor.execute(SchemaManager.get_schema())


def downgrade() -> None:
    """Drop the column (the job queue's schema is left in place: it may hold jobs)."""
    with op.batch_alter_table("call") as batch:
        batch.drop_column("realtime_transcript")
