"""Test fixtures: every database test runs once, on a real PostgreSQL.

The server is ``TEST_DATABASE_URL`` (which must answer), else the local one at
127.0.0.1:5432 when it answers, else an embedded PostgreSQL started for the
run. Each run creates its own databases (UTF-8 from template0, with a UTF-8
``LC_CTYPE`` for Hebrew trigrams) and drops them afterwards.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

# Test configuration, set before anything reads settings.
os.environ.setdefault("SECRET_KEY", "test-secret-key-not-for-production")
os.environ["DEMO_MODE"] = "0"
os.environ.setdefault("PUBLIC_BASE_URL", "https://crm.test")
os.environ.setdefault("TWILIO_AUTH_TOKEN", "test-twilio-auth-token")
os.environ.setdefault("TWILIO_ACCOUNT_SID", "AC" + "0" * 32)
os.environ["REFLEX_TELEMETRY_ENABLED"] = "false"

import sqlalchemy as sa  # noqa: E402
from sqlalchemy.engine import Engine, make_url  # noqa: E402

from crm_app import db as crm_db  # noqa: E402
from crm_app import embedded_db  # noqa: E402
from crm_app.migrate import upgrade_to_head  # noqa: E402
from crm_app.settings import get_settings, reload_settings  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/postgres"


def _answers(url: str) -> bool:
    engine = sa.create_engine(url, connect_args={"connect_timeout": 3})
    try:
        with engine.connect():
            return True
    except sa.exc.OperationalError:
        return False
    finally:
        engine.dispose()


class PostgresServer:
    """Creates and drops throwaway UTF-8 databases on the test Postgres."""

    def __init__(self, admin_url: str) -> None:
        self.admin_url = admin_url
        self._admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
        self.created: list[str] = []

    def create(self, prefix: str = "crm_test") -> str:
        name = f"{prefix}_{os.getpid()}_{uuid.uuid4().hex[:8]}"
        with self._admin.connect() as conn:
            conn.execute(
                sa.text(
                    f"CREATE DATABASE {name} TEMPLATE template0 ENCODING 'UTF8' "
                    "LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8'"
                )
            )
        self.created.append(name)
        return make_url(self.admin_url).set(database=name).render_as_string(hide_password=False)

    def drop_all(self) -> None:
        with self._admin.connect() as conn:
            for name in self.created:
                conn.execute(sa.text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        self._admin.dispose()


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """The Postgres server for this run (see the module's docstring)."""
    url = os.environ.get("TEST_DATABASE_URL") or DEFAULT_PG
    if _answers(url):
        server = PostgresServer(url)
        yield server
        server.drop_all()
        return
    if os.environ.get("TEST_DATABASE_URL"):
        pytest.fail(f"TEST_DATABASE_URL does not answer ({make_url(url).host})")
    # Under /tmp, not pytest's 0700 directory: the server may run as another user.
    root = Path(tempfile.mkdtemp(prefix="crm-test-postgres-", dir="/tmp"))
    root.chmod(0o755)
    try:
        with embedded_db.held(root / "postgres") as embedded:
            server = PostgresServer(make_url(embedded).set(database="postgres").render_as_string())
            yield server
            server.drop_all()
    finally:
        shutil.rmtree(root, ignore_errors=True)


@dataclass
class Database:
    """A migrated database the services use during a test."""

    url: str
    engine: Engine


@pytest.fixture(scope="session")
def _database(postgres: PostgresServer) -> Iterator[Database]:
    url = postgres.create()
    engine = crm_db.build_engine(url)
    upgrade_to_head(engine)
    yield Database(url, engine)
    engine.dispose()


@pytest.fixture
def db(_database: Database, monkeypatch: pytest.MonkeyPatch) -> Iterator[Database]:
    """The run's migrated database, installed as the app's engine and ``DATABASE_URL``."""
    monkeypatch.setenv("DATABASE_URL", _database.url)
    reload_settings()
    previous = crm_db.use_engine(_database.engine)
    yield _database
    crm_db.use_engine(previous)


@pytest.fixture(autouse=True)
def _isolated_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Each test gets its own storage and spool directories and freshly read settings."""
    monkeypatch.setenv("STORAGE_DIR", str(tmp_path / "files"))
    monkeypatch.setenv("SPOOL_DIR", str(tmp_path / "spool"))
    reload_settings()
    yield
    get_settings.cache_clear()  # read again lazily, after monkeypatch has restored the env
