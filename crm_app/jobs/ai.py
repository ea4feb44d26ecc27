"""The pipeline's OpenAI calls: transcribing a recording and summarising a call.

Both go through the official SDK at ``OPENAI_BASE_URL``. Every failure the SDK
can raise becomes a :class:`StepFailed` with a message an admin can act on.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import openai
from openai import OpenAI
from pydantic import BaseModel, Field, ValidationError

from crm_app.jobs import audio
from crm_app.jobs.config import PipelineConfig
from crm_app.jobs.errors import StepFailed, say

T = TypeVar("T")
_clients_lock = threading.Lock()
SPEAKERS = ("caller", "agent")  # Twilio's dual channels: the caller's leg, then ours


def client(config: PipelineConfig) -> OpenAI:
    """The process's SDK client for this configuration (one connection pool, reused)."""
    return _client(
        config.openai_api_key,
        config.openai_base_url,
        config.openai_timeout,
        config.openai_max_retries,
    )


def close_clients() -> None:
    """Close the cached clients' connections (worker shutdown, tests)."""
    for cached in _clients.values():
        cached.close()
    _clients.clear()


_clients: dict[tuple[str, str | None, float, int], OpenAI] = {}


def _client(api_key: str, base_url: str | None, timeout: float, max_retries: int) -> OpenAI:
    # Building a client loads the CA bundle (~50 ms): do it once per configuration.
    key = (api_key, base_url, timeout, max_retries)
    with _clients_lock:
        if key not in _clients:
            _clients[key] = OpenAI(
                api_key=api_key, base_url=base_url, timeout=timeout, max_retries=max_retries
            )
        return _clients[key]


@contextmanager
def as_step_failure(what: str) -> Iterator[None]:
    """OpenAI's errors as a step failure; ``what`` is ``transcription`` or ``summary``."""
    try:
        yield
    except openai.APITimeoutError as exc:
        raise StepFailed(say(f"pipeline.{what}_timed_out")) from exc
    except openai.APIStatusError as exc:
        raise StepFailed(say(f"pipeline.{what}_failed", error=f"HTTP {exc.status_code}")) from exc
    except openai.APIError as exc:
        raise StepFailed(say(f"pipeline.{what}_failed", error=type(exc).__name__)) from exc


# ---- transcription ------------------------------------------------------------------------
def _transcribe_clip(
    api: OpenAI, config: PipelineConfig, data: bytes, name: str, language: str
) -> str:
    with as_step_failure("transcription"):
        result = api.audio.transcriptions.create(
            file=(name, data, "audio/wav"),
            model=config.transcribe_model,
            language=language,
            response_format="json",
        )
    return result.text.strip()


def _mark_interruptions(utterances: list[dict[str, Any]]) -> None:
    """An agent turn the caller started talking over was cut short (barge-in)."""
    callers = [u["start_ms"] for u in utterances if u["speaker"] == "caller"]
    for turn in utterances:
        if turn["speaker"] == "agent":
            turn["interrupted"] = any(
                turn["start_ms"] < start < turn["end_ms"] - 200 for start in callers
            )


def transcribe_recording(
    config: PipelineConfig, path: Path, *, language: str, name: str
) -> list[dict[str, Any]]:
    """A two-speaker transcript (``speaker, text, start_ms, end_ms, interrupted``).

    A dual-channel WAV is split into its legs; each turn found in a leg is
    transcribed on its own, so every utterance has its speaker and its time.
    A mono recording or an MP3 is transcribed whole, as one turn.
    """
    info = audio.probe(path)
    api = client(config)
    if info.kind != "wav":
        text = _transcribe_clip(api, config, path.read_bytes(), f"{name}.mp3", language)
        end = int(info.duration_sec * 1000)
        return [{"speaker": "call", "text": text, "start_ms": 0, "end_ms": end}] if text else []
    channels, rate = audio.wav_channels(path)
    speakers = SPEAKERS if len(channels) == 2 else ("call",)
    clips = [
        (speaker, index, segment, samples)
        for speaker, samples in zip(speakers, channels, strict=False)
        for index, segment in enumerate(audio.speech_segments(samples, rate))
    ]

    def one(clip: tuple[str, int, audio.Segment, Any]) -> dict[str, Any]:
        speaker, index, segment, samples = clip
        data = audio.wav_bytes(audio.cut(samples, rate, segment), rate)
        text = _transcribe_clip(api, config, data, f"{name}-{speaker}-{index:03d}.wav", language)
        return {
            "speaker": speaker,
            "text": text,
            "start_ms": int(segment.start * 1000),
            "end_ms": int(segment.end * 1000),
            "interrupted": False,
        }

    results = _parallel(one, clips, config.transcribe_concurrency)
    utterances = sorted((u for u in results if u["text"]), key=lambda u: u["start_ms"])
    _mark_interruptions(utterances)
    return utterances


def _parallel(work: Callable[[Any], T], items: list[Any], limit: int) -> list[T]:
    if len(items) <= 1:
        return [work(item) for item in items]
    with ThreadPoolExecutor(max_workers=min(limit, len(items))) as pool:
        return list(pool.map(work, items))


# ---- summary ------------------------------------------------------------------------------
_INSTRUCTIONS = {
    "he": (
        "אתה מסכם שיחות טלפון של העסק {business}. כתוב בעברית סיכום של 80 עד 150 מילים: "
        "מה הלקוח רצה, מה סוכם ומה הצעד הבא. ציין את משך השיחה ({duration}) ואיך הסתיימה "
        "({reason}). המלץ על סטטוס לליד מתוך הרשימה, או null אם אין די מידע, עם רמת ביטחון "
        "בין 0 ל-1."
    ),
    "en": (
        "You summarise phone calls for the business {business}. Write an English summary of "
        "80 to 150 words: what the caller wanted, what was agreed and the next step. Mention "
        "the call's length ({duration}) and how it ended ({reason}). Recommend a lead status "
        "from the list, or null when there is not enough to go on, with a confidence from 0 "
        "to 1."
    ),
}
_FORMAT = (
    'Answer with one JSON object: {{"summary": string, "recommended_status": one of {keys} or '
    'null, "confidence": number}}.'
)
_SPEAKER_LABEL = {
    "he": {"caller": "לקוח", "agent": "נציג", "call": "שיחה"},
    "en": {"caller": "Caller", "agent": "Agent", "call": "Call"},
}


@dataclass(frozen=True)
class CallFacts:
    """What the summary is written from."""

    business_name: str
    locale: str
    duration_sec: int
    end_reason: str
    transcript: list[dict[str, Any]]
    status_keys: list[str]


class SummaryAnswer(BaseModel):
    """The model's answer, validated."""

    summary: str = Field(min_length=1, max_length=4000)
    recommended_status: str | None = None
    confidence: float = Field(default=0.0, ge=0.0, le=1.0)


def _clock(ms: int) -> str:
    seconds = ms // 1000
    return f"{seconds // 60:02d}:{seconds % 60:02d}"


def transcript_text(transcript: list[dict[str, Any]], locale: str) -> str:
    """The transcript as lines, ``[mm:ss] Speaker: text``."""
    labels = _SPEAKER_LABEL["en" if locale == "en" else "he"]
    return "\n".join(
        f"[{_clock(int(u.get('start_ms', 0)))}] "
        f"{labels.get(u.get('speaker', ''), u.get('speaker', ''))}: {u.get('text', '')}"
        for u in transcript
    )


def summarize(config: PipelineConfig, facts: CallFacts) -> SummaryAnswer:
    """Ask the summary model for the summary and a recommended status."""
    locale = "en" if facts.locale == "en" else "he"
    system = _INSTRUCTIONS[locale].format(
        business=facts.business_name,
        duration=_clock(facts.duration_sec * 1000),
        reason=facts.end_reason or "unknown",
    )
    system += " " + _FORMAT.format(keys=json.dumps(facts.status_keys))
    with as_step_failure("summary"):
        completion = client(config).chat.completions.create(
            model=config.summary_model,
            messages=[
                {"role": "system", "content": system},
                {"role": "user", "content": transcript_text(facts.transcript, locale)},
            ],
            response_format={"type": "json_object"},
            temperature=0.2,
        )
    content = completion.choices[0].message.content if completion.choices else None
    try:
        answer = SummaryAnswer.model_validate(json.loads(content or ""))
    except (ValueError, ValidationError) as exc:
        raise StepFailed(say("pipeline.summary_not_json")) from exc
    if answer.recommended_status not in facts.status_keys:
        answer = answer.model_copy(update={"recommended_status": None, "confidence": 0.0})
    return answer
