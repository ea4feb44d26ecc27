"""Connect the voice bridge's call events to the post-call pipeline."""

from __future__ import annotations

from crm_app.jobs.queue import enqueue_pipeline
from crm_app.settings import get_settings
from voice_bridge import crm


def on_call_event(call_id: int, event: crm.CallEvent) -> None:
    """Queue the runs an event calls for.

    The bridge's finalize runs the pipeline now (a call without a recording
    finishes at once; one with a recording waits for it) and books a last
    run that goes on without a recording that never came. A finished
    recording runs it now. A final status from Twilio books the last run too,
    for a call whose bridge never finalized it.
    """
    wait = get_settings().recording_wait_seconds
    if event in ("finalized", "recording"):
        enqueue_pipeline(call_id)
    if event in ("finalized", "ended"):
        enqueue_pipeline(call_id, final=True, delay=wait)


def install() -> None:
    """Listen to the bridge (idempotent)."""
    if on_call_event not in crm.listeners:
        crm.listeners.append(on_call_event)
