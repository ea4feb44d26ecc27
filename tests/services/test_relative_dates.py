"""Dates as callers say them, resolved against the business's today."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from crm_app.services.errors import InvalidInput
from crm_app.services.relative_dates import resolve, today_in, week_start

THURSDAY = date(2026, 3, 26)
SATURDAY = date(2026, 3, 28)
SUNDAY = date(2026, 3, 29)


@pytest.mark.parametrize(
    ("said", "expected"),
    [
        ("today", THURSDAY),
        ("היום", THURSDAY),
        ("Tomorrow", date(2026, 3, 27)),
        ("מחר", date(2026, 3, 27)),
        ("למחר בבוקר", date(2026, 3, 27)),
        ("tomorrow afternoon", date(2026, 3, 27)),
        ("the day after tomorrow", date(2026, 3, 28)),
        ("מחרתיים", date(2026, 3, 28)),
        ("in 3 days", date(2026, 3, 29)),
        ("בעוד יומיים", date(2026, 3, 28)),
        ("in three days", date(2026, 3, 29)),
        ("בעוד שלושה ימים", date(2026, 3, 29)),
        ("בעוד שני ימים", date(2026, 3, 28)),
        ("בעוד שבוע", date(2026, 4, 2)),
        ("2026-04-15", date(2026, 4, 15)),
    ],
)
def test_days_counted_from_today(said: str, expected: date) -> None:
    assert resolve(said, THURSDAY) == expected


@pytest.mark.parametrize(
    "said",
    ["Sunday", "sunday", "next Sunday", "on Sunday", "this coming Sunday", "יום ראשון", "ראשון"],
)
def test_a_weekday_is_the_coming_one(said: str) -> None:
    assert resolve(said, THURSDAY) == SUNDAY


@pytest.mark.parametrize(
    "said", ["ביום ראשון", "ראשון הבא", "יום א'", "יום א׳", "ביום ראשון הקרוב", "בראשון"]
)
def test_hebrew_forms_of_the_coming_sunday(said: str) -> None:
    assert resolve(said, THURSDAY) == SUNDAY


def test_next_sunday_asked_on_saturday_is_tomorrow() -> None:
    assert resolve("next Sunday", SATURDAY) == SUNDAY
    assert resolve("יום ראשון הבא", SATURDAY) == SUNDAY
    # Tomorrow starts the next week, so "Sunday next week" is tomorrow too.
    assert resolve("Sunday next week", SATURDAY) == SUNDAY
    assert resolve("ראשון בשבוע הבא", SATURDAY) == SUNDAY


def test_next_sunday_asked_on_sunday_is_a_week_away() -> None:
    assert resolve("next Sunday", SUNDAY) == date(2026, 4, 5)
    assert resolve("ראשון", SUNDAY) == date(2026, 4, 5)
    assert resolve("this Sunday", SUNDAY) == SUNDAY
    assert resolve("ראשון בשבוע הבא", SUNDAY) == date(2026, 4, 5)


def test_a_weekday_next_week_is_in_the_week_after_this_one() -> None:
    # Asked on Thursday: this week runs Sunday 22 to Saturday 28 March.
    assert resolve("Tuesday next week", THURSDAY) == date(2026, 3, 31)
    assert resolve("יום שלישי בשבוע הבא", THURSDAY) == date(2026, 3, 31)
    assert resolve("next week on Friday", THURSDAY) == date(2026, 4, 3)
    assert resolve("next week", THURSDAY) == SUNDAY
    assert resolve("בשבוע הבא", THURSDAY) == SUNDAY
    # "Saturday next week" asked on Saturday is a week later, not today.
    assert resolve("שבת בשבוע הבא", SATURDAY) == date(2026, 4, 4)


def test_the_same_weekday_alone_is_next_week_never_today() -> None:
    assert resolve("Thursday", THURSDAY) == date(2026, 4, 2)
    assert resolve("יום חמישי", THURSDAY) == date(2026, 4, 2)
    assert resolve("שבת", SATURDAY) == date(2026, 4, 4)


@pytest.mark.parametrize(
    "said",
    ["", "someday", "yesterday at noon", "2026-02-30", "next month", "in 900 days", "in 1234 days"],
)
def test_what_is_not_a_date_is_refused_with_a_hint(said: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        resolve(said, THURSDAY)
    assert refused.value.details == {"field": "date"}


def test_today_is_the_business_zone_date_not_the_servers() -> None:
    # 22:30 UTC on Thursday is already Friday in Jerusalem.
    late = datetime(2026, 3, 26, 22, 30, tzinfo=UTC)
    assert today_in("Asia/Jerusalem", late) == date(2026, 3, 27)
    assert today_in("America/New_York", late) == THURSDAY
    assert resolve("tomorrow", today_in("Asia/Jerusalem", late)) == SATURDAY


def test_weeks_start_on_sunday() -> None:
    assert week_start(SATURDAY) == date(2026, 3, 22)
    assert week_start(SUNDAY) == SUNDAY
