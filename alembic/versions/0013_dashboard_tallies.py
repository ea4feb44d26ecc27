"""The dashboard reads running totals of calls and leads that triggers keep.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03 19:40:00

Counting 144,000 calls or 500,000 leads for every dashboard view costs tens of
milliseconds a tile. Three tables hold the totals instead: calls per business,
direction and quarter hour (how many, how many answered, their length), new
leads per business, source and quarter hour, and leads per business and
status. Statement-level triggers with transition tables add each statement's
inserted, changed and deleted rows to them in the same transaction (one
upsert per statement, however many rows: an import stays a bulk write), so a
total always equals the count of the rows. Updates that change none of the
counted columns write nothing. The tables are filled from the existing rows.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BUCKET = "date_bin('15 minutes', {t}.created_at, timestamptz '2000-01-01 00:00:00+00')"


class Tally:
    """One totals table: its key, its sums over rows of ``source``, the columns they read."""

    def __init__(
        self, table: str, source: str, key: dict[str, str], sums: dict[str, str], reads: list[str]
    ) -> None:
        self.table, self.source, self.key, self.sums, self.reads = table, source, key, sums, reads

    def rows(self, alias: str, sign: int) -> str:
        """The key and the signed addends of each row of the transition table ``alias``."""
        keys = [f"{expr.format(t=alias)} AS {name}" for name, expr in self.key.items()]
        sums = [f"{sign} * ({expr.format(t=alias)}) AS {name}" for name, expr in self.sums.items()]
        return ", ".join(keys + sums)

    def upsert(self, body: str) -> str:
        """Add the grouped addends of ``body`` (a UNION of ``rows``) to the totals."""
        keys, sums = ", ".join(self.key), list(self.sums)
        return f"""
            INSERT INTO {self.table} AS t ({keys}, {", ".join(sums)})
            SELECT {keys}, {", ".join(f"sum({s})" for s in sums)}
            FROM ({body}) AS d
            WHERE EXISTS (SELECT 1 FROM business b WHERE b.id = d.business_id)
            GROUP BY {keys}
            ORDER BY {keys}
            ON CONFLICT ({keys}) DO UPDATE SET
              {", ".join(f"{s} = t.{s} + EXCLUDED.{s}" for s in sums)};
        """

    def functions(self) -> list[str]:
        changed = " OR ".join(f"o.{c} IS DISTINCT FROM n.{c}" for c in self.reads)
        moved = f"FROM old_rows o JOIN new_rows n ON n.id = o.id WHERE {changed}"
        bodies = {
            "insert": f"SELECT {self.rows('n', 1)} FROM new_rows n",
            "delete": f"SELECT {self.rows('o', -1)} FROM old_rows o",
            "update": f"SELECT {self.rows('o', -1)} {moved} "
            f"UNION ALL SELECT {self.rows('n', 1)} {moved}",
        }
        return [
            f"""
            CREATE FUNCTION {self.table}_{op_name}() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
              {self.upsert(body)}
              RETURN NULL;
            END $$;
            """
            for op_name, body in bodies.items()
        ]

    def triggers(self) -> list[str]:
        made = []
        for op_name, tables in (
            ("insert", "NEW TABLE AS new_rows"),
            ("update", "OLD TABLE AS old_rows NEW TABLE AS new_rows"),
            ("delete", "OLD TABLE AS old_rows"),
        ):
            made.append(
                f"CREATE TRIGGER {self.table}_{op_name} AFTER {op_name.upper()} ON {self.source} "
                f"REFERENCING {tables} FOR EACH STATEMENT "
                f"EXECUTE FUNCTION {self.table}_{op_name}()"
            )
        return made

    def backfill(self) -> str:
        return self.upsert(f"SELECT {self.rows(self.source, 1)} FROM {self.source}")

    def drop(self) -> list[str]:
        return [
            f"DROP TRIGGER IF EXISTS {self.table}_{o} ON {self.source}; "
            f"DROP FUNCTION IF EXISTS {self.table}_{o}()"
            for o in ("insert", "update", "delete")
        ]


ANSWERED = "{t}.spoke IS TRUE"
TALLIES = [
    Tally(
        "call_tally",
        "call",
        {"business_id": "{t}.business_id", "direction": "{t}.direction", "bucket": BUCKET},
        {
            "calls": "1",
            "answered": f"({ANSWERED})::int",
            "answered_timed": f"({ANSWERED} AND {{t}}.duration_sec IS NOT NULL)::int",
            "answered_seconds": f"CASE WHEN {ANSWERED} THEN coalesce({{t}}.duration_sec, 0) "
            "ELSE 0 END",
        },
        ["business_id", "direction", "created_at", "spoke", "duration_sec"],
    ),
    Tally(
        "lead_tally",
        "lead",
        {"business_id": "{t}.business_id", "source": "{t}.source", "bucket": BUCKET},
        {"leads": "1"},
        ["business_id", "source", "created_at"],
    ),
    Tally(
        "lead_status_tally",
        "lead",
        {"business_id": "{t}.business_id", "status_id": "{t}.status_id"},
        {"leads": "1"},
        ["business_id", "status_id"],
    ),
]


def upgrade() -> None:
    """Create the tables and their triggers, then total the existing rows."""

    def business() -> sa.ForeignKey:
        return sa.ForeignKey("business.id", ondelete="CASCADE")

    op.create_table(
        "call_tally",
        sa.Column("business_id", sa.Integer(), business(), primary_key=True),
        sa.Column("direction", sa.String(length=10), primary_key=True),
        sa.Column("bucket", sa.DateTime(timezone=True), primary_key=True),
        sa.Column("calls", sa.Integer(), nullable=False),
        sa.Column("answered", sa.Integer(), nullable=False),
        sa.Column("answered_timed", sa.Integer(), nullable=False),
        sa.Column("answered_seconds", sa.BigInteger(), nullable=False),
    )
    op.create_table(
        "lead_tally",
        sa.Column("business_id", sa.Integer(), business(), primary_key=True),
        sa.Column("source", sa.String(length=20), primary_key=True),
        sa.Column("bucket", sa.DateTime(timezone=True), primary_key=True),
        sa.Column("leads", sa.Integer(), nullable=False),
    )
    op.create_table(
        "lead_status_tally",
        sa.Column("business_id", sa.Integer(), business(), primary_key=True),
        sa.Column("status_id", sa.Integer(), primary_key=True),
        sa.Column("leads", sa.Integer(), nullable=False),
    )
    for tally in TALLIES:
        for statement in [*tally.functions(), *tally.triggers()]:
            op.execute(statement)
    op.execute("LOCK TABLE call, lead IN SHARE MODE")  # no row is missed nor counted twice
    for tally in TALLIES:
        op.execute(tally.backfill())


def downgrade() -> None:
    """Drop the triggers, their functions and the tables."""
    for tally in TALLIES:
        for statement in tally.drop():
            op.execute(statement)
    for table in ("lead_status_tally", "lead_tally", "call_tally"):
        op.drop_table(table)
