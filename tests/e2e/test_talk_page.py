""" "Talk to it" in chromium: a fake microphone speaks to the agent through the server's bridge.

Chromium's fake capture device plays a recorded caller into ``getUserMedia``; the
page streams it as 8 kHz mu-law over ``WS /talk``, plays the agent's answer and
shows each line as it is said. Behind the server's bridge is the fake Realtime API.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from crm_app.db import unit_of_work
from crm_app.jobs.audio import wav_bytes
from crm_app.models import Call
from tests.e2e.conftest import (
    CHROMIUM,
    CHROMIUM_ARGS,
    TALK_CALLER,
    TALK_GREETING,
    TIMEOUT_MS,
    sign_in,
)
from tests.factories import PASSWORD, make_tenant
from tests.live import LiveServer
from voice_bridge.testing.audio import clip, pcm16, silence

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def microphone(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """What the fake microphone says: silence while the agent greets, then the caller, once."""
    wav = tmp_path_factory.mktemp("mic") / "caller.wav"
    wav.write_bytes(wav_bytes(pcm16(silence(5000) + clip("he_caller") + silence(8000)), 8000))
    return wav


@pytest.fixture(scope="module")
def browser(microphone: Path) -> Iterator[Browser]:
    fake_microphone = [
        "--use-fake-ui-for-media-stream",
        "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-audio-capture={microphone}%noloop",
        "--autoplay-policy=no-user-gesture-required",
    ]
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS + fake_microphone)
        yield b
        b.close()


def test_an_owner_talks_to_the_agent_from_the_browser(browser: Browser, server: LiveServer) -> None:
    tenant = make_tenant()
    context = browser.new_context(locale="he-IL", permissions=["microphone"])
    context.set_default_timeout(TIMEOUT_MS)
    page: Page = context.new_page()
    try:
        sign_in(page, server, tenant.owner.email, PASSWORD, start="/settings?section=agent")
        expect(page.locator("#talk-start")).to_be_visible()
        page.click("#talk-start")
        lines = page.locator("[data-testid=talk-line]")
        expect(lines.first).to_contain_text(TALK_GREETING)
        expect(lines.nth(1)).to_contain_text(TALK_CALLER, timeout=40_000)
        expect(lines.nth(1)).to_have_attribute("data-speaker", "caller")
        expect(lines.nth(2)).to_contain_text("ולהתראות", timeout=30_000)
        # The agent said goodbye; once it has played out, the bridge ends the call.
        link = page.locator("#talk-call-link")
        expect(link).to_be_visible(timeout=40_000)
        expect(page.locator("#talk-status")).to_contain_text("השיחה הסתיימה")
        page.screenshot(path="/tmp/crm-shots/talk-he-desktop.png", full_page=True)
        href = link.get_attribute("href") or ""
        call_id = int(re.sub(r"\D", "", href))
        with unit_of_work(read_only=True) as session:
            call = session.get(Call, call_id)
        assert call is not None and call.business_id == tenant.id
        assert call.end_reason == "agent_goodbye"
        said = [(u["speaker"], u["text"]) for u in call.realtime_transcript]
        assert said[0] == ("agent", TALK_GREETING) and ("caller", TALK_CALLER) in said
        assert said[-1][0] == "agent" and said[-1][1].endswith("ולהתראות")
    finally:
        context.close()
