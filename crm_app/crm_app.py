"""The Reflex application: pages, the mounted API and voice bridge, start-up migration."""

from __future__ import annotations

import logging

import reflex as rx

from crm_app.api.server import create_backend
from crm_app.db import get_engine
from crm_app.migrate import upgrade_to_head
from crm_app.pages import calls, dashboard, lead, leads, login, settings  # noqa: F401  (register pages)
from crm_app.state.session import SessionState

logger = logging.getLogger("crm_app")


def migrate_on_start() -> None:
    """The server upgrades the schema to head before it serves anything."""
    upgrade_to_head(get_engine())
    logger.info("database schema at head")


@rx.page(route="/", on_load=SessionState.require_login)
def index() -> rx.Component:
    """``/`` goes to the lead list (or to sign-in)."""
    return rx.fragment(rx.script("window.location.replace('/leads')"))


app = rx.App(
    api_transformer=create_backend(),
    html_lang="he",
    html_custom_attrs={"dir": "rtl"},
    stylesheets=["/styles.css"],
)
app.register_lifespan_task(migrate_on_start)
