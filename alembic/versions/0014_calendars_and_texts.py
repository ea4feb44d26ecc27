"""Calendars, appointment types, overlap-proof appointments and text messages.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-04 03:30:00

Every business gets one calendar named after it, and its appointments move
into it. An exclusion constraint (``btree_gist``) then refuses two
appointments that hold overlapping times in one calendar, whoever books them
and however close together. Texts to and from customers are kept once per
idempotency key.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _json(name: str, *, nullable: bool, default: str | None = None) -> sa.Column[object]:
    kind = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
    return sa.Column(name, kind, nullable=nullable, server_default=default)


def _stamp(name: str, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _fk(column: str, table: str, target: str, ondelete: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=f"fk_{table}_{column}_{target}", ondelete=ondelete
    )


def _business(table: str) -> list[sa.SchemaItem]:
    return [
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("business_id", sa.Integer(), nullable=False),
        _fk("business_id", table, "business", "CASCADE"),
    ]


def upgrade() -> None:
    """Create the tables, give every business a calendar, then constrain appointments."""
    op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
    op.add_column(
        "business",
        sa.Column("texts_customers", sa.Boolean(), nullable=False, server_default=sa.true()),
    )
    op.add_column("business", _json("reminder_minutes", nullable=False, default="[1440, 120]"))
    op.create_table(
        "calendar",
        *_business("calendar"),
        sa.Column("name", sa.String(100), nullable=False),
        _json("hours", nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("feed_token_hash", sa.String(64), nullable=True),
        _stamp("created_at"),
        sa.UniqueConstraint("feed_token_hash", name="uq_calendar_feed_token_hash"),
    )
    op.create_index("ix_calendar_business_id", "calendar", ["business_id"])
    op.create_table(
        "appointment_type",
        *_business("appointment_type"),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        _stamp("created_at"),
    )
    op.create_index("ix_appointment_type_business_id", "appointment_type", ["business_id"])
    _move_appointments()
    _create_text_message()


def _move_appointments() -> None:
    op.execute(
        "INSERT INTO calendar (business_id, name, active, position, created_at) "
        "SELECT id, left(name, 100), true, 0, now() FROM business"
    )
    for name in ("calendar_id", "type_id", "booked_by_id"):
        op.add_column("appointment", sa.Column(name, sa.Integer(), nullable=True))
    op.add_column("appointment", _stamp("confirmed_at", nullable=True))
    for name in ("updated_at", "timed_at"):
        op.add_column("appointment", _stamp(name, nullable=True))
    op.execute(
        "UPDATE appointment a SET calendar_id = c.id, updated_at = a.created_at, "
        "timed_at = a.created_at FROM calendar c WHERE c.business_id = a.business_id"
    )
    for name in ("calendar_id", "updated_at", "timed_at"):
        op.alter_column("appointment", name, nullable=False)
    for column, target, ondelete in (
        ("calendar_id", "calendar", "CASCADE"),
        ("type_id", "appointment_type", "SET NULL"),
        ("booked_by_id", "user", "SET NULL"),
    ):
        op.create_foreign_key(
            f"fk_appointment_{column}_{target}",
            "appointment",
            target,
            [column],
            ["id"],
            ondelete=ondelete,
        )
    op.create_check_constraint(
        "ck_appointment_ends_after_start", "appointment", "ends_at > starts_at"
    )
    op.execute(
        "ALTER TABLE appointment ADD CONSTRAINT ex_appointment_calendar_time "
        "EXCLUDE USING gist (calendar_id WITH =, tstzrange(starts_at, ends_at, '[)') WITH &&) "
        "WHERE (status IN ('scheduled', 'confirmed'))"
    )


def _create_text_message() -> None:
    op.create_table(
        "text_message",
        *_business("text_message"),
        sa.Column("lead_id", sa.Integer(), nullable=True),
        sa.Column("appointment_id", sa.Integer(), nullable=True),
        sa.Column("key", sa.String(120), nullable=False),
        sa.Column("direction", sa.String(3), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("to_e164", sa.String(20), nullable=False),
        sa.Column("from_e164", sa.String(20), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("state", sa.String(10), nullable=False),
        sa.Column("twilio_sid", sa.String(64), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("error", sa.String(200), nullable=False),
        _stamp("claimed_at", nullable=True),
        _stamp("sent_at", nullable=True),
        _stamp("created_at"),
        _fk("lead_id", "text_message", "lead", "SET NULL"),
        _fk("appointment_id", "text_message", "appointment", "SET NULL"),
        sa.UniqueConstraint("key", name="uq_text_message_key"),
    )
    for columns in (["business_id"], ["lead_id"], ["appointment_id"]):
        op.create_index(f"ix_text_message_{columns[0]}", "text_message", columns)
    op.create_index("ix_text_message_state_claimed", "text_message", ["state", "claimed_at"])


def downgrade() -> None:
    """Drop what the upgrade made (appointments keep their times)."""
    op.drop_table("text_message")
    op.execute("ALTER TABLE appointment DROP CONSTRAINT ex_appointment_calendar_time")
    op.drop_constraint("ck_appointment_ends_after_start", "appointment", type_="check")
    for name in (
        "calendar_id",
        "type_id",
        "booked_by_id",
        "confirmed_at",
        "updated_at",
        "timed_at",
    ):
        op.drop_column("appointment", name)
    op.drop_table("appointment_type")
    op.drop_table("calendar")
    op.drop_column("business", "reminder_minutes")
    op.drop_column("business", "texts_customers")
