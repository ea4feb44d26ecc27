"""The settings page's sections, as links (the section is in the URL)."""

from __future__ import annotations

import reflex as rx

from crm_app.components.i18n import t
from crm_app.state.settings import SECTIONS, SettingsState


def _link(section: str) -> rx.Component:
    current = SettingsState.section == section
    return rx.link(
        t(f"settings.section.{section}"),
        href=f"/settings?section={section}",
        id=f"section-{section}",
        weight=rx.cond(current, "bold", "regular"),
        underline=rx.cond(current, "always", "hover"),
        custom_attrs={"aria-current": rx.cond(current, "page", "false")},
    )


def settings_nav() -> rx.Component:
    """Every section this user has (agents: only their profile)."""
    return rx.flex(
        *[
            rx.cond(SettingsState.sections.contains(section), _link(section))
            for section in SECTIONS
        ],
        style={"columnGap": "1.25em", "rowGap": "0.5em"},
        wrap="wrap",
        padding_bottom="0.75em",
        border_bottom="1px solid var(--gray-a5)",
        margin_bottom="1em",
        role="navigation",
    )
