"""Dates and sizes as people read them, in the business's time zone."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo


def local_datetime(value: datetime | None, timezone: str, with_time: bool = True) -> str:
    """``28/11/2026 14:05`` in ``timezone``; empty for None."""
    if value is None:
        return ""
    local = value.astimezone(ZoneInfo(timezone))
    return local.strftime("%d/%m/%Y %H:%M" if with_time else "%d/%m/%Y")


def file_size(num_bytes: int) -> str:
    """``1.2 MB``, ``340 KB`` or ``12 B``."""
    size = float(num_bytes)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GB"
