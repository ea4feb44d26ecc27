"""Dates and sizes as people read them, in the business's time zone."""

from __future__ import annotations

import re
from datetime import date, datetime
from zoneinfo import ZoneInfo


def local_datetime(value: datetime | None, timezone: str, with_time: bool = True) -> str:
    """``28/11/2026 14:05`` in ``timezone``; empty for None."""
    if value is None:
        return ""
    local = value.astimezone(ZoneInfo(timezone))
    return local.strftime("%d/%m/%Y %H:%M" if with_time else "%d/%m/%Y")


_DAY_MONTH_YEAR = re.compile(r"(\d{1,2})\s*[./-]\s*(\d{1,2})\s*[./-]\s*(\d{2}|\d{4})")


def typed_day(text: str) -> str:
    """A day typed as people write it here (``28/11/2026``, ``28.11.26``, ``2026-11-28``) in ISO.

    Empty text is no day (``""``); anything else that is not a real date raises ``ValueError``.
    Two-digit years are this century's.
    """
    stripped = text.strip()
    if not stripped:
        return ""
    match = _DAY_MONTH_YEAR.fullmatch(stripped)
    if match:
        day, month, year = (int(part) for part in match.groups())
        return date(year + 2000 if year < 100 else year, month, day).isoformat()
    return date.fromisoformat(stripped).isoformat()


def file_size(num_bytes: int) -> str:
    """``1.2 MB``, ``340 KB`` or ``12 B``."""
    size = float(num_bytes)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GB"
