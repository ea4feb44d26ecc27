"""Rule 1: a unit of work commits on success, rolls back on any error, and never
leaves a pooled connection in an aborted transaction."""

from __future__ import annotations

import time

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from crm_app import db as crm_db
from crm_app.db import unit_of_work
from crm_app.models import AuditEvent, Business
from tests.conftest import Database
from tests.factories import make_tenant, unique_landline


def _business_named(name: str) -> Business | None:
    with unit_of_work() as session:
        return session.exec(select(Business).where(Business.name == name)).first()


def test_unit_of_work_commits_on_success(db: Database) -> None:
    name = f"commit-{unique_landline()}"
    with unit_of_work() as session:
        session.add(Business(name=name, phone_number=unique_landline()))
    assert _business_named(name) is not None


def test_an_exception_anywhere_leaves_nothing_committed(db: Database) -> None:
    name = f"rollback-{unique_landline()}"
    with pytest.raises(RuntimeError), unit_of_work() as session:
        session.add(Business(name=name, phone_number=unique_landline()))
        session.flush()  # the row reached the database inside the transaction
        raise RuntimeError("boom after the insert")
    assert _business_named(name) is None


def test_failed_statement_does_not_poison_the_pooled_connection(db: Database) -> None:
    # One pooled connection only: the next unit of work must get the very
    # connection the unique violation happened on.
    engine = crm_db.build_engine(db.url)
    if db.is_postgres:
        engine = sa.create_engine(db.url, pool_size=1, max_overflow=0, pool_pre_ping=True)
    previous = crm_db.use_engine(engine)
    try:
        phone = unique_landline()
        with unit_of_work() as session:
            session.add(Business(name="first", phone_number=phone))
        with pytest.raises(IntegrityError), unit_of_work() as session:
            session.add(Business(name="duplicate", phone_number=phone))
            session.flush()
        with unit_of_work() as session:
            backend_pid = (
                session.connection()
                .exec_driver_sql("SELECT pg_backend_pid()" if db.is_postgres else "SELECT 1")
                .scalar()
            )
            session.add(Business(name="after the failure", phone_number=unique_landline()))
        with unit_of_work() as session:
            same_pid = (
                session.connection()
                .exec_driver_sql("SELECT pg_backend_pid()" if db.is_postgres else "SELECT 1")
                .scalar()
            )
        assert same_pid == backend_pid
        assert _business_named("after the failure") is not None
    finally:
        crm_db.use_engine(previous)
        engine.dispose()


def test_sqlite_runs_with_wal_and_foreign_keys(db: Database) -> None:
    if db.is_postgres:
        pytest.skip("SQLite pragmas")
    with unit_of_work() as session:
        conn = session.connection()
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_a_writer_inside_a_writer_fails_at_once_on_sqlite_instead_of_waiting(
    db: Database,
) -> None:
    tenant = make_tenant()
    started = time.monotonic()
    with unit_of_work() as outer:
        outer.add(AuditEvent(business_id=tenant.id, action="outer", entity="test"))
        with unit_of_work(read_only=True) as reader:  # reading alongside is always fine
            assert reader.get(Business, tenant.id) is not None
        if db.is_postgres:
            with unit_of_work() as inner:  # Postgres: two transactions, no self-deadlock
                inner.add(AuditEvent(business_id=tenant.id, action="inner", entity="test"))
        else:
            with pytest.raises(RuntimeError, match="already open"), unit_of_work():
                pass
    assert time.monotonic() - started < 5  # not SQLite's 30 s busy timeout
    with unit_of_work() as session:  # and the next unit of work is unaffected
        actions = set(session.exec(select(AuditEvent.action)).all())
    assert "outer" in actions
