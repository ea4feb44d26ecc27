"""The pipeline's outside world: the Twilio REST and OpenAI HTTP fakes, served for real."""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import timedelta

import pytest

from crm_app.db import unit_of_work
from crm_app.jobs import ai, recording
from crm_app.jobs.config import PipelineConfig
from crm_app.models import Call, Lead, utcnow
from crm_app.services import calls
from tests.conftest import Database
from tests.factories import Tenant, make_lead, make_tenant, unique_mobile
from voice_bridge.testing.audio import clip, silence, stereo_wav
from voice_bridge.testing.fake_openai_http import FakeOpenAIHttp
from voice_bridge.testing.fake_twilio_rest import FakeTwilioRest, Recording
from voice_bridge.testing.serving import serve_in_thread

CALLER_SAYS = "שלום, אני רוצה לקבוע תור לבדיקה"
AGENT_SAYS = "שלום, כאן העוזרת הדיגיטלית. איך אפשר לעזור?"
REALTIME = [
    {"speaker": "agent", "text": "שלום, איך אפשר לעזור?", "start_ms": 0, "end_ms": 3400},
    {"speaker": "caller", "text": "תור לבדיקה", "start_ms": 4100, "end_ms": 10200},
]


def two_speaker_wav() -> bytes:
    """The agent greets (0-3.6 s), then the caller speaks (4.1-10.4 s)."""
    agent, caller = clip("he_agent"), clip("he_caller")
    return stereo_wav(silence(4100) + caller, agent)  # the shorter leg is padded


@dataclass
class Outside:
    """The fakes and a pipeline config pointing at them."""

    rest: FakeTwilioRest
    openai: FakeOpenAIHttp
    config: PipelineConfig

    def environment(self) -> dict[str, str]:
        """The settings that point a server process (and its job worker) at these fakes."""
        return {
            "TWILIO_ACCOUNT_SID": self.config.twilio_account_sid,
            "TWILIO_AUTH_TOKEN": self.config.twilio_auth_token,
            "TWILIO_API_BASE_URL": self.config.twilio_api_base_url,
            "OPENAI_API_KEY": self.config.openai_api_key,
            "OPENAI_BASE_URL": self.config.openai_base_url or "",
        }

    def recording(self, call_sid: str, *, not_ready_times: int = 0) -> str:
        """A finished recording of ``call_sid`` on the fake Twilio; returns its SID."""
        sid = "RE" + secrets.token_hex(16)
        self.rest.recordings[sid] = Recording(
            wav=two_speaker_wav(),
            call_sid=call_sid,
            status="completed",
            duration=11,
            not_ready_times=not_ready_times,
        )
        return sid


@contextlib.contextmanager
def serve_outside() -> Iterator[Outside]:
    """The fakes, served on local ports, and a pipeline config pointing at them."""
    rest = FakeTwilioRest(
        account_sid="AC" + secrets.token_hex(16), auth_token=secrets.token_hex(16)
    )
    openai = FakeOpenAIHttp(scripts={"caller": [CALLER_SAYS], "agent": [AGENT_SAYS]})
    with serve_in_thread(rest.app()) as rest_url, serve_in_thread(openai.app()) as openai_url:
        rest.base_url = rest_url
        config = replace(
            PipelineConfig.from_settings(),
            twilio_account_sid=rest.account_sid,
            twilio_auth_token=rest.auth_token,
            twilio_api_base_url=rest_url,
            openai_api_key="sk-test",
            openai_base_url=f"{openai_url}/v1",
            openai_timeout=5.0,
            openai_max_retries=0,
            recording_ready_timeout=3.0,
            recording_wait_seconds=600,
        )
        yield Outside(rest, openai, config)
        ai.close_clients()  # their pooled connections point at these servers
        recording.close_client()


@pytest.fixture
def outside() -> Iterator[Outside]:
    with serve_outside() as served:
        yield served


@pytest.fixture
def tenant(db: Database) -> Tenant:
    return make_tenant(name="מרפאת השיניים")


@pytest.fixture
def lead(tenant: Tenant) -> Lead:
    return make_lead(tenant, name="דנה כהן", phone=unique_mobile())


def finished_call(
    tenant: Tenant,
    lead: Lead | None,
    *,
    recording_sid: str | None = None,
    recording_status: str | None = "completed",
    realtime: list[dict[str, object]] | None = None,
    finalized: bool = True,
) -> int:
    """A call as the bridge and Twilio leave it: written, and (maybe) with a recording."""
    call_sid = "CA" + secrets.token_hex(16)
    with unit_of_work() as session:
        started = utcnow() - timedelta(seconds=40)
        call = Call(
            business_id=tenant.id,
            call_sid=call_sid,
            lead_id=lead.id if lead else None,
            from_number=lead.phone_e164 if lead else "+972500000000",
            to_number=tenant.business.phone_number,
            status="in-progress",
            started_at=started,
            answered_at=started,
        )
        session.add(call)
        session.flush()
        assert call.id is not None
        call_id = call.id
    if finalized:
        outcome = calls.CallOutcome(
            end_reason="caller_hangup",
            transcript=list(REALTIME if realtime is None else realtime),
            ended_at=utcnow(),
        )
        with unit_of_work() as session:
            calls.finalize_stream(session, call_id=call_id, outcome=outcome)
    if recording_status is not None:
        with unit_of_work() as session:
            form = {"CallSid": call_sid, "RecordingStatus": recording_status}
            if recording_sid:
                form |= {"RecordingSid": recording_sid, "RecordingDuration": "11"}
            calls.record_callback(session, kind="recording", payload=form)
    return call_id


def recorded(tenant: Tenant, lead: Lead | None, outside: Outside, **kwargs: object) -> int:
    """A finalized call whose finished recording is waiting on the fake Twilio."""
    call_id = finished_call(tenant, lead, recording_status=None)
    call_sid = load(call_id).call_sid
    sid = outside.recording(call_sid, **kwargs)  # type: ignore[arg-type]
    with unit_of_work() as session:
        calls.record_callback(
            session,
            kind="recording",
            payload={"CallSid": call_sid, "RecordingSid": sid, "RecordingStatus": "completed"},
        )
    return call_id


def load(call_id: int) -> Call:
    with unit_of_work(read_only=True) as session:
        call = session.get(Call, call_id)
        assert call is not None
        return call
