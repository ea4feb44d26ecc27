"""The HTTP fakes speak the real APIs: checked with the openai and twilio SDKs' own types."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import httpx
import openai
import pytest
from openai import OpenAI
from openai.types.audio import Transcription, TranscriptionVerbose
from openai.types.chat import ChatCompletion
from twilio.rest import Client

from crm_app.jobs.audio import probe
from voice_bridge.testing.audio import clip, silence, stereo_wav
from voice_bridge.testing.fake_openai_http import FakeOpenAIHttp
from voice_bridge.testing.fake_twilio_rest import FakeTwilioRest
from voice_bridge.testing.serving import serve_in_thread

WAV = stereo_wav(clip("he_caller")[:8000], silence(1000))


@pytest.fixture
def openai_fake() -> Iterator[tuple[FakeOpenAIHttp, str]]:
    fake = FakeOpenAIHttp(scripts={"caller": ["שלום"]}, recommend="qualified", confidence=0.7)
    with serve_in_thread(fake.app()) as url:
        yield fake, f"{url}/v1"


def test_transcriptions_have_the_real_shapes_in_every_format(
    openai_fake: tuple[FakeOpenAIHttp, str],
) -> None:
    fake, url = openai_fake
    raw = OpenAI(api_key="sk-test", base_url=url, max_retries=0).with_raw_response
    for fmt, model in (("json", Transcription), ("verbose_json", TranscriptionVerbose)):
        response = raw.audio.transcriptions.create(
            file=("CA1-caller-000.wav", WAV, "audio/wav"),
            model="whisper-1" if fmt == "verbose_json" else "gpt-4o-transcribe",
            language="he",
            response_format=fmt,  # type: ignore[arg-type]
        )
        model.model_validate(response.http_response.json(), strict=False)
        assert response.http_response.json()["text"] == "שלום"
    assert [t["language"] for t in fake.transcriptions] == ["he", "he"]


def test_chat_completions_have_the_real_shape_and_answer_the_json_asked_for(
    openai_fake: tuple[FakeOpenAIHttp, str],
) -> None:
    fake, url = openai_fake
    client = OpenAI(api_key="sk-test", base_url=url, max_retries=0)
    response = client.chat.completions.with_raw_response.create(
        model="gpt-4o-mini",
        messages=[
            {"role": "system", "content": "סכם בעברית"},
            {"role": "user", "content": "[00:01] לקוח: אני רוצה תור"},
        ],
        response_format={"type": "json_object"},
    )
    completion = ChatCompletion.model_validate(response.http_response.json())
    assert completion.choices[0].finish_reason == "stop"
    answer = completion.choices[0].message.content or ""
    assert '"recommended_status": "qualified"' in answer and "אני רוצה תור" in answer


def test_faults_on_demand_reach_the_sdk_as_its_own_errors(
    openai_fake: tuple[FakeOpenAIHttp, str],
) -> None:
    fake, url = openai_fake
    fake.transcription_failures, fake.chat_delay = 1, 3.0
    client = OpenAI(api_key="sk-test", base_url=url, max_retries=0, timeout=30)
    with pytest.raises(openai.InternalServerError):
        client.audio.transcriptions.create(file=("a.wav", WAV), model="gpt-4o-transcribe")
    with pytest.raises(openai.APITimeoutError):  # the fake answers only after 3 s
        client.chat.completions.create(
            model="m", messages=[{"role": "user", "content": "x"}], timeout=1.0
        )
    unsigned = httpx.post(f"{url}/chat/completions", json={"model": "m", "messages": []})
    assert unsigned.status_code == 401 and unsigned.json()["error"]["type"]


def test_twilio_rest_records_serves_wav_and_mp3_and_checks_basic_auth(tmp_path: Path) -> None:
    account, token = "AC" + secrets.token_hex(16), secrets.token_hex(16)
    fake = FakeTwilioRest(account_sid=account, auth_token=token)
    with serve_in_thread(fake.app()) as url:
        client = Client(account, token, environment={})
        client.api.base_url = url
        created = (
            client.api.v2010.accounts(account)
            .calls("CA" + "a" * 32)
            .recordings.create(
                recording_channels="dual",
                recording_status_callback="https://crm.test/twilio/recording",
            )
        )
        assert created.sid and created.sid.startswith("RE") and created.status == "in-progress"
        assert created.channels == 2 and created.call_sid == "CA" + "a" * 32

        form = fake.finish_recording("CA" + "a" * 32, WAV, duration=2, not_ready_times=1)
        assert form["RecordingSid"] == created.sid and form["RecordingStatus"] == "completed"
        media = f"{url}/2010-04-01/Accounts/{account}/Recordings/{created.sid}"
        assert httpx.get(f"{media}.wav", auth=(account, token)).status_code == 404  # not ready
        wav = httpx.get(f"{media}.wav", auth=(account, token))
        assert wav.status_code == 200 and wav.content == WAV
        mp3 = httpx.get(f"{media}.mp3", auth=(account, token))
        assert mp3.headers["content-type"] == "audio/mpeg"
        (tmp_path / "r.mp3").write_bytes(mp3.content)
        info = probe(tmp_path / "r.mp3")
        assert info.kind == "mp3" and info.duration_sec == pytest.approx(2.0, abs=0.05)
        assert httpx.get(f"{media}.wav", auth=(account, "wrong")).status_code == 401
        assert httpx.get(f"{media}.wav").status_code == 401
        assert fake.unauthorized == 2
