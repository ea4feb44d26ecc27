"""Days typed or picked in a date input, as the ISO text the state and the URL keep."""

from __future__ import annotations

from crm_app.i18n.formats import typed_day
from crm_app.services.errors import InvalidInput


def day_from_input(text: object) -> str:
    """``28/11/2026`` (or a picked ``2026-11-28``) as ``2026-11-28``; empty for no day.

    Anything else is an :class:`InvalidInput` the user sees as a toast.
    """
    raw = str(text or "")
    try:
        return typed_day(raw)
    except ValueError as exc:
        raise InvalidInput(f"{raw!r} is not a date", field="date", key="errors.date_typed") from exc
