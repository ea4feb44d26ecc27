"""Application settings: the one place that reads the environment.

Every other module asks :func:`get_settings` for configuration; nothing else
reads ``os.environ``. Values come from the environment or a ``.env`` file.
"""

from __future__ import annotations

import os
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class SettingsError(RuntimeError):
    """Raised when the configuration cannot run the application."""


class Settings(BaseSettings):
    """Typed configuration of the CRM, the API and the voice bridge."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", frozen=True)

    database_url: str | None = None  # None: the embedded PostgreSQL under embedded_database_dir
    embedded_database_dir: Path = Path("data/postgres")
    storage_dir: Path = Path("data/files")
    # Calls whose final write waits for the database (written when it is back).
    spool_dir: Path = Path("data/spool")
    secret_key: SecretStr | None = None
    demo_mode: bool = False
    public_base_url: str = "http://localhost:3000"
    allowed_origins: str = ""  # more origins than PUBLIC_BASE_URL's, comma separated
    port: int = 3000

    twilio_account_sid: str = ""
    twilio_auth_token: SecretStr = SecretStr("")
    twilio_api_base_url: str = "https://api.twilio.com"

    openai_api_key: SecretStr = SecretStr("")
    openai_base_url: str | None = None
    # The Realtime API's base URL when it is not OPENAI_BASE_URL's (a proxy, or tests' fake).
    openai_realtime_base_url: str | None = None
    openai_realtime_model: str = "gpt-realtime-2.1"
    openai_transcribe_model: str = "gpt-4o-transcribe"
    openai_summary_model: str = "gpt-4o-mini"

    max_upload_mb: int = Field(default=25, ge=1)
    max_files_per_note: int = Field(default=10, ge=1)
    upload_denied_extensions: str = (
        "exe,dll,com,bat,cmd,msi,msp,scr,pif,cpl,ps1,psm1,vbs,vbe,jse,wsf,wsh,hta,jar,sh,apk,app,"
        "deb,rpm,dmg,elf,reg,lnk"
    )
    max_concurrent_calls: int = Field(default=50, ge=1)
    max_call_seconds: int = Field(default=600, ge=10)
    call_silence_seconds: int = Field(default=30, ge=5)  # hang up after this much silence
    call_drain_seconds: int = Field(default=60, ge=0)  # graceful shutdown: wait for calls
    realtime_vad_threshold: float = Field(default=0.5, ge=0, le=1)
    realtime_vad_silence_ms: int = Field(default=500, ge=100)
    realtime_vad_prefix_ms: int = Field(default=300, ge=0)
    realtime_vad_interrupt: bool = True
    reflex_redis_url: str | None = None
    # Invitations and password links by e-mail: smtp://[user:password@]host[:port]
    # (STARTTLS when the server offers it) or smtps://... (TLS from the start). Empty: off.
    smtp_url: SecretStr = SecretStr("")
    smtp_from: str = ""  # the sender; empty: crm@ the host of PUBLIC_BASE_URL
    smtp_timeout_seconds: float = Field(default=5, gt=0)
    record_calls: bool = True  # dual-channel recording of every answered call

    # Post-call pipeline (crm_app/jobs).
    ai_status_min_confidence: float = Field(default=0.8, ge=0, le=1)
    recording_wait_seconds: int = Field(default=600, ge=0)  # then go on without a recording
    recording_ready_timeout_seconds: float = Field(default=60, ge=0)  # 404 "not ready" backoff
    openai_timeout_seconds: float = Field(default=60, gt=0)
    jobs_concurrency: int = Field(default=2, ge=1)  # per worker process
    jobs_heartbeat_seconds: float = Field(default=10, gt=0)
    jobs_stalled_seconds: float = Field(default=60, gt=0)  # a silent worker's jobs are retried
    export_retention_days: int = Field(default=7, ge=1)  # then export files are deleted

    session_idle_minutes: int = Field(default=120, ge=1)
    session_absolute_hours: int = Field(default=12, ge=1)
    login_max_failures: int = Field(default=5, ge=1)
    login_window_minutes: int = Field(default=15, ge=1)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"

    @model_validator(mode="after")
    def _require_secret_outside_demo(self) -> Settings:
        if self.secret_key is None and not self.demo_mode:
            raise SettingsError("SECRET_KEY is required (set DEMO_MODE=1 only for a local demo)")
        return self

    @model_validator(mode="after")
    def _require_postgres(self) -> Settings:
        if self.database_url is not None and not self.database_url.startswith("postgresql"):
            raise SettingsError("DATABASE_URL must be a PostgreSQL URL (postgresql://...)")
        return self

    @property
    def uses_embedded_database(self) -> bool:
        """Whether the database is the embedded PostgreSQL (no ``DATABASE_URL``)."""
        return self.database_url is None

    @property
    def origins(self) -> tuple[str, ...]:
        """The browser origins allowed to send credentials: ``PUBLIC_BASE_URL``'s and more."""
        extra = (o.strip().rstrip("/").lower() for o in self.allowed_origins.split(","))
        public = _origin_of(self.public_base_url)
        return tuple(dict.fromkeys([public, *_loopback_twins(public), *(o for o in extra if o)]))

    @property
    def secure_cookies(self) -> bool:
        """Cookies carry ``Secure`` when the public URL is https."""
        return urlsplit(self.public_base_url).scheme == "https"

    @property
    def public_host(self) -> str:
        """The host (with port, if any) of ``PUBLIC_BASE_URL``."""
        return urlsplit(self.public_base_url).netloc

    @property
    def max_upload_bytes(self) -> int:
        """The largest accepted upload, in bytes."""
        return self.max_upload_mb * 1024 * 1024

    @property
    def denied_extensions(self) -> frozenset[str]:
        """File extensions refused as uploads (``UPLOAD_DENIED_EXTENSIONS``, comma separated)."""
        return frozenset(
            e.strip().lower().lstrip(".")
            for e in self.upload_denied_extensions.split(",")
            if e.strip()
        )

    def secret_bytes(self) -> bytes:
        """The key that signs sessions, call tokens and export links.

        In demo mode without ``SECRET_KEY`` a random key is created once under
        the data directory, so sessions survive a restart.
        """
        if self.secret_key is not None:
            return self.secret_key.get_secret_value().encode()
        return _demo_secret(self.storage_dir.parent / "demo-secret-key")


def _origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


_LOOPBACK = ("localhost", "127.0.0.1", "[::1]")


def _loopback_twins(origin: str) -> list[str]:
    """A local URL is the same place by any loopback name (``make run`` prints localhost)."""
    parts = urlsplit(origin)
    if parts.hostname not in ("localhost", "127.0.0.1", "::1"):
        return []
    port = f":{parts.port}" if parts.port else ""
    return [f"{parts.scheme}://{host}{port}" for host in _LOOPBACK]


def _demo_secret(path: Path) -> bytes:
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip().encode()


_overrides: dict[str, object] = {}


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Return the process-wide settings, read once."""
    return Settings(**_overrides)  # type: ignore[arg-type]


def reload_settings() -> Settings:
    """Forget the cached settings and read them again (tests, CLI)."""
    get_settings.cache_clear()
    return get_settings()


def configure(**values: object) -> Settings:
    """Fix some settings for this process, over the environment (the launcher, the CLI).

    ``make run`` decides on demo mode and the embedded database's URL once it
    has looked at the database; this is how the process it runs in learns them.
    """
    _overrides.update(values)
    return reload_settings() if values or not _overrides else get_settings()


class LaunchSettings(BaseSettings):
    """What ``make run`` reads before it can build :class:`Settings` (no secret required)."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", frozen=True)

    database_url: str | None = None
    embedded_database_dir: Path = Path("data/postgres")
    secret_key: SecretStr | None = None
    demo_mode: bool | None = None  # None: decided by what the database holds


def child_environment(**values: str) -> dict[str, str]:
    """This process's environment with ``values`` over it, for a child process."""
    return {**os.environ, **values}
