"""The pipeline's view of the settings (a value, so the simulator can point it at fakes)."""

from __future__ import annotations

from dataclasses import dataclass

from crm_app.settings import Settings, get_settings


@dataclass(frozen=True)
class PipelineConfig:
    """Where the outside services are and how patient to be with them."""

    twilio_account_sid: str
    twilio_auth_token: str
    twilio_api_base_url: str
    openai_api_key: str
    openai_base_url: str | None
    transcribe_model: str
    summary_model: str
    openai_timeout: float
    recording_ready_timeout: float
    recording_wait_seconds: int
    status_min_confidence: float
    transcribe_concurrency: int = 4
    openai_max_retries: int = 2  # the SDK's own retries (429, 5xx, timeouts), with backoff

    @classmethod
    def from_settings(cls, settings: Settings | None = None) -> PipelineConfig:
        """Build from ``crm_app.settings``."""
        s = settings or get_settings()
        return cls(
            twilio_account_sid=s.twilio_account_sid,
            twilio_auth_token=s.twilio_auth_token.get_secret_value(),
            twilio_api_base_url=s.twilio_api_base_url.rstrip("/"),
            openai_api_key=s.openai_api_key.get_secret_value() or "no-key-configured",
            openai_base_url=s.openai_base_url,
            transcribe_model=s.openai_transcribe_model,
            summary_model=s.openai_summary_model,
            openai_timeout=s.openai_timeout_seconds,
            recording_ready_timeout=s.recording_ready_timeout_seconds,
            recording_wait_seconds=s.recording_wait_seconds,
            status_min_confidence=s.ai_status_min_confidence,
        )


_override: PipelineConfig | None = None


def current() -> PipelineConfig:
    """The configuration runs in this process use: the settings', unless overridden."""
    return _override or PipelineConfig.from_settings()


def use_config(config: PipelineConfig | None) -> PipelineConfig | None:
    """Point this process's runs somewhere else (the simulator's fakes); returns the previous."""
    global _override
    previous, _override = _override, config
    return previous
