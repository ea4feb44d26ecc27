"""Database engine and the unit of work.

Every piece of work that touches the database runs inside
``with unit_of_work() as session:``. The session commits when the block ends
normally, rolls back on any exception and is always closed, so a failed
statement can never leave a pooled connection in an aborted transaction.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.pool import ConnectionPoolEntry
from sqlmodel import Session, create_engine

from crm_app.settings import get_settings

_lock = threading.Lock()
_engine: Engine | None = None
# Whether this thread (or task) is inside a writing unit of work on SQLite.
_writing: ContextVar[bool] = ContextVar("writing_unit_of_work", default=False)


def build_engine(url: str) -> Engine:
    """Create an engine for ``url`` with the project's connection rules.

    SQLite gets WAL, foreign keys and a busy timeout; Postgres gets pre-ping
    and a bounded pool.
    """
    parsed = make_url(url)
    if parsed.drivername == "postgresql":
        # SQLAlchemy 2.1 defaults to psycopg 3; the project's driver is psycopg2.
        parsed = parsed.set(drivername="postgresql+psycopg2")
        url = parsed.render_as_string(hide_password=False)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 30},
            pool_pre_ping=True,
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    return create_engine(
        url,
        pool_pre_ping=True,
        pool_size=5,
        max_overflow=10,
        pool_recycle=1800,
        connect_args={"connect_timeout": 5},
    )


def _sqlite_pragmas(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
    # SQLAlchemy emits BEGIN itself (see _sqlite_begin), not the sqlite3 module.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _sqlite_begin(connection: Connection) -> None:
    """Writers take SQLite's write lock at BEGIN.

    A deferred transaction that reads and then writes cannot wait for another
    writer (SQLite answers "database is locked" at once, to avoid a deadlock);
    BEGIN IMMEDIATE waits its turn instead. Read-only units of work (long
    exports) stay deferred so that they never hold the write lock.
    """
    mode = "DEFERRED" if connection.get_execution_options().get("read_only") else "IMMEDIATE"
    connection.exec_driver_sql(f"BEGIN {mode}")


def get_engine() -> Engine:
    """Return the process-wide engine, created from settings on first use."""
    global _engine
    if _engine is None:
        with _lock:
            if _engine is None:
                _engine = build_engine(get_settings().database_url)
    return _engine


def use_engine(engine: Engine | None) -> Engine | None:
    """Make ``engine`` the process-wide engine (tests); returns the previous one.

    The previous engine is not disposed: its owner decides.
    """
    global _engine
    with _lock:
        previous, _engine = _engine, engine
    return previous


@contextmanager
def unit_of_work(*, read_only: bool = False) -> Iterator[Session]:
    """Run one transaction: commit on success, roll back on any error, close.

    Args:
        read_only: the work only reads (on SQLite it then never takes the
            write lock, which matters for long exports).

    Yields:
        A session bound to the process-wide engine. Objects stay readable
        after the commit (``expire_on_commit=False``).
    """
    engine = get_engine()
    if read_only:
        engine = engine.execution_options(read_only=True)
    writing_sqlite = not read_only and engine.dialect.name == "sqlite"
    if writing_sqlite and _writing.get():
        # The inner BEGIN IMMEDIATE would wait for the outer one to finish: forever.
        raise RuntimeError("a writing unit of work is already open here; SQLite would wait for it")
    token = _writing.set(True) if writing_sqlite else None
    session = Session(engine, expire_on_commit=False)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
        if token is not None:
            _writing.reset(token)


def _drop_inherited_pool() -> None:
    # A forked worker must not reuse the parent's sockets: the Reflex prod
    # supervisor connects before forking Granian workers (see the recipe).
    if _engine is not None:
        _engine.dispose(close=False)


os.register_at_fork(after_in_child=_drop_inherited_pool)
