"""Test fixtures: every database test runs on SQLite and on the real Postgres.

Postgres comes from ``TEST_DATABASE_URL`` or the local server; each run creates
its own databases (UTF-8, from template0) and drops them afterwards. With
``CI=true`` an unreachable Postgres fails the run instead of skipping.
"""

from __future__ import annotations

import os
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
from crm_app.migrate import upgrade_to_head  # noqa: E402
from crm_app.settings import get_settings, reload_settings  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/postgres"


def _pg_admin_url() -> str | None:
    url = os.environ.get("TEST_DATABASE_URL") or DEFAULT_PG
    engine = sa.create_engine(url, connect_args={"connect_timeout": 3})
    try:
        with engine.connect():
            return url
    except sa.exc.OperationalError:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true but Postgres is unreachable at {make_url(url).host}")
        return None
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
def postgres() -> Iterator[PostgresServer | None]:
    """The Postgres server for this run, or None when absent (outside CI)."""
    url = _pg_admin_url()
    if url is None:
        yield None
        return
    server = PostgresServer(url)
    yield server
    server.drop_all()


@dataclass
class Database:
    """A migrated database the services use during a test."""

    backend: str
    url: str
    engine: Engine

    @property
    def is_postgres(self) -> bool:
        return self.backend == "postgres"


def new_database(backend: str, tmp_dir: Path, postgres: PostgresServer | None) -> str:
    """The URL of a new, empty database of ``backend``."""
    if backend == "sqlite":
        return f"sqlite:///{tmp_dir / f'crm-{uuid.uuid4().hex[:8]}.db'}"
    if postgres is None:
        pytest.skip("Postgres is not reachable (set TEST_DATABASE_URL)")
    return postgres.create()


@pytest.fixture(scope="session")
def _databases(
    tmp_path_factory: pytest.TempPathFactory, postgres: PostgresServer | None
) -> Iterator[dict[str, Database]]:
    made: dict[str, Database] = {}
    yield made
    for database in made.values():
        database.engine.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
def db(
    request: pytest.FixtureRequest,
    _databases: dict[str, Database],
    tmp_path_factory: pytest.TempPathFactory,
    postgres: PostgresServer | None,
) -> Iterator[Database]:
    """A migrated database (once per backend per run) installed as the app's engine."""
    backend: str = request.param
    if backend not in _databases:
        url = new_database(backend, tmp_path_factory.mktemp("db"), postgres)
        engine = crm_db.build_engine(url)
        upgrade_to_head(engine)
        _databases[backend] = Database(backend, url, engine)
    database = _databases[backend]
    previous = crm_db.use_engine(database.engine)
    yield database
    crm_db.use_engine(previous)


@pytest.fixture
def pg(db: Database) -> Database:
    """Only the Postgres run of a ``db`` test."""
    if not db.is_postgres:
        pytest.skip("Postgres only")
    return db


@pytest.fixture(autouse=True)
def _isolated_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Each test gets its own storage directory and freshly read settings."""
    monkeypatch.setenv("STORAGE_DIR", str(tmp_path / "files"))
    reload_settings()
    yield
    get_settings.cache_clear()  # read again lazily, after monkeypatch has restored the env
