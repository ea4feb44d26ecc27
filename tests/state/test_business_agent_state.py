"""The Business and Voice agent sections: owners set them up; agents are refused."""

from __future__ import annotations

from crm_app.db import unit_of_work
from crm_app.models import Business
from crm_app.state.agent import AgentState
from crm_app.state.business import BusinessSettingsState
from tests.conftest import Database
from tests.factories import make_tenant
from tests.state.conftest import session_cookie, state_for


def _business(business_id: int | None) -> Business:
    with unit_of_work(read_only=True) as session:
        business = session.get(Business, business_id)
        assert business is not None
        session.expunge(business)
        return business


def _form(state: BusinessSettingsState, **changes: str) -> dict[str, str]:
    return {
        "name": state.name,
        "phone": state.phone,
        "timezone": state.timezone,
        "locale": state.business_locale,
        "region": state.region,
        **changes,
    }


async def test_an_owner_sets_hours_with_two_ranges_and_a_closed_date(db: Database) -> None:
    tenant = make_tenant()
    state = await state_for(
        BusinessSettingsState,
        path="/settings?section=business",
        cookie=session_cookie(tenant.owner),
    )
    state.load()
    assert state.webhooks["voice"].endswith("/twilio/voice")
    friday = next(d for d in state.week if d.key == "fri")
    for _ in friday.ranges:
        state.remove_range("fri", 0)
    state.add_range("fri")
    state.set_time("fri", 0, "start", "08:00")
    state.set_time("fri", 0, "end", "12:00")
    state.add_range("fri")
    state.set_time("fri", 1, "start", "16:00")
    state.set_time("fri", 1, "end", "19:00")
    state.set_pending_date("2026-12-25")
    state.add_closed_date()
    state.save(_form(state, name="מספרת רותי", timezone="Asia/Jerusalem"))

    assert state.error == ""
    saved = _business(tenant.business.id)
    assert saved.name == "מספרת רותי"
    assert saved.business_hours["fri"] == [["08:00", "12:00"], ["16:00", "19:00"]]
    assert saved.closed_dates == ["2026-12-25"]


async def test_overlapping_ranges_are_refused_and_nothing_is_saved(db: Database) -> None:
    tenant = make_tenant()
    state = await state_for(
        BusinessSettingsState,
        path="/settings?section=business",
        cookie=session_cookie(tenant.owner),
    )
    state.load()
    before = _business(tenant.business.id).business_hours
    state.add_range("sun")
    state.add_range("sun")
    state.set_time("sun", 1, "start", "09:30")
    state.save(_form(state, name="שם חדש"))

    assert state.error != ""
    after = _business(tenant.business.id)
    assert after.business_hours == before and after.name != "שם חדש"


async def test_agents_cannot_read_or_change_the_business(db: Database) -> None:
    tenant = make_tenant()
    state = await state_for(
        BusinessSettingsState,
        path="/settings?section=business",
        cookie=session_cookie(tenant.agent),
    )
    state.load()
    assert state.error != "" and state.name == ""
    state.save({"name": "taken over", "phone": "+972501112233", "timezone": "UTC"})
    assert _business(tenant.business.id).name != "taken over"


async def test_a_template_saved_becomes_a_revision_that_can_be_restored(db: Database) -> None:
    tenant = make_tenant(locale="en")
    state = await state_for(
        AgentState, path="/settings?section=agent", cookie=session_cookie(tenant.owner)
    )
    state.load()
    first = state.revision
    original = state.instructions
    state.use_template({"template": "garage"})
    assert "garage" in state.instructions.lower()
    state.set_new_field("Car plate")
    state.add_own_field()
    state.toggle_field("callback_time")
    state.save(
        {
            "instructions": state.instructions,
            "greeting": state.greeting,
            "voice": "cedar",
            "locale": "en",
            "books_appointments": "on",
            "slot_minutes": "45",
            "booking_window_days": "14",
            "min_notice_minutes": "60",
            "silence_seconds": "20",
            "max_call_seconds": "",
        }
    )
    assert state.error == "" and state.revision == first + 1
    business = _business(tenant.business.id)
    assert business.voice == "cedar" and business.slot_minutes == 45
    assert business.silence_seconds == 20 and business.max_call_seconds is None
    assert {"key": "car_plate", "label": "Car plate"} in business.collect_fields
    assert {"key": "callback_time"} not in business.collect_fields

    newest = state.history[0]
    assert newest.current and newest.number == state.revision
    changed = {c.field: c for c in newest.changes}
    assert "Voice" in changed and [line.text for line in changed["Voice"].lines] == [
        "marin",
        "cedar",
    ]
    assert any(line.sign == "+" for line in changed["Instructions"].lines)

    state.restore(first)
    assert state.revision == first + 2 and state.instructions == original
    assert _business(tenant.business.id).voice == "marin"
    assert state.history[0].restored_from == first


async def test_invalid_agent_settings_are_refused_with_a_message(db: Database) -> None:
    tenant = make_tenant()
    state = await state_for(
        AgentState, path="/settings?section=agent", cookie=session_cookie(tenant.admin)
    )
    state.load()
    before = state.revision
    state.save({"instructions": "x", "voice": "nobody", "slot_minutes": "3"})
    assert state.error != "" and state.revision == before
    assert _business(tenant.business.id).ai_instructions != "x"


async def test_agents_cannot_see_or_change_the_voice_agent(db: Database) -> None:
    tenant = make_tenant()
    other = make_tenant()
    state = await state_for(
        AgentState, path="/settings?section=agent", cookie=session_cookie(tenant.agent)
    )
    state.load()
    assert state.error != "" and state.instructions == ""
    state.save({"instructions": "say yes to everything", "voice": "alloy"})
    state.restore(1)
    assert _business(tenant.business.id).ai_instructions != "say yes to everything"
    assert _business(tenant.business.id).agent_revision == 0

    owner_of_other = await state_for(
        AgentState, path="/settings?section=agent", cookie=session_cookie(other.owner)
    )
    owner_of_other.restore(7)  # another business's history is not this one's
    assert owner_of_other.error != ""
