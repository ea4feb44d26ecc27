"""``/settings``: the user's profile and, for owners and admins, running the business."""

from __future__ import annotations

import reflex as rx

from crm_app.components.agent_section import agent_section
from crm_app.components.audit_section import audit_section
from crm_app.components.business_section import business_section
from crm_app.components.calendars_section import calendars_section
from crm_app.components.fields_section import fields_section
from crm_app.components.i18n import t
from crm_app.components.layout import page_frame
from crm_app.components.profile_section import profile_section
from crm_app.components.settings_nav import settings_nav
from crm_app.components.status_editor import status_editor
from crm_app.components.team_section import team_section
from crm_app.components.tokens_section import tokens_section
from crm_app.state import calendar_settings as _calendars  # noqa: F401 - registers its loader
from crm_app.state import fields as _fields  # noqa: F401 - registers the section's loader
from crm_app.state.settings import SettingsState


def settings_page() -> rx.Component:
    return page_frame(
        settings_nav(),
        rx.match(
            SettingsState.section,
            ("statuses", status_editor()),
            ("business", business_section()),
            ("calendars", calendars_section()),
            ("agent", agent_section()),
            ("team", team_section()),
            ("tokens", tokens_section()),
            ("audit", audit_section()),
            ("fields", fields_section()),
            profile_section(),
        ),
        title=t("settings.title"),
    )
