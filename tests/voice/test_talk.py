"""``WS /talk``: a signed-in owner's browser speaks to the agent through the bridge.

The server is the real backend (the routes ``make run`` serves beside Reflex),
served on a local port, with the fake Realtime API behind its bridge.
"""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlmodel import select
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import InvalidStatus

from crm_app.api.server import create_backend
from crm_app.db import unit_of_work
from crm_app.models import Call
from crm_app.settings import get_settings
from tests.factories import Tenant, make_tenant
from tests.state.conftest import session_cookie
from tests.voice.conftest import make_config, until
from voice_bridge.app import create_bridge
from voice_bridge.testing.audio import clip, frames, silence
from voice_bridge.testing.fake_openai import FakeRealtime
from voice_bridge.testing.serving import serve

CALLER = "שלום, אני רוצה לקבוע תור לבדיקה"
AGENT = "בשמחה, רשמתי את הבקשה ונחזור אליך עם מועד. תודה ולהתראות"


@pytest.fixture
async def backend_url(db: object) -> AsyncIterator[str]:
    fake = FakeRealtime(
        mode="vad", reply_text=AGENT, caller_transcripts=[CALLER], greeting_text="שלום!"
    )
    openai_url = await fake.start()
    bridge = create_bridge(make_config(openai_url, "http://127.0.0.1:9", record_calls=False))
    try:
        async with serve(create_backend(bridge)) as url:
            yield url.replace("http", "ws", 1) + "/talk"
    finally:
        await fake.stop()


def _headers(tenant: Tenant, role: str = "owner", origin: str | None = None) -> dict[str, str]:
    user = {"owner": tenant.owner, "admin": tenant.admin, "agent": tenant.agent}[role]
    return {"Origin": origin or get_settings().origins[0], "Cookie": session_cookie(user)}


async def _talk(ws: ClientConnection, stream_sid: str) -> None:
    """Speak like the page does: 20 ms mu-law frames, paced, then some silence."""
    for frame in frames(silence(300) + clip("he_caller") + silence(1500)):
        payload = base64.b64encode(frame).decode()
        await ws.send(
            json.dumps({"event": "media", "streamSid": stream_sid, "media": {"payload": payload}})
        )
        await asyncio.sleep(0.005)


async def test_an_owner_talks_to_the_agent_and_the_call_is_kept(backend_url: str) -> None:
    tenant = make_tenant()
    lines: list[dict[str, Any]] = []
    audio = 0
    async with connect(backend_url, additional_headers=_headers(tenant)) as ws:
        start = json.loads(await ws.recv())
        assert start["event"] == "start"
        stream_sid, call_id = start["streamSid"], start["start"]["callId"]
        talking: asyncio.Task[None] | None = None
        async for raw in ws:
            message = json.loads(raw)
            if message["event"] == "media":
                audio += len(base64.b64decode(message["media"]["payload"]))
            elif message["event"] == "mark":  # the page says when it has played up to a mark
                await ws.send(raw)
            elif message["event"] == "line":
                lines.append(message["line"])
                if talking is None:  # the greeting heard out, the owner speaks
                    talking = asyncio.get_running_loop().create_task(_talk(ws, stream_sid))
        assert talking is not None
        talking.cancel()
    assert audio > 8000  # more than a second of the agent's voice came back
    assert [(line["speaker"], line["text"]) for line in lines] == [
        ("agent", "שלום!"),
        ("caller", CALLER),
        ("agent", AGENT),
    ]

    def kept() -> Call | None:
        with unit_of_work(read_only=True) as session:
            return session.exec(select(Call).where(Call.id == call_id)).first()

    await until(lambda: (c := kept()) is not None and c.ended_at is not None)
    call = kept()
    assert call is not None and call.business_id == tenant.id
    assert call.lead_id is None and call.from_number == "browser"
    assert [u["text"] for u in call.realtime_transcript] == [line["text"] for line in lines]


@pytest.mark.parametrize(
    "who",
    ["agent", "no cookie", "foreign origin"],
)
async def test_only_owners_and_admins_of_our_origin_may_talk(backend_url: str, who: str) -> None:
    tenant = make_tenant()
    headers = _headers(tenant, "agent" if who == "agent" else "owner")
    if who == "no cookie":
        del headers["Cookie"]
    if who == "foreign origin":
        headers["Origin"] = "https://evil.example"
    with pytest.raises(InvalidStatus) as refused:
        async with connect(backend_url, additional_headers=headers):
            pass
    assert refused.value.response.status_code == 403
    with unit_of_work(read_only=True) as session:
        assert session.exec(select(Call).where(Call.business_id == tenant.id)).first() is None
