"""The voice agent's settings: validated, saved as revisions with their changes, restorable."""

from __future__ import annotations

import pytest
from sqlmodel import select

from crm_app.db import unit_of_work
from crm_app.models import AuditEvent, Business, Role
from crm_app.services import agent
from crm_app.services.agent_templates import TEMPLATES
from crm_app.services.errors import InvalidInput, NotFound, PermissionDenied
from tests.conftest import Database
from tests.factories import make_tenant


def _settings(**values: object) -> agent.AgentSettings:
    return agent.parse({"instructions": "ענו בנימוס", "greeting": "שלום", **values})


def test_saving_makes_a_new_revision_that_the_business_row_reflects(db: Database) -> None:
    tenant = make_tenant()
    owner = tenant.principal(Role.OWNER)
    with unit_of_work() as session:
        revision = agent.save(session, principal=owner, settings=_settings(voice="cedar"))
    assert revision.number == 2  # revision 1 is what the business had before its first save
    with unit_of_work() as session:
        business = session.get(Business, tenant.id)
        assert business is not None
        assert (business.ai_instructions, business.voice, business.agent_revision) == (
            "ענו בנימוס",
            "cedar",
            2,
        )
        settings, number = agent.get_current(session, principal=owner)
    assert settings.voice == "cedar" and number == 2


def test_each_revision_shows_what_it_changed_and_any_can_be_restored(db: Database) -> None:
    tenant = make_tenant()
    admin = tenant.principal(Role.ADMIN)
    with unit_of_work() as session:
        agent.save(session, principal=admin, settings=_settings(slot_minutes=45))
        agent.save(session, principal=admin, settings=_settings(slot_minutes=45, greeting="היי"))
        restored = agent.restore(session, principal=admin, number=2)
    with unit_of_work() as session:
        history = agent.revisions(session, principal=admin)
        business = session.get(Business, tenant.id)
    assert [r.number for r in history] == [4, 3, 2, 1]
    assert restored.restored_from == 2 and history[0].current and not history[1].current
    assert [(c.field, c.before, c.after) for c in history[0].changes] == [
        ("greeting", "היי", "שלום")
    ]
    assert [c.field for c in history[2].changes] == ["instructions", "greeting", "slot_minutes"]
    assert history[1].author == "admin user"
    assert business is not None and business.greeting == "שלום" and business.slot_minutes == 45


def test_bad_settings_are_refused_with_the_field_named(db: Database) -> None:
    for values, field in (
        ({"voice": "robot"}, "voice"),
        ({"slot_minutes": 2}, "slot_minutes"),
        ({"collect": [{"key": "x-car"}]}, "collect"),  # a field of one's own needs a label
        ({"collect": [{"key": "name"}, {"key": "name"}]}, "collect"),
        ({"surprise": 1}, "surprise"),
    ):
        with pytest.raises(InvalidInput) as refused:
            agent.parse(values)
        assert refused.value.field == field


def test_agents_cannot_see_or_change_the_agent_and_revisions_stay_in_their_business(
    db: Database,
) -> None:
    mine, theirs = make_tenant(), make_tenant()
    with unit_of_work() as session:
        agent.save(session, principal=theirs.principal(Role.OWNER), settings=_settings())
    with pytest.raises(PermissionDenied), unit_of_work() as session:
        agent.save(session, principal=mine.principal(Role.AGENT), settings=_settings())
    with pytest.raises(PermissionDenied), unit_of_work() as session:
        agent.revisions(session, principal=mine.principal(Role.AGENT))
    with pytest.raises(NotFound), unit_of_work() as session:
        agent.restore(session, principal=mine.principal(Role.OWNER), number=2)  # theirs has 2


def test_saves_and_restores_are_audited(db: Database) -> None:
    tenant = make_tenant()
    owner = tenant.principal(Role.OWNER)
    with unit_of_work() as session:
        agent.save(session, principal=owner, settings=_settings())
        agent.restore(session, principal=owner, number=1)
    with unit_of_work() as session:
        events = session.exec(select(AuditEvent).where(AuditEvent.business_id == tenant.id)).all()
    actions = [(e.action, e.details["revision"]) for e in events if e.action.startswith("agent")]
    assert actions == [("agent.update", 2), ("agent.restore", 3)]


def test_every_template_has_hebrew_and_english() -> None:
    assert set(TEMPLATES) == {"clinic", "salon", "garage", "law_office", "real_estate"}
    for kinds in TEMPLATES.values():
        assert set(kinds) == {"he", "en"}
        assert any("\u0590" <= ch <= "\u05ff" for ch in kinds["he"].instructions)
        assert kinds["en"].instructions.isascii()
        for template in kinds.values():  # each makes valid settings
            agent.parse(
                {
                    "instructions": template.instructions,
                    "greeting": template.greeting,
                    "collect": [{"key": k, "label": label} for k, label in template.collect],
                }
            )
