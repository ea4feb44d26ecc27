"""What the voice bridge's call events queue: the post-call pipeline, and the call's texts.

Whoever builds the bridge passes :func:`on_call_event` as its listener (the
CRM server, ``python -m crm_app bridge``); neither side imports the other.
"""

from __future__ import annotations

from crm_app.jobs.queue import enqueue_pipeline, send_texts_soon
from crm_app.settings import get_settings


def on_call_event(call_id: int, event: str) -> None:
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
    if event == "finalized":
        send_texts_soon()
