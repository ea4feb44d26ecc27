"""Dates as callers say them, in Hebrew or English, resolved to calendar dates.

The voice agent passes what the caller said ("tomorrow", "next Sunday",
"יום שלישי בשבוע הבא", "מחרתיים") or an ISO date; the server resolves it
against today's date in the business's zone, so the model never has to do
calendar arithmetic. The rules:

- "today", "tomorrow", "the day after tomorrow" (and "היום", "מחר", "מחרתיים");
  "in 3 days", "in three days", "in a week" ("בעוד 3 ימים", "בעוד שלושה ימים", "בעוד
  יומיים", "בעוד שבוע").
- A weekday alone, "next <weekday>" or "<weekday> הבא/הקרוב": the first such
  day after today (tomorrow at the earliest, a week from today at the latest).
- "this <weekday>" ("<weekday> הזה"): the same, but today counts.
- "<weekday> next week" ("<weekday> בשבוע הבא"): that day in the next calendar
  week; weeks start on Sunday, as the Israeli week does. "next week" alone is
  that week's Sunday.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from crm_app.services.errors import InvalidInput

_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_PUNCTUATION = re.compile(r"[.,!?;:\"'׳״()\-]+")
# date.weekday() numbers: Monday is 0, Sunday is 6.
_WEEKDAYS = {
    "monday": 0, "mon": 0, "tuesday": 1, "tue": 1, "tues": 1, "wednesday": 2, "wed": 2,
    "thursday": 3, "thu": 3, "thurs": 3, "friday": 4, "fri": 4, "saturday": 5, "sat": 5,
    "sunday": 6, "sun": 6,
    "שני": 0, "שלישי": 1, "רביעי": 2, "חמישי": 3, "שישי": 4, "שבת": 5, "ראשון": 6,
}  # fmt: skip
# "יום א'" ... "יום ו'": a weekday by its letter, only right after "יום".
_WEEKDAY_LETTERS = {"ב": 0, "ג": 1, "ד": 2, "ה": 3, "ו": 4, "א": 6}
_OFFSETS = {
    ("today",): 0, ("היום",): 0,
    ("tomorrow",): 1, ("מחר",): 1,
    ("day", "after", "tomorrow"): 2, ("מחרתיים",): 2,
    ("in", "a", "week"): 7, ("in", "one", "week"): 7, ("עוד", "שבוע"): 7,
    ("in", "two", "weeks"): 14, ("in", "2", "weeks"): 14, ("עוד", "שבועיים"): 14,
    ("עוד", "יומיים"): 2, ("in", "two", "days"): 2,
}  # fmt: skip
_IN_DAYS = (re.compile(r"^in (\w+) days?$"), re.compile(r"^עוד (\w+) ימים$"))
# Counts of days as words ("in three days", "בעוד שלושה ימים"), digits aside.
_NUMBERS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "שני": 2, "שלושה": 3, "ארבעה": 4, "חמישה": 5, "שישה": 6, "שבעה": 7,
    "שמונה": 8, "תשעה": 9, "עשרה": 10,
}  # fmt: skip
_COMING = {"next", "coming", "הבא", "הקרוב", "הקרובה"}
_THIS = {"this", "הזה", "הזאת"}
_NEXT_WEEK = ({"next", "week"}, {"שבוע", "הבא"})
_FILLER = {"on", "at", "for", "יום", "ל", "ב"}
# The part of the day does not change the date: "tomorrow morning", "מחר בבוקר".
_PART_OF_DAY = {"morning", "afternoon", "evening", "noon", "בוקר", "צהריים", "ערב", "אחהצ"}
# Hebrew joins "on" (ב), "to" (ל) and "and" (ו) to the next word: "בשבוע", "ביום", "בעוד".
_PREFIXED = {
    "שבוע", "יום", "עוד", "מחר", "היום", "מחרתיים", "שבת", "ראשון", "בוקר", "צהריים", "ערב",
}  # fmt: skip
MAX_DAYS_AHEAD = 366


def today_in(timezone: str, now: datetime) -> date:
    """The date it is in ``timezone`` at the instant ``now`` (timezone-aware)."""
    return now.astimezone(ZoneInfo(timezone)).date()


def week_start(day: date) -> date:
    """The Sunday that starts ``day``'s week."""
    return day - timedelta(days=(day.weekday() + 1) % 7)


def _tokens(text: str) -> list[str]:
    words = _PUNCTUATION.sub(" ", text.strip().lower()).split()
    return [
        w[1:] if w not in _PREFIXED and len(w) > 1 and w[0] in "בלו" and w[1:] in _PREFIXED else w
        for w in words
    ]


def _weekday_of(words: list[str]) -> tuple[int | None, list[str]]:
    """The weekday named in ``words``, and the words left around it."""
    for i, word in enumerate(words):
        if word in _WEEKDAYS:
            return _WEEKDAYS[word], words[:i] + words[i + 1 :]
        if word in _WEEKDAY_LETTERS and i > 0 and words[i - 1] == "יום":
            return _WEEKDAY_LETTERS[word], words[: i - 1] + words[i + 1 :]
    return None, words


def _on_weekday(weekday: int, modifiers: set[str], today: date) -> date | None:
    if any(modifiers == marker for marker in _NEXT_WEEK):
        start = week_start(today) + timedelta(days=7)
        return start + timedelta(days=(weekday + 1) % 7)
    ahead = (weekday - today.weekday()) % 7
    if "coming" in modifiers:  # "this coming Sunday"
        modifiers = modifiers - {"this"}
    if modifiers <= _THIS and modifiers:
        return today + timedelta(days=ahead)
    if modifiers <= _COMING:
        return today + timedelta(days=ahead or 7)
    return None


def _relative(words: list[str], today: date) -> date | None:
    if tuple(words) in _OFFSETS:
        return today + timedelta(days=_OFFSETS[tuple(words)])
    for pattern in _IN_DAYS:
        if match := pattern.match(" ".join(words)):
            count = match.group(1)
            if count.isdigit() and len(count) <= 3:
                return today + timedelta(days=int(count))
            if count in _NUMBERS:
                return today + timedelta(days=_NUMBERS[count])
            return None
    if any(set(words) == marker and len(words) == 2 for marker in _NEXT_WEEK):
        return week_start(today) + timedelta(days=7)
    weekday, rest = _weekday_of(words)
    if weekday is None:
        return None
    return _on_weekday(weekday, {w for w in rest if w not in _FILLER}, today)


def resolve(text: str, today: date) -> date:
    """The date ``text`` means, said on ``today``.

    Args:
        text: an ISO date (``2026-03-29``) or a relative date in Hebrew or English.
        today: the date it is where the business is.

    Raises:
        InvalidInput: the text is not a date this module reads, or is too far ahead.
    """
    stripped = text.strip()
    if _ISO.match(stripped):
        try:
            return date.fromisoformat(stripped)
        except ValueError as exc:
            raise InvalidInput(f"{stripped} is not a real date", field="date") from exc
    words = [w for w in _tokens(stripped) if w not in _PART_OF_DAY and w != "the"]
    found = _relative(words, today)
    if found is None:
        raise InvalidInput(
            f"cannot read {stripped!r} as a date; use YYYY-MM-DD, today, tomorrow or a weekday",
            field="date",
        )
    if (found - today).days > MAX_DAYS_AHEAD:
        raise InvalidInput(f"{stripped!r} is too far ahead", field="date")
    return found
