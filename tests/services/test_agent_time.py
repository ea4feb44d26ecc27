"""What the agent is told about the business's time: now, the coming week, open or closed."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from crm_app.services.agent_time import OpeningHours, time_context

ZONE = "Asia/Jerusalem"
HOURS = {"sun": [["09:00", "13:00"], ["16:00", "19:00"]], "mon": [["09:00", "17:00"]]}


def test_the_agent_hears_the_local_weekday_date_time_and_week_in_english() -> None:
    # 07:30 UTC on Sunday 29 March 2026 is 10:30 in Jerusalem (summer time began on the 27th).
    text = time_context(
        now=datetime(2026, 3, 29, 7, 30, tzinfo=UTC),
        timezone=ZONE,
        opening=OpeningHours.of(HOURS, ["2026-04-02"]),
        locale="en",
    )
    assert "it is now Sunday, 29.3.2026 (2026-03-29), 10:30" in text
    assert "- Sunday 2026-03-29: 09:00-13:00, 16:00-19:00" in text
    assert "- Monday 2026-03-30: 09:00-17:00" in text
    assert "- Tuesday 2026-03-31: closed" in text
    assert "closed on: 2026-04-02" in text
    assert text.endswith("The business is open now.")


def test_between_two_ranges_the_agent_says_closed_and_when_it_reopens() -> None:
    text = time_context(
        now=datetime(2026, 3, 29, 11, 0, tzinfo=UTC),  # 14:00 local, the midday break
        timezone=ZONE,
        opening=OpeningHours.of(HOURS, []),
        locale="en",
    )
    assert "The business is CLOSED now (it opens again on Sunday 2026-03-29 at 16:00)" in text
    assert "take a message" in text


def test_a_closed_date_is_closed_all_day_in_hebrew() -> None:
    text = time_context(
        now=datetime(2026, 3, 30, 8, 0, tzinfo=UTC),  # Monday 11:00, but the business is closed
        timezone=ZONE,
        opening=OpeningHours.of(HOURS, ["2026-03-30"]),
        locale="he",
    )
    assert "עכשיו יום שני, 30.3.2026 (2026-03-30), השעה 11:00" in text
    assert "- יום שני 2026-03-30: סגור" in text
    assert "העסק סגור עכשיו (הוא ייפתח שוב ביום ראשון 2026-04-05 בשעה 09:00)" in text
    assert "קחו הודעה" in text


def test_the_local_time_follows_the_winter_clock_change() -> None:
    opening = OpeningHours.of(HOURS, [])
    before = time_context(
        now=datetime(2026, 10, 24, 7, 0, tzinfo=UTC), timezone=ZONE, opening=opening, locale="en"
    )
    after = time_context(
        now=datetime(2026, 10, 25, 7, 0, tzinfo=UTC), timezone=ZONE, opening=opening, locale="en"
    )
    assert "Saturday, 24.10.2026 (2026-10-24), 10:00" in before  # UTC+3
    assert "Sunday, 25.10.2026 (2026-10-25), 09:00" in after  # UTC+2
    assert after.endswith("The business is open now.")


def test_a_business_without_hours_has_the_default_working_week() -> None:
    friday = datetime(2026, 3, 27, 9, 0, tzinfo=UTC)
    assert not OpeningHours.of({}, []).is_open(friday.astimezone(ZoneInfo(ZONE)))
    text = time_context(now=friday, timezone=ZONE, opening=OpeningHours.of({}, []), locale="en")
    assert "- Sunday 2026-03-29: 09:00-17:00" in text and "- Friday 2026-03-27: closed" in text
