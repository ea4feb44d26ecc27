"""Rule 1: a unit of work commits on success, rolls back on any error, and never
leaves a pooled connection in an aborted transaction."""

from __future__ import annotations

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


def _backend_pid() -> int:
    with unit_of_work() as session:
        return int(session.connection().exec_driver_sql("SELECT pg_backend_pid()").scalar_one())


def test_failed_statement_does_not_poison_the_pooled_connection(db: Database) -> None:
    # One pooled connection only: the next unit of work must get the very
    # connection the unique violation happened on.
    engine = sa.create_engine(db.url, pool_size=1, max_overflow=0, pool_pre_ping=True)
    previous = crm_db.use_engine(engine)
    try:
        phone = unique_landline()
        with unit_of_work() as session:
            session.add(Business(name="first", phone_number=phone))
        failed_on = _backend_pid()
        with pytest.raises(IntegrityError), unit_of_work() as session:
            assert session.connection().exec_driver_sql("SELECT pg_backend_pid()").scalar_one() == (
                failed_on
            )
            session.add(Business(name="duplicate", phone_number=phone))
            session.flush()
        with unit_of_work() as session:
            session.add(Business(name="after the failure", phone_number=unique_landline()))
        assert _backend_pid() == failed_on  # the same server connection, in a usable state
        assert _business_named("after the failure") is not None
    finally:
        crm_db.use_engine(previous)
        engine.dispose()


def test_a_read_only_unit_of_work_refuses_to_write(db: Database) -> None:
    tenant = make_tenant()
    with pytest.raises(sa.exc.InternalError, match="read-only transaction"):
        with unit_of_work(read_only=True) as session:
            session.add(AuditEvent(business_id=tenant.id, action="sneaky", entity="test"))
    with unit_of_work() as session:  # the pooled connection is writable again afterwards
        session.add(AuditEvent(business_id=tenant.id, action="honest", entity="test"))
    with unit_of_work() as session:
        actions = set(
            session.exec(select(AuditEvent.action).where(AuditEvent.business_id == tenant.id))
        )
    assert actions == {"honest"}


def test_a_writer_inside_a_writer_is_its_own_transaction(db: Database) -> None:
    tenant = make_tenant()
    with unit_of_work() as outer:
        outer.add(AuditEvent(business_id=tenant.id, action="outer", entity="test"))
        with unit_of_work(read_only=True) as reader:  # reading alongside is always fine
            assert reader.get(Business, tenant.id) is not None
        with pytest.raises(RuntimeError), unit_of_work() as inner:
            inner.add(AuditEvent(business_id=tenant.id, action="inner", entity="test"))
            inner.flush()
            raise RuntimeError("the inner unit fails")
    with unit_of_work() as session:  # the outer one committed, the inner one did not
        actions = set(
            session.exec(select(AuditEvent.action).where(AuditEvent.business_id == tenant.id))
        )
    assert actions == {"outer"}
