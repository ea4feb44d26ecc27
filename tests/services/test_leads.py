"""Lead creation, edits, statuses with history and audit, bulk actions, status settings."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlmodel import select

from crm_app.db import unit_of_work
from crm_app.models import AuditEvent, Lead, LeadStatus, LeadStatusChange
from crm_app.services import leads, statuses
from crm_app.services.errors import Conflict, InvalidInput, NotFound
from crm_app.services.leads import LeadChanges
from tests.conftest import Database
from tests.factories import make_lead, make_tenant


def _status_id(tenant_id: int, key: str) -> int:
    with unit_of_work(read_only=True) as session:
        status_id = statuses.status_by_key(session, business_id=tenant_id, key=key).id
    assert status_id is not None
    return status_id


def test_new_lead_gets_e164_digits_and_the_default_status(db: Database) -> None:
    tenant = make_tenant()
    lead = make_lead(tenant, name="  דנה   כהן ", phone="054-1234567", email="Dana@Example.com")
    assert (lead.name, lead.phone_e164, lead.phone_digits, lead.email) == (
        "דנה כהן",
        "+972541234567",
        "972541234567",
        "dana@example.com",
    )
    assert lead.status_id == _status_id(tenant.id, "new")


def test_a_duplicate_phone_links_to_the_existing_lead(db: Database) -> None:
    tenant = make_tenant()
    first = make_lead(tenant, phone="0541234567")
    with pytest.raises(Conflict) as conflict:
        make_lead(tenant, phone="+972 54 123 4567")
    assert conflict.value.existing_id == first.id
    other = make_tenant()
    assert make_lead(other, phone="0541234567").id != first.id  # another business may have it


def test_invalid_phone_and_email_are_refused(db: Database) -> None:
    tenant = make_tenant()
    with pytest.raises(InvalidInput) as error:
        make_lead(tenant, phone="12345")
    assert error.value.field == "phone"
    with pytest.raises(InvalidInput):
        make_lead(tenant, email="not-an-email")


def test_unique_phone_holds_in_the_database_too(db: Database) -> None:
    tenant = make_tenant()
    lead = make_lead(tenant)
    with pytest.raises(sa.exc.IntegrityError), unit_of_work() as session:
        session.add(
            Lead(
                business_id=tenant.id,
                phone_e164=lead.phone_e164,
                phone_digits=lead.phone_digits,
                status_id=lead.status_id,
            )
        )


def test_update_validates_and_keeps_phones_unique(db: Database) -> None:
    tenant = make_tenant()
    a, b = make_lead(tenant), make_lead(tenant)
    with unit_of_work() as session:
        updated = leads.update_lead(
            session,
            principal=tenant.principal(),
            lead_id=a.id,
            changes=LeadChanges(name="שם חדש", city="חיפה", owner_id=tenant.agent.id),
        )
        assert (updated.name, updated.city, updated.owner_id) == ("שם חדש", "חיפה", tenant.agent.id)
    with pytest.raises(Conflict), unit_of_work() as session:
        leads.update_lead(
            session,
            principal=tenant.principal(),
            lead_id=a.id,
            changes=LeadChanges(phone=b.phone_e164),
        )
    other = make_tenant()
    with pytest.raises(InvalidInput), unit_of_work() as session:  # an owner from another business
        leads.update_lead(
            session,
            principal=tenant.principal(),
            lead_id=a.id,
            changes=LeadChanges(owner_id=other.agent.id),
        )
    with pytest.raises(NotFound), unit_of_work() as session:
        leads.update_lead(
            session, principal=other.principal(), lead_id=a.id, changes=LeadChanges(name="x")
        )


def test_status_change_writes_history_and_audit_in_one_transaction(db: Database) -> None:
    tenant = make_tenant()
    lead = make_lead(tenant)
    contacted = _status_id(tenant.id, "contacted")
    with unit_of_work() as session:
        row = session.get(Lead, lead.id)
        assert row is not None
        leads.change_status(session, principal=tenant.principal(), lead=row, status_id=contacted)
    with unit_of_work() as session:
        change = session.exec(
            select(LeadStatusChange).where(LeadStatusChange.lead_id == lead.id)
        ).one()
        assert (change.from_status_id, change.to_status_id, change.changed_by_id) == (
            lead.status_id,
            contacted,
            tenant.owner.id,
        )
        event = session.exec(
            select(AuditEvent).where(
                AuditEvent.entity_id == lead.id, AuditEvent.action == "lead.status"
            )
        ).one()
        assert event.details["to"] == "contacted"


def test_closed_status_needs_a_reason_and_nothing_is_half_written(db: Database) -> None:
    tenant = make_tenant()
    lead = make_lead(tenant)
    lost = _status_id(tenant.id, "lost")
    with pytest.raises(InvalidInput) as error, unit_of_work() as session:
        row = session.get(Lead, lead.id)
        assert row is not None
        leads.change_status(session, principal=tenant.principal(), lead=row, status_id=lost)
    assert error.value.field == "reason"
    with unit_of_work() as session:
        assert session.get(Lead, lead.id).status_id == lead.status_id  # type: ignore[union-attr]
        assert (
            session.exec(select(LeadStatusChange).where(LeadStatusChange.lead_id == lead.id)).all()
            == []
        )


def test_another_business_status_is_refused(db: Database) -> None:
    tenant, other = make_tenant(), make_tenant()
    lead = make_lead(tenant)
    with pytest.raises(InvalidInput), unit_of_work() as session:
        row = session.get(Lead, lead.id)
        assert row is not None
        leads.change_status(
            session,
            principal=tenant.principal(),
            lead=row,
            status_id=_status_id(other.id, "contacted"),
        )


def test_bulk_actions_touch_only_the_business_leads(db: Database) -> None:
    tenant, other = make_tenant(), make_tenant()
    mine = [make_lead(tenant).id for _ in range(3)]
    foreign = make_lead(other).id
    with unit_of_work() as session:
        changed = leads.bulk_change_status(
            session,
            principal=tenant.principal(),
            lead_ids=[*mine, foreign],
            status_id=_status_id(tenant.id, "lost"),
            reason="no budget",
        )
        assigned = leads.bulk_assign(
            session,
            principal=tenant.principal(),
            lead_ids=[*mine, foreign],
            owner_id=tenant.agent.id,
        )
    assert changed == 3 and assigned == 3
    with unit_of_work() as session:
        untouched = session.get(Lead, foreign)
        assert untouched is not None and untouched.owner_id is None
        owners = session.exec(select(Lead.owner_id).where(Lead.id.in_(mine))).all()  # type: ignore[union-attr]
        assert set(owners) == {tenant.agent.id}


def test_statuses_are_configurable(db: Database) -> None:
    tenant = make_tenant()
    with unit_of_work() as session:
        added = statuses.add_status(
            session,
            business_id=tenant.id,
            label_he="ממתין למסמכים",
            label_en="Waiting for documents",
            color="orange",
        )
        assert added.key == "waiting_for_documents"
        assert added.position == len(statuses.DEFAULT_STATUSES)
        assert added.id is not None
        statuses.update_status(
            session,
            business_id=tenant.id,
            status_id=added.id,
            label_he="ממתין",
            label_en="Waiting",
            color="pink",
            is_closed=False,
        )
        statuses.move_status(session, business_id=tenant.id, status_id=added.id, offset=-1)
    with unit_of_work() as session:
        keys = [s.key for s in statuses.list_statuses(session, business_id=tenant.id)]
        assert keys[-2:] == ["waiting_for_documents", "unqualified"]
        with pytest.raises(InvalidInput):
            statuses.add_status(session, business_id=tenant.id, label_he="", label_en="x")
        with pytest.raises(InvalidInput):
            statuses.add_status(
                session, business_id=tenant.id, label_he="א", label_en="b", color="neon"
            )


def test_a_status_in_use_cannot_be_deleted(db: Database) -> None:
    tenant = make_tenant()
    lead = make_lead(tenant)
    contacted = _status_id(tenant.id, "contacted")
    with unit_of_work() as session:
        row = session.get(Lead, lead.id)
        assert row is not None
        leads.change_status(session, principal=tenant.principal(), lead=row, status_id=contacted)
    with pytest.raises(Conflict), unit_of_work() as session:
        statuses.delete_status(session, business_id=tenant.id, status_id=contacted)
    with pytest.raises(InvalidInput), unit_of_work() as session:  # the default status stays
        statuses.delete_status(
            session, business_id=tenant.id, status_id=_status_id(tenant.id, "new")
        )
    with unit_of_work() as session:
        statuses.delete_status(
            session, business_id=tenant.id, status_id=_status_id(tenant.id, "qualified")
        )
    with unit_of_work() as session:
        rows = statuses.list_statuses(session, business_id=tenant.id)
        assert "qualified" not in [s.key for s in rows]
        assert [s.position for s in rows] == list(range(len(rows)))
        assert session.exec(select(LeadStatus).where(LeadStatus.business_id == tenant.id)).all()


def test_hebrew_trigrams_work_in_the_test_database(db: Database) -> None:
    with unit_of_work() as session:
        trigrams = session.connection().exec_driver_sql("SELECT show_trgm('כהן')").scalar()
    assert trigrams  # a C ctype would give {} and make Hebrew search scan everything
