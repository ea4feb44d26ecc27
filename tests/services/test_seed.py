from __future__ import annotations

import pytest
from sqlalchemy import func
from sqlmodel import select

from crm_app.db import unit_of_work
from crm_app.models import Business, Call, Lead, LeadStatus, Note, User
from crm_app.services import seed
from crm_app.services.auth import sign_in
from crm_app.settings import reload_settings
from tests.conftest import Database


@pytest.fixture
def demo_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEMO_MODE", "1")
    reload_settings()


def test_seed_refuses_without_demo_mode(db: Database) -> None:
    with pytest.raises(seed.DemoModeRequired), unit_of_work() as session:
        seed.seed_demo(session)


def test_demo_business_has_users_spread_leads_notes_and_calls(
    db: Database, demo_mode: None
) -> None:
    with unit_of_work() as session:
        for phone in (seed.DEMO_BUSINESS_PHONE, seed.DEMO_EN_BUSINESS_PHONE):
            existing = session.exec(select(Business).where(Business.phone_number == phone)).first()
            if existing is not None:  # the database is shared by this run's tests
                session.delete(existing)
    with unit_of_work() as session:
        login = seed.seed_demo(session)
    with unit_of_work() as session:
        business = session.exec(
            select(Business).where(Business.phone_number == seed.DEMO_BUSINESS_PHONE)
        ).one()
        assert any("\u0590" <= ch <= "\u05ff" for ch in business.name)  # a Hebrew name
        roles = sorted(
            u.role for u in session.exec(select(User).where(User.business_id == business.id))
        )
        assert roles == ["admin", "agent", "owner"]
        per_status = dict(
            session.exec(
                select(LeadStatus.key, func.count(Lead.id))
                .join(Lead, Lead.status_id == LeadStatus.id)
                .where(Lead.business_id == business.id)
                .group_by(LeadStatus.key)
            ).all()
        )
        assert sum(per_status.values()) == 200 and len(per_status) == 7
        sources = session.exec(
            select(func.count(func.distinct(Lead.source))).where(Lead.business_id == business.id)
        ).one()
        assert sources >= 5
        assert (
            session.exec(
                select(func.count()).select_from(Note).where(Note.business_id == business.id)
            ).one()
            > 20
        )
        assert (
            session.exec(
                select(func.count()).select_from(Call).where(Call.business_id == business.id)
            ).one()
            > 20
        )
        phones = session.exec(select(Lead.phone_e164).where(Lead.business_id == business.id)).all()
        assert all(p.startswith("+9725") for p in phones)
    principal, _ = sign_in(email=login.email, password=login.password, ip="127.0.0.50")
    assert principal.business_name == business.name


def test_the_demo_has_an_english_business_beside_the_hebrew_one(
    db: Database, demo_mode: None
) -> None:
    with unit_of_work() as session:
        for phone in (seed.DEMO_BUSINESS_PHONE, seed.DEMO_EN_BUSINESS_PHONE):
            existing = session.exec(select(Business).where(Business.phone_number == phone)).first()
            if existing is not None:
                session.delete(existing)
    with unit_of_work() as session:
        seed.seed_demo(session, leads=30)
    with unit_of_work() as session:
        english = session.exec(
            select(Business).where(Business.phone_number == seed.DEMO_EN_BUSINESS_PHONE)
        ).one()
        leads = session.exec(select(Lead).where(Lead.business_id == english.id)).all()
        summaries = session.exec(select(Call.summary).where(Call.business_id == english.id)).all()
    assert (english.locale, english.timezone, english.default_region) == (
        "en",
        "America/New_York",
        "US",
    )
    assert set(english.business_hours) == {"mon", "tue", "wed", "thu", "fri"}  # a US week
    assert leads and all(lead.phone_e164.startswith("+1") and lead.name.isascii() for lead in leads)
    assert all(s.isascii() for s in summaries)
    # Its voice agent starts from the clinic template, in English.
    assert english.greeting.startswith("Hello, you have reached the clinic")
    assert "clinic" in english.ai_instructions and english.ai_instructions.isascii()
    logins = seed.demo_logins()
    principal, _ = sign_in(email=logins[1].email, password=logins[1].password, ip="127.0.0.51")
    assert principal.business_name == "Bright Smile Dental" and principal.locale == "en"
