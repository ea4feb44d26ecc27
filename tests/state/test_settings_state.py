"""The pipeline editor: owners and admins change statuses; agents cannot."""

from __future__ import annotations

from crm_app.db import unit_of_work
from crm_app.services import audit, auth
from crm_app.state.settings import SettingsState
from tests.conftest import Database
from tests.factories import make_tenant
from tests.state.conftest import session_cookie, state_for


def _keys(state: SettingsState) -> list[str]:
    return [s.key for s in state.pipeline]


async def test_admin_adds_renames_reorders_and_deletes_statuses(db: Database) -> None:
    tenant = make_tenant()
    state = await state_for(
        SettingsState, path="/settings?section=statuses", cookie=session_cookie(tenant.admin)
    )
    state.load()
    assert _keys(state)[:2] == ["new", "attempting"]
    state.add_status(
        {"label_he": "ממתין לתשלום", "label_en": "Awaiting payment", "color": "orange"}
    )
    assert _keys(state)[-1] == "awaiting_payment" and state.status_error == ""
    added = state.pipeline[-1]
    state.save_pipeline(
        {
            f"label_he-{added.id}": "ממתין",
            f"label_en-{added.id}": "Waiting",
            f"color-{added.id}": "pink",
            f"closed-{added.id}": "on",
        }
    )
    assert state.pipeline[-1].label_en == "Waiting" and state.pipeline[-1].closed
    state.move(added.id, -1)
    assert _keys(state)[-2] == "awaiting_payment"
    state.delete(added.id)
    assert "awaiting_payment" not in _keys(state)
    with unit_of_work(read_only=True) as session:
        principal = auth.principal_for(session, tenant.admin)
        logged = audit.list_events(session, principal=principal, filters=audit.AuditFilters())
    ops = [e.details["op"] for e, _ in logged.rows if e.action == "statuses.change"]
    assert sorted(ops) == ["add", "delete", "move", "update"]


async def test_invalid_status_shows_a_message(db: Database) -> None:
    tenant = make_tenant()
    state = await state_for(
        SettingsState, path="/settings?section=statuses", cookie=session_cookie(tenant.owner)
    )
    state.load()
    state.add_status({"label_he": "", "label_en": "No hebrew", "color": "gray"})
    assert state.status_error == "לסטטוס נדרשים שם בעברית ובאנגלית."


async def test_agents_cannot_change_the_pipeline(db: Database) -> None:
    tenant = make_tenant()
    state = await state_for(
        SettingsState, path="/settings?section=statuses", cookie=session_cookie(tenant.agent)
    )
    state.load()
    before = list(state.pipeline)
    state.add_status({"label_he": "חדש2", "label_en": "New2", "color": "gray"})
    assert state.status_error == "אין לתפקיד שלך הרשאה לפעולה הזו."
    assert state.pipeline == before


async def test_one_save_writes_every_changed_row_and_skips_the_rest(db: Database) -> None:
    tenant = make_tenant()
    state = await state_for(
        SettingsState, path="/settings?section=statuses", cookie=session_cookie(tenant.owner)
    )
    state.load()
    first, second, third = state.pipeline[:3]
    form = {f"label_he-{s.id}": s.label_he for s in state.pipeline}
    form |= {f"label_en-{s.id}": s.label_en for s in state.pipeline}
    form |= {f"color-{s.id}": s.color for s in state.pipeline}
    form |= {f"closed-{s.id}": "on" for s in state.pipeline if s.closed}
    form[f"label_en-{first.id}"] = "Fresh"
    form[f"color-{second.id}"] = "brown"
    state.save_pipeline(form)
    assert state.status_error == ""
    assert state.pipeline[0].label_en == "Fresh" and state.pipeline[1].color == "brown"
    assert state.pipeline[2] == third
    with unit_of_work(read_only=True) as session:
        principal = auth.principal_for(session, tenant.owner)
        logged = audit.list_events(session, principal=principal, filters=audit.AuditFilters())
    saved = [e.details for e, _ in logged.rows if e.action == "statuses.change"]
    assert len(saved) == 1
    assert [c["status_id"] for c in saved[0]["statuses"]] == [first.id, second.id]


async def test_a_bad_row_saves_nothing(db: Database) -> None:
    tenant = make_tenant()
    state = await state_for(
        SettingsState, path="/settings?section=statuses", cookie=session_cookie(tenant.owner)
    )
    state.load()
    first, second = state.pipeline[:2]
    state.save_pipeline(
        {
            f"label_he-{first.id}": first.label_he,
            f"label_en-{first.id}": "Renamed",
            f"label_he-{second.id}": "",
            f"label_en-{second.id}": second.label_en,
        }
    )
    assert state.status_error == "לסטטוס נדרשים שם בעברית ובאנגלית."
    assert state.pipeline[0].label_en == first.label_en
