"""A simulated call in chromium: on its lead and on /calls, with a playable, seekable recording."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import col, select

from crm_app.db import unit_of_work
from crm_app.models import Call
from crm_app.services.call_pipeline import STEPS
from crm_app.simulate import SCRIPT
from tests.conftest import ROOT
from tests.e2e.conftest import open_tab, sign_in
from tests.factories import PASSWORD, make_call, make_lead, make_tenant, unique_mobile
from tests.live import LiveServer

pytestmark = pytest.mark.e2e

AUDIO_FACTS = """async () => {
  const audio = document.getElementById('call-audio');
  if (audio.readyState < 1) {
    await new Promise((ok) => audio.addEventListener('loadedmetadata', ok, {once: true}));
  }
  audio.currentTime = 5;
  await new Promise((ok) => audio.addEventListener('seeked', ok, {once: true}));
  return {duration: audio.duration, at: audio.currentTime, rate: audio.playbackRate};
}"""


def simulate_call(server: LiveServer, business_phone: str, caller: str) -> str:
    """``python -m crm_app simulate-call`` against the live server's database and storage."""
    env = {
        **os.environ,
        "DATABASE_URL": server.database_url,
        "STORAGE_DIR": str(server.storage_dir),
        "SECRET_KEY": "e2e-secret-key-0123456789",
        "DEMO_MODE": "0",
    }
    done = subprocess.run(
        [sys.executable, "-m", "crm_app", "simulate-call", "--business-phone", business_phone]
        + ["--from", caller],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "post-call pipeline: done" in done.stdout, done.stdout
    return done.stdout


def test_a_simulated_call_on_its_lead_has_a_playable_recording_transcript_and_summary(
    page: Page, server: LiveServer
) -> None:
    tenant = make_tenant(name="מרפאת הדמו")
    caller = unique_mobile()
    out = simulate_call(server, tenant.business.phone_number, caller)
    lead_path = out.split("open it on its lead: ")[1].split()[0]
    with unit_of_work(read_only=True) as session:
        call = session.exec(select(Call).where(col(Call.business_id) == tenant.id)).one()
    assert call.audio_duration_sec and call.audio_bytes_len
    assert call.agent_revision == 1  # the business never saved its agent: its first revision

    sign_in(page, server, tenant.agent.email, PASSWORD, start=lead_path)
    open_tab(page, "calls")
    page.locator("[data-testid=lead-call]").first.click()
    detail = page.locator("#call-detail")
    expect(detail).to_be_visible()
    # The three metadata fields, the summary and the two-speaker transcript.
    expect(page.locator("#call-audio-length")).to_have_text(f"{call.audio_duration_sec:.1f} שניות")
    expect(page.locator("#call-audio-size")).not_to_have_text("—")
    expect(page.locator("#call-transcript-source")).to_have_text("ההקלטה")
    expect(page.locator("#call-agent-revision")).to_have_text("גרסה 1")
    expect(page.locator("#call-summary")).to_contain_text("לקבוע תור")
    turns = page.locator("[data-testid=utterance]")
    expect(turns).to_have_count(3)
    for i, speaker in enumerate(("agent", "caller", "agent")):
        expect(turns.nth(i)).to_have_attribute("data-speaker", speaker)
    expect(turns.nth(1)).to_contain_text(SCRIPT["he"][0])
    # The recording plays from the authenticated route, and seeks (Range).
    facts = page.evaluate(AUDIO_FACTS)
    assert facts["duration"] == pytest.approx(call.audio_duration_sec, abs=0.1)
    assert facts["at"] == pytest.approx(5, abs=0.1)
    page.click("#call-speed")
    page.get_by_role("option", name="1.5×").click()
    page.wait_for_function("document.getElementById('call-audio').playbackRate === 1.5")
    expect(page.locator("[data-testid=pipeline-step][data-state=done]")).to_have_count(len(STEPS))


def test_the_calls_page_finds_a_call_by_phone_and_opens_it(page: Page, server: LiveServer) -> None:
    tenant = make_tenant(name="עסק השיחות")
    caller = unique_mobile()
    simulate_call(server, tenant.business.phone_number, caller)
    national = "0" + caller[4:6] + "-" + caller[6:]  # +97252xxxxxxx -> 052-xxxxxxx
    sign_in(page, server, tenant.agent.email, PASSWORD, start="/calls")
    page.fill("#call-search", national)
    page.wait_for_url("**/calls?q=**")
    rows = page.locator("[data-testid=call-row]")
    expect(rows).to_have_count(1)
    rows.first.locator("td").first.click()  # the time, not the lead's link
    page.wait_for_url(re.compile(r"/calls/\d+/?\?q="))  # its own URL, the search kept
    expect(rows.first).to_have_attribute("data-selected", "true")
    expect(page.locator("#call-summary")).to_contain_text("לקבוע תור")
    expect(page.locator("#call-open-lead")).to_have_attribute("href", re.compile(r"^/leads/\d+$"))
    page.click("#call-open-lead")
    page.wait_for_url(re.compile(r".*/leads/\d+$"))
    expect(page.locator("#lead-name")).to_be_visible()


def test_the_open_call_shows_its_post_call_steps_as_they_finish(
    page: Page, server: LiveServer
) -> None:
    tenant = make_tenant(name="עסק המעקב")
    lead = make_lead(tenant, name="דנה")
    call = make_call(
        tenant,
        lead,
        pipeline={"state": "running", "steps": {"download": {"state": "running"}}},
    )
    sign_in(page, server, tenant.agent.email, PASSWORD, start=f"/calls?call={call.id}")
    page.wait_for_url(re.compile(rf"/calls/{call.id}/?$"))  # an older link: the call's own URL
    expect(page.locator("[data-testid=pipeline-step][data-state=running]")).to_have_count(1)
    expect(page.locator("#call-summary")).to_have_count(0)

    # A worker finishes the steps; the open panel shows it without a click.
    steps = {name: {"state": "done", "said": [["pipeline.no_recording", {}]]} for name in STEPS}
    with unit_of_work() as session:
        row = session.get(Call, call.id)
        assert row is not None
        row.summary = "דנה ביקשה לקבוע תור."
        row.pipeline = {"state": "done", "steps": steps}
        session.add(row)
    expect(page.locator("#call-summary")).to_have_text("דנה ביקשה לקבוע תור.")
    expect(page.locator("[data-testid=pipeline-step][data-state=done]")).to_have_count(len(STEPS))
    expect(page.locator("[data-testid=pipeline-step]").first).to_contain_text("אין הקלטה")
