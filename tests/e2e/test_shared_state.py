"""With ``REFLEX_REDIS_URL``, two server processes share tabs: a tab loaded through one goes on
working through the other."""

from __future__ import annotations

import asyncio

import pytest
from sqlmodel import select

from crm_app.db import unit_of_work
from crm_app.models import Lead
from crm_app.state.lead_actions import BulkState
from crm_app.state.leads import LeadsState
from tests.e2e.test_security import cookie_of
from tests.factories import make_lead, make_tenant
from tests.live import LiveServer
from tests.socket_tab import Tab, handler_name

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


async def test_a_tab_loaded_through_one_server_goes_on_working_through_the_other(
    pair: tuple[LiveServer, LiveServer],
) -> None:
    one, two = pair
    tenant = make_tenant()
    lead = make_lead(tenant, name="ליד משותף")
    cookie = await asyncio.to_thread(cookie_of, one, tenant)  # signed in through one

    tab = Tab(one.url)
    await tab.open("/leads", cookie=cookie)
    await tab.hydrated()
    await tab.send(handler_name(LeadsState, "toggle_row"), "/leads", lead_id=lead.id)
    await tab.until(lambda t: f'"selected_rx_state_": [{lead.id}]' in t.text())
    await tab.close()

    tab.base_url = two.url  # the same tab (token and cookie), now served by the other process
    await tab.open("/", cookie=cookie)
    await tab.hydrated()
    assert f'"selected_rx_state_": [{lead.id}]' in tab.text()  # the selection made through one
    await tab.send(handler_name(BulkState, "assign_selected"), "/leads", owner=str(tenant.owner.id))
    async with asyncio.timeout(20):
        while await asyncio.to_thread(_owner_of, lead.id) != tenant.owner.id:
            await asyncio.sleep(0.05)
    await tab.close()


def _owner_of(lead_id: int | None) -> int | None:
    with unit_of_work() as session:
        return session.exec(select(Lead.owner_id).where(Lead.id == lead_id)).one()
