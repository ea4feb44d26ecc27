"""Both languages say everything: same keys, same placeholders."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from crm_app.i18n import MESSAGES, direction, translate
from crm_app.i18n.formats import file_size, local_datetime, typed_day

PLACEHOLDER = re.compile(r"\{(\w+)\}")


def test_hebrew_and_english_have_the_same_keys() -> None:
    assert set(MESSAGES["he"]) == set(MESSAGES["en"])


def test_translations_use_the_same_placeholders() -> None:
    for key, hebrew in MESSAGES["he"].items():
        assert set(PLACEHOLDER.findall(hebrew)) == set(PLACEHOLDER.findall(MESSAGES["en"][key])), (
            key
        )


def test_no_translation_is_empty() -> None:
    assert all(text.strip() for table in MESSAGES.values() for text in table.values())


def test_hebrew_is_the_default_and_right_to_left() -> None:
    assert translate("nav.leads") == "לידים"
    assert translate("nav.leads", "en") == "Leads"
    assert translate("nav.leads", "fr") == "לידים"
    assert direction("he") == "rtl" and direction("en") == "ltr"


def test_placeholders_are_filled() -> None:
    assert translate("login.error.throttled", "en", minutes=15) == (
        "Too many failed attempts. Try again in 15 minutes."
    )


def test_dates_show_in_the_business_time_zone() -> None:
    # 22:30 UTC on 28 Nov is 00:30 on 29 Nov in Jerusalem (UTC+2 in winter).
    moment = datetime(2026, 11, 28, 22, 30, tzinfo=UTC)
    assert local_datetime(moment, "Asia/Jerusalem") == "29/11/2026 00:30"
    assert local_datetime(None, "Asia/Jerusalem") == ""


def test_file_sizes_read_naturally() -> None:
    assert file_size(12) == "12 B"
    assert file_size(1536) == "1.5 KB"
    assert file_size(5 * 1024 * 1024) == "5.0 MB"


@pytest.mark.parametrize(
    ("typed", "day"),
    [
        ("28/11/2026", "2026-11-28"),
        ("1/2/2027", "2027-02-01"),
        ("28.11.26", "2026-11-28"),
        (" 28-11-2026 ", "2026-11-28"),
        ("2026-11-28", "2026-11-28"),  # what the calendar picker sends
        ("", ""),
    ],
)
def test_days_are_read_day_first(typed: str, day: str) -> None:
    assert typed_day(typed) == day


@pytest.mark.parametrize("typed", ["31/02/2026", "13/13/2026", "yesterday", "28/11", "2026/28/11"])
def test_what_is_not_a_day_is_refused(typed: str) -> None:
    with pytest.raises(ValueError):
        typed_day(typed)
