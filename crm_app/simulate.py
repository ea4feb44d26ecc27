"""``python -m crm_app simulate-call``: a whole call through the real bridge, no keys needed.

The bridge runs in this process on a local port, against the configured
database, with the bundled fakes standing in for OpenAI (Realtime and HTTP)
and Twilio (media stream and REST). After the call, the fake Twilio finishes
the dual-channel recording and sends its signed callback, and the post-call
pipeline runs as procrastinate jobs on a queue of this process's own, worked
here against the same fakes (a server's workers, which talk to the real
services, never see them): the call then appears on the caller's lead with its
recording, transcript, summary and summary note.

This module is a composition root, like the server: it wires the bridge, the
job queue and the fakes together. Nothing in the application imports it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlmodel import select
from starlette.applications import Starlette
from starlette.routing import Mount

from crm_app.db import database_url, unit_of_work
from crm_app.jobs import config as jobs_config
from crm_app.jobs import hooks, queue, worker
from crm_app.jobs.config import PipelineConfig
from crm_app.models import Business, Call
from crm_app.services import accounts, agent, seed
from crm_app.services.agent import AgentSettings
from crm_app.services.errors import DomainError
from crm_app.services.phones import normalize_phone
from crm_app.settings import get_settings
from voice_bridge.app import create_bridge
from voice_bridge.config import BridgeConfig
from voice_bridge.crm import CallLines, no_lines
from voice_bridge.testing.audio import clip, silence
from voice_bridge.testing.fake_openai import FakeRealtime
from voice_bridge.testing.fake_openai_http import FakeOpenAIHttp
from voice_bridge.testing.fake_twilio import FakeTwilioCall
from voice_bridge.testing.fake_twilio_rest import FakeTwilioRest
from voice_bridge.testing.serving import serve

CALLER = {"he": "+972501234567", "en": "+12125550147"}  # a caller from the business's country
GREETING = {
    "he": "שלום, כאן העוזרת הדיגיטלית. איך אפשר לעזור?",
    "en": "Hello, this is the digital assistant. How can I help?",
}
SCRIPT = {
    "he": (
        "שלום, כאן דנה לוי. אני רוצה לקבוע תור לבדיקה, תחזרו אליי מחר בעשר",
        "בשמחה, רשמתי את הבקשה ונחזור אליך עם מועד. תודה ולהתראות",
    ),
    "en": (
        "Hello, this is Dana Levi. I would like to book a check-up, call me back tomorrow at ten",
        "Happy to help. We will call you back with a time. Goodbye",
    ),
}
# What the summary model reads out of that conversation (its structured output).
HEARD = {
    "he": {"name": "דנה לוי", "reason": "קביעת תור לבדיקה"},
    "en": {"name": "Dana Levi", "reason": "Booking a check-up"},
}


def heard_fields(locale: str, timezone: str, now: datetime | None = None) -> dict[str, object]:
    """The lead fields the script tells: a name, a reason, and a callback tomorrow at ten."""
    local = (now or datetime.now(UTC)).astimezone(ZoneInfo(timezone))
    tomorrow = local.date() + timedelta(days=1)
    return {
        **HEARD[locale],
        "wants_callback": True,
        "resolved": False,
        "callback_time": f"{tomorrow.isoformat()}T10:00",
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
    """The business to call: by its number, else the only one, else the demo's first."""
    with unit_of_work() as session:
        if phone:
            found = accounts.business_by_phone(session, phone_e164=normalize_phone(phone))
            if found is None:
                raise DomainError(f"no business has the number {phone}")
            return found
        businesses = list(session.exec(select(Business).limit(2)))
        demo = accounts.business_by_phone(session, phone_e164=seed.DEMO_BUSINESS_PHONE)
    if len(businesses) == 1:
        return businesses[0]
    if demo is not None:
        return demo
    raise DomainError("there is more than one business (or none): pass --business-phone")


async def simulate(
    *,
    business_phone: str | None = None,
    from_number: str | None = None,
    audio: bytes | None = None,
    after_call: Callable[[FakeTwilioCall, FakeTwilioRest, BridgeConfig], object] | None = None,
    heard: CallLines = no_lines,
    draft: AgentSettings | None = None,
) -> Simulated:
    """Place one call through the bridge and wait until it is written to the CRM.

    ``heard`` hears each line of the conversation as it is said; ``draft``
    answers instead of the business's saved agent (a test call of unsaved
    settings). The fake agent greets with the agent's greeting, in its language.
    """
    business = pick_business(business_phone)
    settings = draft or agent.current(business)
    locale = settings.locale or ("en" if business.locale == "en" else "he")
    greeting = settings.greeting.strip() or GREETING[locale]
    from_number = from_number or CALLER[locale]
    caller_text, agent_text = SCRIPT[locale]
    fake = FakeRealtime(
        mode="vad",
        reply_audio=clip(f"{locale}_agent"),
        reply_text=agent_text,
        caller_transcripts=[caller_text],
        greeting_text=greeting,
    )
    openai_url = await fake.start()
    account, token = "AC" + secrets.token_hex(16), secrets.token_hex(16)
    rest = FakeTwilioRest(account_sid=account, auth_token=token)
    http = FakeOpenAIHttp(
        scripts={"caller": [caller_text], "agent": [greeting, agent_text]},
        default_text=caller_text,
        extraction=heard_fields(locale, business.timezone),
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
            async with _pipeline_here(config, f"{http_url}/v1") as jobs:
                bridge = create_bridge(config, events=hooks.on_call_event, heard=heard, draft=draft)
                written = await _place_call(
                    bridge, business, config, rest, from_number, audio or clip(f"{locale}_caller")
                )
                state = await jobs.settled(written.call_id, within=120)
                if after_call is not None:
                    after_call(*written.parts)
    finally:
        await fake.stop()
    return replace(written.result, pipeline=state)


@dataclass(frozen=True)
class _Placed:
    """A finished simulated call, and the fakes that took part (for tests' checks)."""

    result: Simulated
    parts: tuple[FakeTwilioCall, FakeTwilioRest, BridgeConfig]

    @property
    def call_id(self) -> int:
        return self.result.call_id


async def _place_call(
    bridge: Starlette,
    business: Business,
    config: BridgeConfig,
    rest: FakeTwilioRest,
    from_number: str,
    speech: bytes,
) -> _Placed:
    """Ring the business through the bridge, talk, hang up, and let Twilio wrap up."""
    async with serve(Starlette(routes=[Mount("/twilio", app=bridge)])) as url:
        rest.deliver_to[config.public_base_url] = url
        call = FakeTwilioCall(
            base_url=url,
            public_base_url=config.public_base_url,
            auth_token=config.twilio_auth_token,
            account_sid=config.twilio_account_sid,
            to=business.phone_number,
            from_=from_number,
        )
        rest.on_hangup[call.call_sid] = lambda: asyncio.get_running_loop().create_task(call.stop())
        await call.place()
        await call.connect()
        await call.listen()  # the caller hears the greeting out, then speaks
        await call.stream(silence(400) + speech + silence(1200))
        await asyncio.wait_for(call.wait_closed(within=30), 35)
        written = await _written(call.call_sid)
        await _twilio_wraps_up(call, rest)
    return _Placed(written, (call, rest, config))


class _PipelineHere:
    """The post-call pipeline of simulated calls: a private queue, worked in this process."""

    def __init__(self, config: PipelineConfig) -> None:
        self.config = config
        self.name = f"simulated-{secrets.token_hex(4)}"
        self.queue = queue.ProcrastinateQueue(database_url(), queue=self.name)

    async def __aenter__(self) -> _PipelineHere:
        self._previous = (queue.use_queue(self.queue), jobs_config.use_config(self.config))
        self._worker = asyncio.get_running_loop().create_task(
            worker.work(
                database_url(),
                get_settings(),
                queues=[self.name],
                install_signal_handlers=False,
            )
        )
        return self

    async def settled(self, call_id: int, *, within: float) -> str:
        """Wait until the call's pipeline is done or failed (or ``within`` seconds pass)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while (state := await _pipeline_state(call_id)) not in ("done", "failed"):
            if self._worker.done():
                self._worker.result()  # the worker's own failure, if it had one
                return state
            if loop.time() > deadline:
                return state
            await asyncio.sleep(0.1)
        return state

    async def __aexit__(self, *_: object) -> None:
        self._worker.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._worker
        await asyncio.to_thread(self._forget_waiting_jobs)
        self.queue.close()
        previous_queue, previous_config = self._previous
        queue.use_queue(previous_queue)
        jobs_config.use_config(previous_config)

    def _forget_waiting_jobs(self) -> None:
        """Drop the late "go on without a recording" run: no worker will ever take this queue."""
        manager = self.queue.app().job_manager
        for job in manager.list_jobs(queue=self.name, status="todo"):
            assert job.id is not None
            manager.cancel_job_by_id(job.id, delete_job=True)


def _pipeline_here(bridge: BridgeConfig, openai_base_url: str) -> _PipelineHere:
    """Run the post-call pipeline here, against the simulator's fakes."""
    config = replace(
        PipelineConfig.from_settings(),
        twilio_account_sid=bridge.twilio_account_sid,
        twilio_auth_token=bridge.twilio_auth_token,
        twilio_api_base_url=bridge.twilio_api_base_url,
        openai_api_key=bridge.openai_api_key,
        openai_base_url=openai_base_url,
        recording_ready_timeout=10.0,
    )
    return _PipelineHere(config)


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


def run(
    business_phone: str | None,
    from_number: str | None,
    audio: Path | None,
    heard: CallLines = no_lines,
    draft: AgentSettings | None = None,
) -> Simulated:
    """Synchronous entry point for the CLI."""
    logging.getLogger("voice_bridge").setLevel(logging.WARNING)
    speech = audio.read_bytes() if audio else None
    return asyncio.run(
        simulate(
            business_phone=business_phone,
            from_number=from_number,
            audio=speech,
            heard=heard,
            draft=draft,
        )
    )
