"""The empty list: "nothing yet" apart from "nothing matches these filters"."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import reflex as rx

from crm_app.components.i18n import t


def empty_state(
    *, name: str, filtered: rx.Var[bool], on_clear: Callable[..., Any] | Any
) -> rx.Component:
    """``{name}.empty`` when nothing exists yet, else ``{name}.no_match`` and a clear action.

    Ids: ``{name}-empty`` on the block, ``{name}-empty-clear`` on the button.
    """
    no_match = rx.vstack(
        rx.text(t(f"{name}.no_match"), weight="medium"),
        rx.text(t(f"{name}.no_match_hint"), size="2", color_scheme="gray"),
        rx.button(
            t(f"{name}.filter.clear"),
            on_click=on_clear,
            variant="soft",
            id=f"{name}-empty-clear",
        ),
        align="center",
        spacing="2",
    )
    return rx.center(
        rx.cond(filtered, no_match, rx.text(t(f"{name}.empty"))),
        id=f"{name}-empty",
        custom_attrs={"data-filtered": rx.cond(filtered, "true", "false")},
        width="100%",
        padding_y="6",
    )
