"""Render a list for the screen it is on: cards on a phone, a table on a desktop.

Hiding one of the two with CSS still makes React build both: a page of fifty leads
was 1,415 elements, of which the hidden variant was 550 to 720. :func:`by_width`
renders only the variant the browser's width asks for, and switches when the width
crosses the breakpoint (a phone turned sideways, a window resized).

The breakpoint is the one ``assets/styles.css`` uses for ``.phone-only`` and
``.desktop-only``; the page's first HTML (before the browser has run any script) is
the desktop's, and the classes keep whatever else is sized by CSS consistent with it.
"""

from __future__ import annotations

import reflex as rx
from reflex_base.vars.base import VarData

PHONE_QUERY = "(max-width: 767.98px)"

# A React hook on the media query: the server's snapshot is the desktop (no window);
# the browser's follows the query and re-renders its component when it changes.
_HOOK = (
    "const crmIsPhone = useSyncExternalStore("
    f"(onChange) => {{ const query = window.matchMedia({PHONE_QUERY!r});"
    " query.addEventListener('change', onChange);"
    " return () => query.removeEventListener('change', onChange); },"
    f" () => window.matchMedia({PHONE_QUERY!r}).matches, () => false);"
)

is_phone: rx.Var[bool] = rx.Var(
    "crmIsPhone",
    _var_type=bool,
    _var_data=VarData(imports={"react": ["useSyncExternalStore"]}, hooks=[_HOOK]),
)


def by_width(phone: rx.Component, desktop: rx.Component) -> rx.Component:
    """``phone`` below the breakpoint, ``desktop`` above it; only one is rendered."""
    return rx.cond(is_phone, phone, desktop)
