"""Plural forms follow CLDR's rules (Babel) in Hebrew and English, server and browser alike."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from crm_app.i18n import MESSAGES
from crm_app.i18n.plurals import category, forms, js_rule, plural


def test_one_lead_and_two_leads_in_english() -> None:
    assert plural("leads.total", 1, "en") == "1 lead"
    assert plural("leads.total", 2, "en") == "2 leads"
    assert plural("leads.total", 0, "en") == "0 leads"


def test_hebrew_says_one_lead_and_one_file() -> None:
    assert plural("leads.total", 1, "he") == "ליד אחד"
    assert plural("leads.total", 2, "he") == "2 לידים"
    assert plural("timeline.files", 1, "he") == "קובץ אחד"
    assert plural("timeline.files", 11, "he") == "11 קבצים"


def test_hebrew_has_a_dual_that_falls_back_to_other_when_no_message_needs_it() -> None:
    assert category(2, "he") == "two" and category(2, "en") == "other"
    assert "two" not in forms("leads.total", "he")
    assert plural("calls.total", 2, "he") == "2 שיחות"


def test_an_unknown_locale_counts_in_hebrew() -> None:
    assert plural("leads.total", 1, "fr") == "ליד אחד"


def test_every_counted_message_has_one_and_other_in_both_languages() -> None:
    for table in MESSAGES.values():
        families = {k.rsplit(".", 1)[0] for k in table if k.endswith((".one", ".two"))}
        assert families, "no plural families"
        for family in families:
            assert {f"{family}.one", f"{family}.other"} <= set(table), family


@pytest.mark.skipif(shutil.which("node") is None, reason="needs node")
@pytest.mark.parametrize("locale", ["he", "en"])
def test_the_browser_rule_agrees_with_babel(locale: str) -> None:
    counts = "[...Array(30).keys()]"
    script = f"const r = {js_rule(locale)}; console.log(JSON.stringify({counts}.map(r)))"
    result = subprocess.run(["node", "-e", script], capture_output=True, text=True, check=True)
    assert json.loads(result.stdout) == [category(n, locale) for n in range(30)]
