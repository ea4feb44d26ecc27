"""Schema migrations: Alembic is the only way the schema changes.

The server, ``make run`` and ``python -m crm_app migrate`` all call
:func:`upgrade_to_head`. On Postgres an advisory lock serialises concurrent
starts (several workers or machines migrating at once).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData, text
from sqlalchemy.engine import Connection, Engine

from alembic import command

ROOT = Path(__file__).resolve().parent.parent
_MIGRATION_LOCK_ID = 7_301_942  # arbitrary, constant: pg_advisory_lock key
JOB_TABLE_PREFIX = "procrastinate_"


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic config for this project, optionally bound to a connection."""
    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "alembic"))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def include_object(obj: Any, name: str | None, type_: str, reflected: bool, other: Any) -> bool:
    """Leave procrastinate's tables out of the drift check: they are its schema, not models."""
    return not (reflected and type_ == "table" and (name or "").startswith(JOB_TABLE_PREFIX))


def configure_context(context: Any, connection: Connection, metadata: MetaData) -> None:
    """Configure an Alembic migration context the same way for every caller."""
    context.configure(
        connection=connection,
        target_metadata=metadata,
        compare_type=True,
        compare_server_default=False,
        include_object=include_object,
    )


def upgrade_to_head(engine: Engine, revision: str = "head") -> None:
    """Upgrade the database behind ``engine`` (to head unless told otherwise)."""
    with engine.connect() as conn:
        conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": _MIGRATION_LOCK_ID})
        conn.commit()
        try:
            command.upgrade(alembic_config(conn), revision)
            conn.commit()
        finally:
            conn.rollback()
            conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _MIGRATION_LOCK_ID})
            conn.commit()


def head_revision() -> str:
    """The newest revision in ``alembic/versions``."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at, or None for an empty database."""
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def is_at_head(engine: Engine) -> bool:
    """Whether the database schema is at the newest revision."""
    return current_revision(engine) == head_revision()
