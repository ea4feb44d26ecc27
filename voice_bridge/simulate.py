"""``python -m crm_app simulate-call``: a whole call through the real bridge, no keys needed.

The bridge runs in this process on a local port, against the configured
database, with the bundled fakes standing in for OpenAI (Realtime and HTTP)
and Twilio (media stream and REST). After the call, the fake Twilio finishes
the dual-channel recording and sends its signed callback, and the post-call
pipeline runs here, against the same fakes: the call then appears on the
caller's lead with its recording, transcript, summary and summary note.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from sqlmodel import select
from starlette.applications import Starlette
from starlette.routing import Mount

from crm_app.db import unit_of_work
from crm_app.jobs import ai, hooks, recording
from crm_app.jobs.config import PipelineConfig
from crm_app.jobs.pipeline import run_pipeline
from crm_app.jobs.queue import JobQueue, LocalQueue, use_queue
from crm_app.models import Business, Call
from crm_app.services import accounts
from crm_app.services.errors import DomainError
from crm_app.services.phones import normalize_phone
from voice_bridge import crm
from voice_bridge.app import create_bridge
from voice_bridge.config import BridgeConfig
from voice_bridge.testing.audio import clip, silence
from voice_bridge.testing.fake_openai import FakeRealtime
from voice_bridge.testing.fake_openai_http import FakeOpenAIHttp
from voice_bridge.testing.fake_twilio import FakeTwilioCall
from voice_bridge.testing.fake_twilio_rest import FakeTwilioRest
from voice_bridge.testing.serving import serve

GREETING = {
    "he": "שלום, כאן העוזרת הדיגיטלית. איך אפשר לעזור?",
    "en": "Hello, this is the digital assistant. How can I help?",
}
SCRIPT = {
    "he": (
        "שלום, אני רוצה לקבוע תור לבדיקה",
        "בשמחה, רשמתי את הבקשה ונחזור אליך עם מועד. תודה ולהתראות",
    ),
    "en": (
        "Hello, I would like to book an appointment",
        "Happy to help. We will call you back with a time. Goodbye",
    ),
}


@dataclass(frozen=True)
class Simulated:
    """What the simulation produced."""

    call_id: int
    call_sid: str
    lead_id: int | None
    end_reason: str
    utterances: int
    pipeline: str = ""


def pick_business(phone: str | None) -> Business:
    """The business to call: by its number, or the only (or demo) one."""
    with unit_of_work() as session:
        if phone:
            found = accounts.business_by_phone(session, phone_e164=normalize_phone(phone))
            if found is None:
                raise DomainError(f"no business has the number {phone}")
            return found
        businesses = list(session.exec(select(Business).limit(2)))
    if len(businesses) != 1:
        raise DomainError("there is more than one business (or none): pass --business-phone")
    return businesses[0]


async def simulate(
    *,
    business_phone: str | None = None,
    from_number: str = "+972501234567",
    audio: bytes | None = None,
    after_call: Callable[[FakeTwilioCall, FakeTwilioRest, BridgeConfig], object] | None = None,
) -> Simulated:
    """Place one call through the bridge and wait until it is written to the CRM."""
    business = pick_business(business_phone)
    locale = "en" if business.locale == "en" else "he"
    caller_text, agent_text = SCRIPT[locale]
    fake = FakeRealtime(
        mode="vad",
        reply_audio=clip(f"{locale}_agent"),
        reply_text=agent_text,
        caller_transcripts=[caller_text],
        greeting_text=GREETING[locale],
    )
    openai_url = await fake.start()
    account, token = "AC" + secrets.token_hex(16), secrets.token_hex(16)
    rest = FakeTwilioRest(account_sid=account, auth_token=token)
    http = FakeOpenAIHttp(
        scripts={"caller": [caller_text], "agent": [GREETING[locale], agent_text]},
        default_text=caller_text,
    )
    try:
        async with serve(rest.app()) as rest_url, serve(http.app()) as http_url:
            rest.base_url = rest_url
            config = replace(
                BridgeConfig.from_settings(),
                public_base_url="https://simulator.local",
                openai_base_url=openai_url,
                openai_api_key="sk-simulated",
                twilio_account_sid=account,
                twilio_auth_token=token,
                twilio_api_base_url=rest_url,
            )
            bridge = create_bridge(config)
            jobs = _pipeline_here(config, f"{http_url}/v1")
            async with serve(Starlette(routes=[Mount("/twilio", app=bridge)])) as url:
                rest.deliver_to[config.public_base_url] = url
                call = FakeTwilioCall(
                    base_url=url,
                    public_base_url=config.public_base_url,
                    auth_token=token,
                    account_sid=account,
                    to=business.phone_number,
                    from_=from_number,
                )
                rest.on_hangup[call.call_sid] = lambda: asyncio.get_running_loop().create_task(
                    call.stop()
                )
                await call.place()
                await call.connect()
                await call.listen()  # the caller hears the greeting out, then speaks
                speech = audio or clip(f"{locale}_caller")
                await call.stream(silence(400) + speech + silence(1200))
                await asyncio.wait_for(call.wait_closed(within=30), 35)
                written = await _written(call.call_sid)
                await _twilio_wraps_up(call, rest)
                await asyncio.to_thread(jobs.wait_idle, 120)
                if after_call is not None:
                    after_call(call, rest, config)
    finally:
        await fake.stop()
        _restore_pipeline()
    return replace(written, pipeline=await _pipeline_state(written.call_id))


_previous: list[JobQueue | None] = []


def _pipeline_here(bridge: BridgeConfig, openai_base_url: str) -> LocalQueue:
    """Run the post-call pipeline in this process, against the simulator's fakes."""
    config = replace(
        PipelineConfig.from_settings(),
        twilio_account_sid=bridge.twilio_account_sid,
        twilio_auth_token=bridge.twilio_auth_token,
        twilio_api_base_url=bridge.twilio_api_base_url,
        openai_api_key=bridge.openai_api_key,
        openai_base_url=openai_base_url,
        recording_ready_timeout=10.0,
    )
    queue = LocalQueue(functools.partial(run_pipeline, config=config))
    _previous.append(use_queue(queue))
    hooks.install()
    return queue


def _restore_pipeline() -> None:
    ai.close_clients()  # their connections point at the simulator's fakes
    recording.close_client()
    if hooks.on_call_event in crm.listeners:
        crm.listeners.remove(hooks.on_call_event)
    if _previous:
        use_queue(_previous.pop())


async def _twilio_wraps_up(call: FakeTwilioCall, rest: FakeTwilioRest) -> None:
    """What Twilio does after a call: the final status, then the finished recording."""
    seconds = max(1, round(call.recording_seconds()))
    await call.callback("/twilio/status", {"CallStatus": "completed", "CallDuration": str(seconds)})
    if rest.recording_for(call.call_sid) is not None:
        form = rest.finish_recording(call.call_sid, call.recording_wav(), duration=seconds)
        await rest.send_callback(call.call_sid, form)


async def _pipeline_state(call_id: int) -> str:
    def read() -> str:
        with unit_of_work(read_only=True) as session:
            call = session.get(Call, call_id)
            return str(call.pipeline.get("state", "")) if call is not None else ""

    return await asyncio.to_thread(read)


async def _written(call_sid: str) -> Simulated:
    for _ in range(300):
        with unit_of_work() as session:
            call = session.exec(select(Call).where(Call.call_sid == call_sid)).first()
            if call is not None and call.ended_at is not None and call.id is not None:
                return Simulated(
                    call.id, call_sid, call.lead_id, call.end_reason, len(call.transcript)
                )
        await asyncio.sleep(0.05)
    raise DomainError("the simulated call was not written in time")


def run(business_phone: str | None, from_number: str, audio: Path | None) -> Simulated:
    """Synchronous entry point for the CLI."""
    logging.getLogger("voice_bridge").setLevel(logging.WARNING)
    speech = audio.read_bytes() if audio else None
    return asyncio.run(
        simulate(business_phone=business_phone, from_number=from_number, audio=speech)
    )
