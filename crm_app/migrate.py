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


def _include_object_for(dialect: str) -> Any:
    """Skip objects marked ``info={"dialect": ...}`` for another dialect.

    Trigram indexes exist only on Postgres; the drift check must not expect
    them on SQLite. Procrastinate's tables are its own schema, not models.
    """

    def include_object(obj: Any, name: str | None, type_: str, reflected: bool, other: Any) -> bool:
        if reflected and type_ == "table" and (name or "").startswith(JOB_TABLE_PREFIX):
            return False  # the job queue's own tables (revision 0007), not our models
        wanted = getattr(obj, "info", {}).get("dialect")
        return wanted is None or wanted == dialect

    return include_object


def configure_context(context: Any, connection: Connection, metadata: MetaData) -> None:
    """Configure an Alembic migration context the same way for every caller."""
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        compare_server_default=False,
        include_object=_include_object_for(connection.dialect.name),
    )


def upgrade_to_head(engine: Engine, revision: str = "head") -> None:
    """Upgrade the database behind ``engine`` (to head unless told otherwise).

    SQLite alters a table by copying it and dropping the original; with foreign
    keys on, that drop would cascade and delete the rows that point at it, so
    they are off while migrating and checked afterwards.
    """
    with engine.connect() as conn:
        sqlite = conn.dialect.name == "sqlite"
        if sqlite:  # on the DBAPI connection: no transaction may have begun
            conn.connection.dbapi_connection.execute("PRAGMA foreign_keys=OFF")  # type: ignore[union-attr]
        else:
            conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": _MIGRATION_LOCK_ID})
            conn.commit()
        try:
            command.upgrade(alembic_config(conn), revision)
            conn.commit()
        finally:
            if sqlite:
                conn.rollback()
                conn.connection.dbapi_connection.execute("PRAGMA foreign_keys=ON")  # type: ignore[union-attr]
            else:
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _MIGRATION_LOCK_ID})
                conn.commit()
        if sqlite and conn.exec_driver_sql("PRAGMA foreign_key_check").first() is not None:
            raise RuntimeError("migration left rows that break foreign keys")


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
