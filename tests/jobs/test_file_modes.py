"""Recordings the pipeline fetches are private to the server's user (0600 in 0700 directories)."""

from __future__ import annotations

from crm_app.jobs.pipeline import run_pipeline
from crm_app.models import Lead
from tests.factories import Tenant
from tests.jobs.conftest import Outside, load, recorded
from tests.private_files import assert_private


def test_a_fetched_recording_is_readable_by_the_server_only(
    tenant: Tenant, lead: Lead, outside: Outside
) -> None:
    call_id = recorded(tenant, lead, outside)
    assert run_pipeline(call_id, config=outside.config) == "done"
    path = assert_private(load(call_id).recording_storage_key)
    assert path.read_bytes()[:4] == b"RIFF"
