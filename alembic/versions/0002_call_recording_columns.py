"""Add the call recording metadata columns, whichever of them already exist.

The production system met databases with none, some or all of these columns
(one had been added by hand), so each is added only when it is missing and a
column that exists with the wrong type is converted.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 11:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS: dict[str, sa.types.TypeEngine[object]] = {
    "audio_bytes_len": sa.BigInteger(),
    "audio_duration_sec": sa.Double(),
    "transcript_source": sa.String(length=32),
}


def _existing() -> dict[str, dict[str, object]]:
    inspector = sa.inspect(op.get_bind())
    return {col["name"]: dict(col) for col in inspector.get_columns("call")}


def upgrade() -> None:
    """Add each missing column and give a hand-made one the right type."""
    dialect = op.get_bind().dialect
    existing = _existing()
    missing = [name for name in COLUMNS if name not in existing]
    wrong_type = [
        name
        for name in COLUMNS
        if name in existing
        and existing[name]["type"].compile(dialect=dialect)  # type: ignore[attr-defined]
        != COLUMNS[name].compile(dialect=dialect)
    ]
    if not missing and not wrong_type:
        return
    with op.batch_alter_table("call") as batch:
        for name in missing:
            batch.add_column(sa.Column(name, COLUMNS[name], nullable=True))
        for name in wrong_type:
            target = COLUMNS[name].compile(dialect=dialect)
            batch.alter_column(
                name,
                type_=COLUMNS[name],
                existing_nullable=True,
                postgresql_using=f"{name}::{target}",
            )


def downgrade() -> None:
    """Drop the three columns."""
    with op.batch_alter_table("call") as batch:
        for name in COLUMNS:
            batch.drop_column(name)
