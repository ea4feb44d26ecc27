"""Database engine and the unit of work (PostgreSQL).

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

from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session, create_engine

from crm_app import embedded_db
from crm_app.settings import SettingsError, get_settings

_lock = threading.Lock()
_engine: Engine | None = None


def build_engine(url: str) -> Engine:
    """Create an engine for the PostgreSQL ``url``: pre-ping, a bounded pool, psycopg2."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "postgresql":
        raise SettingsError(f"only PostgreSQL is supported, not {parsed.get_backend_name()}")
    # SQLAlchemy 2.1 defaults to psycopg 3; the project's driver is psycopg2.
    parsed = parsed.set(drivername="postgresql+psycopg2")
    return create_engine(
        parsed,
        pool_pre_ping=True,
        pool_size=5,
        max_overflow=10,
        pool_recycle=1800,
        connect_args={"connect_timeout": 5},
    )


def database_url() -> str:
    """``DATABASE_URL``, or the embedded server's when it is not set.

    Raises:
        SettingsError: when neither is available (the embedded server is
            started by ``make run`` and by the command line, not here).
    """
    settings = get_settings()
    if settings.database_url:
        return settings.database_url
    url = embedded_db.running_url(settings.embedded_database_dir)
    if url is None:
        raise SettingsError(
            "DATABASE_URL is not set and the embedded database is not running "
            "(make run starts it; python -m crm_app commands start it for themselves)"
        )
    return url


def get_engine() -> Engine:
    """Return the process-wide engine, created from settings on first use."""
    global _engine
    if _engine is None:
        with _lock:
            if _engine is None:
                _engine = build_engine(database_url())
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
        read_only: the transaction is ``READ ONLY`` (exports, reports): a
            write inside it fails instead of happening.

    Yields:
        A session bound to the process-wide engine. Objects stay readable
        after the commit (``expire_on_commit=False``).
    """
    engine = get_engine()
    if read_only:
        engine = engine.execution_options(postgresql_readonly=True)
    session = Session(engine, expire_on_commit=False)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def _drop_inherited_pool() -> None:
    # A forked worker must not reuse the parent's sockets: the Reflex prod
    # supervisor connects before forking Granian workers.
    if _engine is not None:
        _engine.dispose(close=False)


os.register_at_fork(after_in_child=_drop_inherited_pool)
