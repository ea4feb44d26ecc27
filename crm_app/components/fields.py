"""A settings form's field: its label, its control and an optional hint beneath."""

from __future__ import annotations

import reflex as rx

from crm_app.components.i18n import label, t

# A native <select> dressed as the theme's select: phones open their own picker, forms
# submit it by name.
NATIVE_SELECT = "rt-reset rt-SelectTrigger rt-r-size-2 rt-variant-surface"


def hint(key: str) -> rx.Component:
    """A line of help under a field or a heading."""
    return rx.text(t(key), size="1", color_scheme="gray")


def field(key: str, control: rx.Component, hint_key: str | None = None) -> rx.Component:
    """``control`` under the label ``key`` (tied to it by the control's id)."""
    return rx.vstack(
        label(key, str(control.id or "")),
        control,
        *([hint(hint_key)] if hint_key else []),
        spacing="1",
        width="100%",
    )
