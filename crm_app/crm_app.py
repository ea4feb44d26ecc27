"""The Reflex application: pages, the mounted API and voice bridge, start-up migration."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator

import reflex as rx
from starlette.routing import Route

from crm_app.api.server import create_backend
from crm_app.db import get_engine
from crm_app.jobs import hooks
from crm_app.migrate import upgrade_to_head
from crm_app.pages.appointments import appointments_page
from crm_app.pages.calendar import calendar_page
from crm_app.pages.calls import calls_page
from crm_app.pages.dashboard import dashboard_page
from crm_app.pages.lead import lead_page
from crm_app.pages.leads import leads_page
from crm_app.pages.login import login_page
from crm_app.pages.password import password_page
from crm_app.pages.settings import settings_page
from crm_app.pages.tasks import tasks_page
from crm_app.state import alert_push, socket
from crm_app.state.appointments import AppointmentsState
from crm_app.state.bell import BellState
from crm_app.state.calendar import CalendarState
from crm_app.state.calls import CallsState, CallViewState
from crm_app.state.dashboard import DashboardState
from crm_app.state.failures import on_backend_error
from crm_app.state.guard import SessionGuard
from crm_app.state.lead import LeadState
from crm_app.state.leads import LeadsState
from crm_app.state.login import LoginState
from crm_app.state.notes import NotesState
from crm_app.state.password_link import PasswordLinkState
from crm_app.state.session import SessionState
from crm_app.state.settings import SettingsState
from crm_app.state.tasks import LeadTasksState, TasksState
from crm_app.state.uploads import upload_endpoint
from voice_bridge.app import create_bridge

logger = logging.getLogger("crm_app")


def migrate_on_start() -> None:
    """The server upgrades the schema to head before it serves anything."""
    upgrade_to_head(get_engine())
    logger.info("database schema at head")


# The composition root: the voice bridge's call events queue the post-call pipeline.
BACKEND = create_backend(create_bridge(events=hooks.on_call_event))


@contextlib.asynccontextmanager
async def drain_calls_on_shutdown() -> AsyncIterator[None]:
    """On shutdown the voice bridge refuses new calls and finishes the active ones."""
    async with BACKEND.state.bridge().lifespan():
        yield


def index() -> rx.Component:
    """``/`` goes to the lead list (or to sign-in)."""
    return rx.fragment(rx.script("window.location.replace('/leads')"))


app = rx.App(
    api_transformer=BACKEND,
    html_lang="he",
    html_custom_attrs={"dir": "rtl"},
    stylesheets=["/styles.css"],
    # In <head>: paste, drop and pick handling and the keyboard and focus rules are in
    # place before the page can be used.
    head_components=[rx.el.script(src="/uploads.js"), rx.el.script(src="/keyboard.js")],
    backend_exception_handler=on_backend_error,
)
# The UI's state belongs to the sign-in that loaded it: the guard checks every event,
# the socket carries the tab's token in its CONNECT packet and keeps no cookie, and
# uploads are checked before their body is read.
app.add_middleware(SessionGuard(), index=0)
socket.install(app)
BACKEND.router.routes.insert(0, Route("/_upload", upload_endpoint(lambda: app), methods=["POST"]))
app.register_lifespan_task(migrate_on_start)
app.register_lifespan_task(drain_calls_on_shutdown)
app.register_lifespan_task(alert_push.listener(lambda: app, BellState))

# The route table. Every page but /login and /password checks the session in its on_load.
app.add_page(login_page, route="/login", title="Sign in · CRM", on_load=LoginState.load)
app.add_page(
    password_page,
    route="/password",
    title="Choose a password · CRM",
    on_load=PasswordLinkState.load,
)
app.add_page(index, route="/", title="CRM", on_load=SessionState.require_login)
app.add_page(leads_page, route="/leads", title="Leads · CRM", on_load=LeadsState.load)
app.add_page(
    lead_page,
    route="/leads/[id]",
    title="Lead · CRM",
    # A call left open on /calls is not this lead's: its Calls tab starts closed.
    on_load=[LeadState.load, NotesState.load_notes, LeadTasksState.load_tasks, CallViewState.close],
)
app.add_page(calls_page, route="/calls", title="Calls · CRM", on_load=CallsState.load)
app.add_page(calls_page, route="/calls/[id]", title="Call · CRM", on_load=CallsState.load)
app.add_page(tasks_page, route="/tasks", title="Tasks · CRM", on_load=TasksState.load)
app.add_page(
    appointments_page,
    route="/appointments",
    title="Appointments · CRM",
    on_load=AppointmentsState.load,
)
app.add_page(calendar_page, route="/calendar", title="Calendar · CRM", on_load=CalendarState.load)
app.add_page(
    dashboard_page, route="/dashboard", title="Dashboard · CRM", on_load=DashboardState.load
)
app.add_page(settings_page, route="/settings", title="Settings · CRM", on_load=SettingsState.load)
