"""``/calls``: the business's calls."""

from __future__ import annotations

import reflex as rx

from crm_app.components.i18n import t
from crm_app.components.layout import page_frame


def calls_page() -> rx.Component:
    """The call list (filled in by the calls issue)."""
    return page_frame(rx.fragment(), title=t("calls.title"))
