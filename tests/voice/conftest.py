"""The bridge served for real (uvicorn on a local port), with the fakes around it."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, replace

import pytest
from starlette.applications import Starlette
from starlette.routing import Mount

from crm_app.db import unit_of_work
from crm_app.models import Business
from crm_app.settings import get_settings
from tests.conftest import Database
from tests.factories import Tenant, make_tenant
from voice_bridge.app import Bridge, create_bridge
from voice_bridge.call import CallSession
from voice_bridge.config import BridgeConfig
from voice_bridge.testing.fake_openai import FakeRealtime
from voice_bridge.testing.fake_twilio import FakeTwilioCall
from voice_bridge.testing.fake_twilio_rest import FakeTwilioRest
from voice_bridge.testing.serving import serve

PUBLIC = "https://crm.test"


@dataclass
class Harness:
    """Everything a voice test touches."""

    url: str
    bridge: Bridge
    openai: FakeRealtime
    rest: FakeTwilioRest
    tenant: Tenant
    config: BridgeConfig

    def caller(self, **kwargs: object) -> FakeTwilioCall:
        call = FakeTwilioCall(
            base_url=self.url,
            public_base_url=PUBLIC,
            auth_token=self.config.twilio_auth_token,
            to=self.tenant.business.phone_number,
            account_sid=self.config.twilio_account_sid,
            **kwargs,
        )  # type: ignore[arg-type]

        def hung_up() -> None:  # Twilio ends the stream after a REST hangup
            asyncio.get_running_loop().create_task(call.stop())

        self.rest.on_hangup[call.call_sid] = hung_up
        return call

    def live(self, call_sid: str) -> CallSession | None:
        """The bridge's session of a call while it is live (what the bridge has seen so far)."""
        session = self.bridge.registry.sessions.get(call_sid)
        assert session is None or isinstance(session, CallSession)
        return session

    async def live_call(self, call_sid: str) -> CallSession:
        """The bridge's session of a call, once the bridge has started it."""
        await until(lambda: self.live(call_sid) is not None)
        session = self.live(call_sid)
        assert session is not None
        return session


def make_config(openai_url: str, rest_url: str, **changes: object) -> BridgeConfig:
    base = BridgeConfig.from_settings(get_settings())
    return replace(
        base,
        public_base_url=PUBLIC,
        openai_base_url=openai_url,
        twilio_api_base_url=rest_url,
        openai_api_key="sk-test",
        **changes,
    )  # type: ignore[arg-type]


@pytest.fixture
def voice_tenant(db: Database) -> Iterator[Tenant]:
    tenant = make_tenant(name="מרפאה קולית")
    yield tenant


@contextlib.asynccontextmanager
async def harness(
    tenant: Tenant, openai: FakeRealtime | None = None, **config: object
) -> AsyncIterator[Harness]:
    fake = openai or FakeRealtime()
    openai_url = await fake.start()
    rest = FakeTwilioRest(
        account_sid=get_settings().twilio_account_sid,
        auth_token=get_settings().twilio_auth_token.get_secret_value(),
    )
    async with serve(rest.app()) as rest_url:
        cfg = make_config(openai_url, rest_url, **config)
        bridge_app = create_bridge(cfg)
        bridge = bridge_app.state.bridge()
        async with serve(Starlette(routes=[Mount("/twilio", app=bridge_app)])) as url:
            try:
                yield Harness(url, bridge, fake, rest, tenant, cfg)
            finally:
                await fake.stop()


def set_business(tenant: Tenant, **fields: object) -> None:
    with unit_of_work() as session:
        business = session.get(Business, tenant.id)
        assert business is not None
        for key, value in fields.items():
            setattr(business, key, value)
        session.add(business)


async def until(predicate: Callable[[], object], within: float = 20.0) -> None:
    """Wait until ``predicate()`` is true (what a test observes from outside)."""
    async with asyncio.timeout(within):
        while not predicate():
            await asyncio.sleep(0.02)
