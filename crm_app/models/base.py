"""Column types and helpers shared by every table."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.mutable import MutableList
from sqlmodel import Field, SQLModel

# Deterministic constraint names: migrations and the drift check rely on them.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """The current time, timezone-aware, in UTC."""
    return datetime.now(UTC)


class UTCDateTime(sa.types.TypeDecorator[datetime]):
    """A timezone-aware timestamp stored as UTC.

    Postgres stores ``timestamptz``; values are written and read back in UTC.
    Naive datetimes are refused: they were the cause of "7 hours ago" bugs in
    the original system.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Normalise to UTC before writing."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a timezone-aware column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Read back in UTC (a naive value is taken to be UTC)."""
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def json_type() -> sa.types.TypeEngine[Any]:
    """JSONB (declared as a JSON variant, so the column type reads the same everywhere)."""
    return sa.JSON().with_variant(JSONB(), "postgresql")


def json_list_column() -> sa.Column[Any]:
    """A NOT NULL JSON list column whose in-place changes are tracked.

    ``MutableList`` tracks ``append``/``remove`` on the list itself, but not
    edits inside its dicts; services therefore always assign a new list.
    """
    return sa.Column(
        MutableList.as_mutable(json_type()),
        nullable=False,
        default=list,
        server_default=sa.text("'[]'"),
    )


def created_at_field() -> Any:
    """A ``created_at`` column filled at insert time, never at import time."""
    return Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


def updated_at_field() -> Any:
    """An ``updated_at`` column refreshed on every update."""
    return Field(
        default_factory=utcnow,
        sa_type=UTCDateTime,
        nullable=False,
        sa_column_kwargs={"onupdate": utcnow},
    )


def business_fk() -> Any:
    """The tenant key every business-owned row carries (indexed)."""
    return Field(foreign_key="business.id", index=True, nullable=False, ondelete="CASCADE")
