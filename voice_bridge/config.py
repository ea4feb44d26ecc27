"""The bridge's configuration, read from the CRM's settings once per app."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from crm_app.settings import Settings, get_settings
from voice_bridge.session_config import VadConfig

MAX_MESSAGE_BYTES = 64 * 1024  # a Twilio frame is under 1 KiB
START_TIMEOUT_SECONDS = 3.0
SESSION_UPDATED_TIMEOUT_SECONDS = 5.0
WRAP_UP_BEFORE_END_SECONDS = 30


@dataclass(frozen=True)
class BridgeConfig:
    """Everything a call needs from the environment."""

    public_base_url: str
    twilio_account_sid: str
    twilio_auth_token: str
    twilio_api_base_url: str
    openai_api_key: str
    openai_base_url: str | None
    realtime_model: str
    transcribe_model: str
    secret: bytes
    max_concurrent_calls: int
    max_call_seconds: int
    silence_seconds: int
    drain_seconds: int
    record_calls: bool
    vad: VadConfig
    spool_dir: Path = Path("data/spool")  # calls whose final write waits for the database
    spool_replay_seconds: float = 5.0

    @classmethod
    def from_settings(cls, settings: Settings | None = None) -> BridgeConfig:
        """Build from ``crm_app.settings`` (the only reader of the environment)."""
        s = settings or get_settings()
        return cls(
            public_base_url=s.public_base_url.rstrip("/"),
            twilio_account_sid=s.twilio_account_sid,
            twilio_auth_token=s.twilio_auth_token.get_secret_value(),
            twilio_api_base_url=s.twilio_api_base_url.rstrip("/"),
            openai_api_key=s.openai_api_key.get_secret_value() or "no-key-configured",
            openai_base_url=s.openai_realtime_base_url or s.openai_base_url,
            realtime_model=s.openai_realtime_model,
            transcribe_model=s.openai_transcribe_model,
            secret=s.secret_bytes(),
            max_concurrent_calls=s.max_concurrent_calls,
            max_call_seconds=s.max_call_seconds,
            silence_seconds=s.call_silence_seconds,
            drain_seconds=s.call_drain_seconds,
            record_calls=s.record_calls,
            spool_dir=s.spool_dir,
            vad=VadConfig(
                threshold=s.realtime_vad_threshold,
                silence_ms=s.realtime_vad_silence_ms,
                prefix_ms=s.realtime_vad_prefix_ms,
                interrupt_response=s.realtime_vad_interrupt,
            ),
        )
