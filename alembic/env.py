"""Alembic environment: the URL comes from crm_app settings, the target from the models."""

from __future__ import annotations

from sqlalchemy.engine import Connection
from sqlmodel import SQLModel

import crm_app.models  # noqa: F401  (registers every table on the metadata)
from alembic import context
from crm_app.db import build_engine
from crm_app.migrate import configure_context
from crm_app.settings import get_settings


def _run(connection: Connection) -> None:
    configure_context(context, connection, SQLModel.metadata)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Run against the connection given by the caller, or one from settings."""
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = build_engine(get_settings().database_url)
    try:
        with engine.connect() as conn:
            _run(conn)
            conn.commit()
    finally:
        engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline (--sql) migrations are not supported")
run_migrations_online()
