"""Right-to-left for Radix primitives.

The root Radix theme pins ``dir="ltr"`` for its primitives (menus, selects,
tabs), so each page sets its own direction provider.
"""

from __future__ import annotations

import reflex as rx


class DirectionProvider(rx.Component):
    """``@radix-ui/react-direction``'s provider: primitives follow ``dir``."""

    library = "@radix-ui/react-direction@1.2.0"
    tag = "DirectionProvider"
    dir: rx.Var[str]


direction_provider = DirectionProvider.create


def directed(*children: rx.Component, dir: rx.Var[str] | str) -> rx.Component:  # noqa: A002
    """Wrap ``children`` so that both CSS and Radix primitives use ``dir``."""
    return direction_provider(
        rx.theme(*children, dir=dir, has_background=False),
        dir=dir,
    )
