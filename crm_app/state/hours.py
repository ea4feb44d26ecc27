"""Opening hours as a page edits them: a week of days, each with its ranges (none: closed).

The ranges live in the page's state until the form is saved; the service
validates them (no overlaps, each range starts before it ends).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import reflex as rx

from crm_app.i18n import translate
from crm_app.state.session import SessionState

# The week as a business here reads it: Sunday first.
WEEK = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")


@dataclass(frozen=True)
class Range:
    """One opening range of a day."""

    start: str
    end: str


@dataclass(frozen=True)
class Day:
    """A weekday and its ranges (none: closed)."""

    key: str
    label: str
    ranges: tuple[Range, ...]


def week_of(hours: dict[str, list[list[str]]], locale: str) -> list[Day]:
    """The seven days, Sunday first, with ``hours``' ranges (a day without any is closed)."""
    return [
        Day(
            key=day,
            label=translate(f"weekday.{day}", locale),
            ranges=tuple(Range(start, end) for start, end in hours.get(day, [])),
        )
        for day in WEEK
    ]


def hours_of(week: list[Day]) -> dict[str, list[list[str]]]:
    """The week as the services take it: weekday -> [[start, end], ...] (open days only)."""
    return {d.key: [[r.start, r.end] for r in d.ranges] for d in week if d.ranges}


class HoursEditor(SessionState, mixin=True):
    """A week of opening hours being edited (the business's, or one calendar's)."""

    week: list[Day] = []

    def _set_day(self, key: str, ranges: tuple[Range, ...]) -> None:
        self.week = [replace(day, ranges=ranges) if day.key == key else day for day in self.week]

    def _ranges(self, key: str) -> tuple[Range, ...]:
        return next((day.ranges for day in self.week if day.key == key), ())

    @rx.event
    def add_range(self, key: str) -> None:
        """Another range on a day (after the last one, or 09:00-17:00)."""
        ranges = self._ranges(key)
        start = ranges[-1].end if ranges else "09:00"
        end = "23:59" if start >= "17:00" else "17:00"
        self._set_day(key, (*ranges, Range(start, end)))

    @rx.event
    def remove_range(self, key: str, index: int) -> None:
        """Drop one range of a day (a day with none is closed)."""
        ranges = self._ranges(key)
        self._set_day(key, ranges[:index] + ranges[index + 1 :])

    @rx.event
    def set_time(self, key: str, index: int, which: str, value: str) -> None:
        """A range's start or end, as typed."""
        ranges = list(self._ranges(key))
        if 0 <= index < len(ranges) and which in ("start", "end"):
            ranges[index] = replace(ranges[index], **{which: value})
            self._set_day(key, tuple(ranges))
