"""Rule 2: Alembic is the only way the schema changes, and it never drifts.

Each test migrates a fresh database.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

import crm_app.models  # noqa: F401
from crm_app.db import build_engine
from crm_app.migrate import current_revision, head_revision, include_object, upgrade_to_head
from tests.conftest import PostgresServer

RECORDING_COLUMNS = ("audio_bytes_len", "audio_duration_sec", "transcript_source")


@pytest.fixture
def fresh(postgres: PostgresServer) -> Iterator[Engine]:
    engine = build_engine(postgres.create("crm_migrate"))
    yield engine
    engine.dispose()


def _drift(engine: Engine) -> list[object]:
    with engine.connect() as conn:
        context = MigrationContext.configure(
            conn,
            opts={
                "compare_type": True,
                "include_object": include_object,
            },
        )
        return list(compare_metadata(context, SQLModel.metadata))


def _schema(engine: Engine) -> dict[str, list[tuple[str, str, bool]]]:
    inspector = sa.inspect(engine)
    return {
        table: sorted(
            (c["name"], str(c["type"]), bool(c["nullable"])) for c in inspector.get_columns(table)
        )
        for table in sorted(inspector.get_table_names())
    }


def test_migrated_schema_equals_the_models(fresh: Engine) -> None:
    upgrade_to_head(fresh)
    assert _drift(fresh) == []
    assert current_revision(fresh) == head_revision()


def test_upgrading_twice_is_a_no_op(fresh: Engine) -> None:
    upgrade_to_head(fresh)
    before = _schema(fresh)
    upgrade_to_head(fresh)
    assert _schema(fresh) == before
    assert current_revision(fresh) == head_revision()


def _insert_baseline_rows(engine: Engine) -> None:
    now = datetime.now(UTC)
    business = {
        "id": 1,
        "name": "עסק ותיק",
        "phone_number": "+97235550199",
        "locale": "he",
        "timezone": "Asia/Jerusalem",
        "default_region": "IL",
        "created_at": now,
    }
    status = {
        "id": 1,
        "business_id": 1,
        "key": "new",
        "label_he": "חדש",
        "label_en": "New",
        "position": 0,
        "color": "blue",
        "is_closed": False,
        "is_default": True,
    }
    lead = {
        "id": 1,
        "business_id": 1,
        "name": "ליד ותיק",
        "phone_e164": "+972521234567",
        "phone_digits": "972521234567",
        "email": "",
        "city": "",
        "source": "manual",
        "status_id": 1,
        "created_at": now,
        "updated_at": now,
    }
    note = {
        "id": 1,
        "business_id": 1,
        "lead_id": 1,
        "kind": "manual",
        "text": "הערה",
        "attachments": "[]",
        "version": 1,
        "created_at": now,
        "updated_at": now,
    }
    call = {
        "id": 1,
        "business_id": 1,
        "call_sid": "CAold",
        "direction": "inbound",
        "from_number": "+972521234567",
        "to_number": "+97235550199",
        "status": "completed",
        "end_reason": "hangup",
        "lead_id": 1,
        "transcript": "[]",
        "summary": "סיכום",
        "created_at": now,
        "updated_at": now,
    }
    with engine.begin() as conn:
        for table, row in (
            ("business", business),
            ("lead_status", status),
            ("lead", lead),
            ("note", note),
            ("call", call),
        ):
            names = ", ".join(row)
            values = ", ".join(f":{k}" for k in row)
            conn.execute(sa.text(f"INSERT INTO {table} ({names}) VALUES ({values})"), row)


def test_baseline_database_with_rows_upgrades_intact(fresh: Engine) -> None:
    upgrade_to_head(fresh, "0001")
    columns = {c["name"] for c in sa.inspect(fresh).get_columns("call")}
    assert not columns & set(RECORDING_COLUMNS)  # the baseline predates them
    _insert_baseline_rows(fresh)

    upgrade_to_head(fresh)

    with fresh.connect() as conn:
        row = conn.execute(
            sa.text(
                "SELECT call_sid, summary, audio_bytes_len, audio_duration_sec, transcript_source "
                "FROM call WHERE id = 1"
            )
        ).one()
        assert tuple(row) == ("CAold", "סיכום", None, None, None)
        assert (
            conn.execute(sa.text("SELECT name FROM business WHERE id = 1")).scalar() == "עסק ותיק"
        )
        # Rebuilding a table on SQLite must not cascade into the rows that point at it.
        assert conn.execute(sa.text("SELECT name FROM lead WHERE id = 1")).scalar() == "ליד ותיק"
        assert conn.execute(sa.text("SELECT text FROM note WHERE id = 1")).scalar() == "הערה"
        assert conn.execute(sa.text("SELECT lead_id FROM call WHERE id = 1")).scalar() == 1
    assert _drift(fresh) == []


@pytest.mark.parametrize("hand_added", RECORDING_COLUMNS)
def test_a_column_added_by_hand_upgrades_cleanly(fresh: Engine, hand_added: str) -> None:
    upgrade_to_head(fresh, "0001")
    ddl = {"audio_bytes_len": "INTEGER", "audio_duration_sec": "REAL", "transcript_source": "TEXT"}
    with fresh.begin() as conn:
        conn.execute(sa.text(f"ALTER TABLE call ADD COLUMN {hand_added} {ddl[hand_added]}"))
    _insert_baseline_rows(fresh)

    upgrade_to_head(fresh)

    columns = {c["name"] for c in sa.inspect(fresh).get_columns("call")}
    assert set(RECORDING_COLUMNS) <= columns
    assert _drift(fresh) == []
    with fresh.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM call")).scalar() == 1


def test_all_three_columns_already_present_upgrades_cleanly(fresh: Engine) -> None:
    upgrade_to_head(fresh, "0001")
    with fresh.begin() as conn:
        for name, ddl in (
            ("audio_bytes_len", "BIGINT"),
            ("audio_duration_sec", "DOUBLE PRECISION"),
            ("transcript_source", "VARCHAR(32)"),
        ):
            conn.execute(sa.text(f"ALTER TABLE call ADD COLUMN {name} {ddl}"))
    upgrade_to_head(fresh)
    assert _drift(fresh) == []


def test_recording_columns_have_exact_postgres_types(fresh: Engine) -> None:
    upgrade_to_head(fresh)
    with fresh.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT column_name, data_type, character_maximum_length"
                " FROM information_schema.columns WHERE table_name = 'call'"
                " AND column_name IN :names ORDER BY column_name"
            ).bindparams(sa.bindparam("names", expanding=True)),
            {"names": list(RECORDING_COLUMNS)},
        ).all()
    assert [tuple(r) for r in rows] == [
        ("audio_bytes_len", "bigint", None),
        ("audio_duration_sec", "double precision", None),
        ("transcript_source", "character varying", 32),
    ]


def test_postgres_database_is_utf8_for_hebrew_trigrams(fresh: Engine) -> None:
    with fresh.connect() as conn:
        assert conn.execute(sa.text("SHOW server_encoding")).scalar() == "UTF8"
        assert (
            conn.execute(
                sa.text("SELECT datctype FROM pg_database WHERE datname = current_database()")
            )
            .scalar()
            .endswith("UTF-8")
        )
