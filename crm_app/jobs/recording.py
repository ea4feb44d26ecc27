"""Fetching a call's recording from Twilio into private storage.

The URL is built from ``TWILIO_API_BASE_URL`` and the recording's SID, never
taken from the callback's ``RecordingUrl``: the account's credentials go only
to the configured Twilio host. Twilio answers 404 for a while after the
recording ends; that is retried with backoff up to a deadline.
"""

from __future__ import annotations

import functools
import re
import time

import httpx

from crm_app.jobs.config import PipelineConfig
from crm_app.jobs.errors import StepFailed, say
from crm_app.services import storage

RECORDING_SID = re.compile(r"^RE[0-9a-fA-F]{32}$")


@functools.cache
def _http() -> httpx.Client:
    """The process's HTTP client for Twilio (thread-safe; loads the CA bundle once)."""
    return httpx.Client(timeout=30.0, follow_redirects=True)


def close_client() -> None:
    """Close the shared client's connections (worker shutdown, tests)."""
    if _http.cache_info().currsize:
        _http().close()
        _http.cache_clear()


def media_url(config: PipelineConfig, recording_sid: str, fmt: str = "wav") -> str:
    """``{TWILIO_API_BASE_URL}/2010-04-01/Accounts/{AC}/Recordings/{RE}.{fmt}``."""
    if not RECORDING_SID.match(recording_sid):
        raise StepFailed(say("pipeline.bad_recording_sid", sid=recording_sid[:40]))
    return (
        f"{config.twilio_api_base_url}/2010-04-01/Accounts/{config.twilio_account_sid}"
        f"/Recordings/{recording_sid}.{fmt}"
    )


def download(config: PipelineConfig, *, recording_sid: str, key: str) -> int:
    """Store the recording at ``key`` (atomically); returns its size in bytes.

    Raises:
        StepFailed: Twilio refused, or still had no recording at the deadline.
    """
    url = media_url(config, recording_sid)
    deadline = time.monotonic() + config.recording_ready_timeout
    delay, attempts = 0.5, 0
    auth = (config.twilio_account_sid, config.twilio_auth_token)
    client = _http()  # shared: its CA bundle and connections are reused
    while True:
        attempts += 1
        try:
            with client.stream("GET", url, auth=auth) as response:
                if response.status_code == 200:
                    return storage.write_atomic(key, response.iter_bytes())
                status = response.status_code
        except httpx.HTTPError as exc:
            status = 0
            reason = f"{type(exc).__name__}"
        else:
            reason = f"HTTP {status}"
        retryable = status in (0, 404, 429) or status >= 500
        if not retryable:
            raise StepFailed(say("pipeline.recording_refused", error=reason))
        if time.monotonic() + delay > deadline:
            raise StepFailed(say("pipeline.recording_not_ready", attempts=attempts, error=reason))
        time.sleep(delay)
        delay = min(delay * 2, 8.0)
