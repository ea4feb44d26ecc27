"""The embedded PostgreSQL: what ``make run`` and ``make call`` use when no DATABASE_URL is set."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from crm_app import embedded_db
from crm_app.db import build_engine
from tests.conftest import ROOT

pytestmark = pytest.mark.slow


@pytest.fixture
def cluster_dir() -> Iterator[Path]:
    # Under /tmp, not pytest's 0700 directory: as root the server runs as another user.
    root = Path(tempfile.mkdtemp(prefix="crm-embedded-", dir="/tmp"))
    root.chmod(0o755)
    yield root / "postgres"
    embedded_db.EmbeddedPostgres(root / "postgres").stop()
    shutil.rmtree(root, ignore_errors=True)


def _hebrew_trigrams_work(url: str) -> bool:
    engine = build_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
            conn.execute(sa.text("CREATE EXTENSION IF NOT EXISTS btree_gist"))
            conn.execute(sa.text("CREATE EXTENSION IF NOT EXISTS unaccent"))
            ctype = conn.execute(
                sa.text("SELECT datctype FROM pg_database WHERE datname = current_database()")
            ).scalar_one()
            similar = conn.execute(sa.text("SELECT similarity('כהן', 'כהנים')")).scalar_one()
        return bool(ctype.endswith("UTF-8") and similar > 0)
    finally:
        engine.dispose()


def test_the_embedded_server_runs_while_held_and_stops_with_its_last_holder(
    cluster_dir: Path,
) -> None:
    server = embedded_db.EmbeddedPostgres(cluster_dir)
    with embedded_db.held(cluster_dir) as url:
        assert "host=" in url and "127.0.0.1" not in url  # a unix socket, no TCP port
        assert _hebrew_trigrams_work(url)
        with embedded_db.held(cluster_dir) as again:  # a second holder (make call beside make run)
            assert again == url
        assert server.is_running()  # the first holder still holds it
        engine = build_engine(url)
        with engine.begin() as conn:
            conn.execute(sa.text("CREATE TABLE kept (v text)"))
            conn.execute(sa.text("INSERT INTO kept VALUES ('שמור')"))
        engine.dispose()
    assert not server.is_running()
    with embedded_db.held(cluster_dir) as url:  # started again, the data is still there
        engine = build_engine(url)
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT v FROM kept")).scalar_one() == "שמור"
        engine.dispose()
    assert not server.is_running()


def _cli(
    cluster_dir: Path, *args: str, stdin: str = "", **env: str
) -> subprocess.CompletedProcess[str]:
    """``python -m crm_app`` as a fresh checkout runs it: no DATABASE_URL, no SECRET_KEY."""
    clean = {
        k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "SECRET_KEY", "DEMO_MODE")
    }
    clean |= {
        "EMBEDDED_DATABASE_DIR": str(cluster_dir),
        "STORAGE_DIR": str(cluster_dir.parent / "files"),
        **env,
    }
    return subprocess.run(
        [sys.executable, "-m", "crm_app", *args],
        cwd=ROOT,
        env=clean,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def test_make_call_lands_calls_for_the_hebrew_and_the_english_demo(cluster_dir: Path) -> None:
    seeded = _cli(cluster_dir, "seed-demo", DEMO_MODE="1")
    assert seeded.returncode == 0, seeded.stderr
    assert "Bright Smile Dental" in seeded.stdout
    for phone in ("", "+12125550100"):  # the Hebrew demo business by default, then the English
        called = _cli(cluster_dir, "simulate-call", *(["--business-phone", phone] if phone else []))
        assert called.returncode == 0, called.stdout + called.stderr
        assert "ended (agent_goodbye)" in called.stdout, called.stdout
        assert "post-call pipeline: done" in called.stdout, called.stdout
    assert not embedded_db.EmbeddedPostgres(cluster_dir).is_running()  # nobody holds it now


def test_real_data_in_the_embedded_database_needs_a_secret_key(cluster_dir: Path) -> None:
    created = _cli(
        cluster_dir,
        "create-owner",
        "--business",
        "עסק אמיתי",
        "--phone",
        "+97235550166",
        "--email",
        "real@example.com",
        stdin="a-real-password-123\n",
        SECRET_KEY="a-real-secret-key-0123456789",
    )
    assert created.returncode == 0, created.stderr
    refused = _cli(cluster_dir, "simulate-call")
    assert refused.returncode == 1 and "set SECRET_KEY" in refused.stderr


def _readable_by_others(top: Path) -> list[str]:
    """Paths under ``top`` (itself included) that another local user could open."""
    found = []
    for path in (top, *top.rglob("*")):
        mode = path.lstat().st_mode
        if not stat.S_ISLNK(mode) and not stat.S_ISSOCK(mode) and mode & 0o077:
            found.append(f"{oct(mode & 0o777)} {path.relative_to(top.parent)}")
    return found


def test_the_embedded_database_files_are_private_to_the_server(cluster_dir: Path) -> None:
    cluster_dir.mkdir(mode=0o755)  # a directory left world-readable is tightened
    with embedded_db.held(cluster_dir) as url:
        engine = build_engine(url)
        with engine.begin() as conn:
            conn.execute(sa.text("CREATE TABLE secret (v text)"))
            conn.execute(sa.text("INSERT INTO secret VALUES ('x')"))
        engine.dispose()
        assert _readable_by_others(cluster_dir) == []
    assert _readable_by_others(cluster_dir) == []
