"""Every page at a phone's and a desktop's width, in Hebrew and in English: checks that fail
when a layout breaks, axe-core's serious and critical findings, and a screenshot of each.

A page fails when it scrolls sideways, when a table's cell or header is aligned against the
reading direction, or when a phone number (or an email) is broken across lines. The
screenshots go to ``SCREENSHOTS_DIR`` (``test-artifacts/screens`` by default), for a person
to look at.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlmodel import select

from crm_app.db import unit_of_work
from crm_app.models import Lead, Task, utcnow
from tests.e2e.conftest import TIMEOUT_MS, sign_in
from tests.factories import (
    PASSWORD,
    Tenant,
    make_appointment,
    make_call,
    make_lead,
    make_tenant,
)
from tests.live import LiveServer

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "tools/node_modules/axe-core/axe.min.js"
SCREENS = Path(os.environ.get("SCREENSHOTS_DIR", ROOT / "test-artifacts/screens"))
SIZES = {"phone": (390, 844), "desktop": (1366, 800)}
LEAD_NAME = {"he": "דנה כהן", "en": "Dana Cohen"}

# What every page is checked for, in the page: sideways scrolling, table text aligned against
# the reading direction, and left-to-right runs (phones, emails) broken across lines.
CHECKS = """() => {
  const rtl = document.documentElement.dir === 'rtl';
  const against = rtl ? 'left' : 'right';
  const problems = [];
  const width = document.documentElement.clientWidth;
  if (document.documentElement.scrollWidth > width + 1) {
    const wide = [...document.querySelectorAll('body *')].filter((e) => {
      const r = e.getBoundingClientRect();
      return r.width > 0 && (r.right > width + 1 || r.left < -1);
    }).slice(0, 3).map((e) => e.tagName + '#' + e.id + '.' + String(e.className).slice(0, 40));
    const scrolled = document.documentElement.scrollWidth;
    problems.push(`scrolls sideways: ${scrolled}px > ${width}px ${wide}`);
  }
  for (const cell of document.querySelectorAll('th, td, [role=columnheader], [role=cell]')) {
    const align = getComputedStyle(cell).textAlign;
    if (cell.textContent.trim() && align === against) {
      problems.push(`"${cell.textContent.trim().slice(0, 30)}" aligned ${align}`);
      break;
    }
  }
  for (const run of document.querySelectorAll('bdi.ltr')) {
    const lines = new Set([...run.getClientRects()].map((r) => Math.round(r.top)));
    if (lines.size > 1) {
      problems.push(`"${run.textContent.trim()}" breaks over ${lines.size} lines`);
      break;
    }
  }
  return problems;
}"""


@pytest.fixture
def tenants() -> dict[str, Tenant]:
    made = {}
    for lang in ("he", "en"):
        tenant = make_tenant(name="מרפאת שיניים" if lang == "he" else "Bright Smile", locale=lang)
        lead = make_lead(tenant, name=LEAD_NAME[lang], phone="+972501205600")
        make_lead(tenant, name="Adam Smith" if lang == "en" else "אדם סמית", phone="+972541234567")
        call = make_call(tenant, lead, summary="סיכום שיחה" if lang == "he" else "A short call")
        _work_on(tenant, lead, call.id or 0, lang)
        made[lang] = tenant
    return made


def _work_on(tenant: Tenant, lead: Lead, call_id: int, lang: str) -> None:
    """What a call leaves on a lead: details, a suggestion, and a callback task."""
    with unit_of_work() as session:
        found = session.get(Lead, lead.id)
        assert found is not None
        found.reason = "בדיקה שנתית ושאלה על מחיר" if lang == "he" else "A yearly check-up"
        found.urgency = "high"
        found.suggestions = {"name": {"value": "Dana Levi", "call_id": call_id}}
        session.add(found)
        session.add(
            Task(
                business_id=tenant.id,
                title="לחזור אל דנה" if lang == "he" else "Call Dana back",
                due_at=utcnow() + timedelta(hours=2),
                kind="callback",
                assignee_id=tenant.owner.id,
                lead_id=lead.id,
                call_id=call_id,
            )
        )
    title = "בדיקה שנתית" if lang == "he" else "Yearly check-up"
    make_appointment(tenant, lead, utcnow() + timedelta(days=1), call_id=call_id, title=title)


def _shown(page: Page, text: str) -> Any:
    """The first visible element with ``text`` (a phone shows cards, a desktop a table)."""
    return page.locator(f"text={text} >> visible=true").first


def _pages(tenant: Tenant, lang: str) -> Iterator[tuple[str, str, Any]]:
    """Each page: its name, its path, and what shows that it is ready."""
    with unit_of_work(read_only=True) as session:
        lead = session.exec(
            select(Lead).where(Lead.business_id == tenant.id, Lead.name == LEAD_NAME[lang])
        ).one()
    name = LEAD_NAME[lang]
    yield "leads", "/leads", lambda p: expect(_shown(p, name)).to_be_visible()
    yield "lead", f"/leads/{lead.id}", lambda p: expect(p.locator("#tab-activity")).to_be_visible()
    yield "calls", "/calls", lambda p: expect(_shown(p, name)).to_be_visible()
    yield "tasks", "/tasks", lambda p: expect(p.locator("[data-testid=task]").first).to_be_visible()
    yield "dashboard", "/dashboard", lambda p: expect(p.locator("h1").first).to_be_visible()
    yield (
        "appointments",
        "/appointments",
        lambda p: expect(p.locator("[data-testid=booked-row]").first).to_contain_text(name),
    )
    day = (utcnow() + timedelta(days=1)).astimezone(ZoneInfo(tenant.business.timezone)).date()
    booked = "[data-testid=calendar-appointment], [data-testid=agenda-appointment] >> visible=true"
    yield (
        "calendar",
        f"/calendar?view=week&date={day.isoformat()}",
        lambda p: expect(p.locator(booked).first).to_contain_text(name),
    )
    for section in (
        "profile",
        "business",
        "calendars",
        "agent",
        "team",
        "tokens",
        "audit",
        "statuses",
        "fields",
    ):
        yield (
            f"settings-{section}",
            f"/settings?section={section}",
            lambda p, s=section: expect(p.locator(f"#section-{s}")).to_have_attribute(
                "aria-current", "page"
            ),
        )


def _check(page: Page, shot: str) -> list[str]:
    page.wait_for_timeout(400)  # let the last state update settle before measuring
    SCREENS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENS / f"{shot}.png"), full_page=True)
    problems: list[str] = page.evaluate(CHECKS)
    page.add_script_tag(path=str(AXE))
    found = page.evaluate(
        """async () => {
          const result = await axe.run(document, {resultTypes: ['violations']});
          return result.violations
            .filter((v) => v.impact === 'serious' || v.impact === 'critical')
            .map((v) => {
              const where = v.nodes.slice(0, 2).map((n) => n.target).join(' ');
              return `${v.id} (${v.impact}): ${where}`;
            });
        }"""
    )
    return problems + [f"axe {v}" for v in found]


@pytest.mark.parametrize("size", list(SIZES))
@pytest.mark.parametrize("lang", ["he", "en"])
def test_every_page_holds_its_layout(
    browser: Browser, server: LiveServer, tenants: dict[str, Tenant], lang: str, size: str
) -> None:
    width, height = SIZES[size]
    context = browser.new_context(
        locale="he-IL" if lang == "he" else "en-US", viewport={"width": width, "height": height}
    )
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    failures: dict[str, list[str]] = {}
    try:
        page.goto(server.url + "/login")
        expect(page.locator("#login-email")).to_be_visible()
        failures["login"] = _check(page, f"login-{lang}-{size}")
        tenant = tenants[lang]
        sign_in(page, server, tenant.owner.email, PASSWORD)
        expect(_shown(page, LEAD_NAME[lang])).to_be_visible()
        for name, path, ready in _pages(tenant, lang):
            page.goto(server.url + path)
            ready(page)
            failures[name] = _check(page, f"{name}-{lang}-{size}")
    finally:
        context.close()
    broken = {name: found for name, found in failures.items() if found}
    assert not broken, "\n".join(f"{name}: {'; '.join(found)}" for name, found in broken.items())
