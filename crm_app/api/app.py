"""The REST API v1 application (mounted at ``/api/v1``)."""

from __future__ import annotations

from typing import Literal

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from crm_app.api import (
    agent,
    alerts,
    appointments,
    business,
    calendars,
    calls,
    dashboard,
    exports,
    fields,
    leads,
    notes,
    openapi,
    tasks,
    team,
)
from crm_app.api.deps import CurrentPrincipal
from crm_app.api.errors import install_error_handlers
from crm_app.api.gate import CredentialsFirst
from crm_app.services import health


def create_api() -> FastAPI:
    """Build the API with its routers, JSON error handlers and credentials-first gate."""
    api = FastAPI(
        title="CRM API",
        version="1",
        openapi_url="/openapi.json",
        servers=[{"url": "/api/v1"}],
        docs_url=None,
        redoc_url=None,
    )
    install_error_handlers(api)
    openapi.install(api)
    api.add_middleware(CredentialsFirst)
    api.add_api_route(
        "/health",
        health_endpoint,
        methods=["GET"],
        tags=["health"],
        response_model=Health,
        responses={503: {"model": Health, "description": "the database is away or behind"}},
    )
    api.add_api_route("/me", me_endpoint, methods=["GET"], tags=["auth"], response_model=Me)
    api.include_router(leads.router)
    api.include_router(exports.router)
    api.include_router(notes.router)
    api.include_router(calls.router)
    api.include_router(business.router)
    api.include_router(agent.router)
    api.include_router(team.router)
    api.include_router(fields.router)
    api.include_router(tasks.router)
    api.include_router(dashboard.router)
    api.include_router(alerts.router)
    api.include_router(appointments.router)
    api.include_router(calendars.router)
    return api


class Health(BaseModel):
    """Whether the server can serve: its database and its migrations."""

    status: Literal["ok", "degraded"]
    database: Literal["ok", "unreachable"]
    migrations: Literal["at_head", "behind"]


class Me(BaseModel):
    """The authenticated user and their business."""

    user_id: int
    email: str
    name: str
    role: str
    locale: str
    business_id: int
    business_name: str


def me_endpoint(principal: CurrentPrincipal) -> Me:
    """Who the credentials belong to."""
    return Me(
        user_id=principal.user_id,
        email=principal.email,
        name=principal.name,
        role=principal.role.value,
        locale=principal.locale,
        business_id=principal.business_id,
        business_name=principal.business_name,
    )


def health_endpoint() -> JSONResponse:
    """Database reachability and whether migrations are at head (no auth, no data)."""
    result = health.check()
    body = {
        "status": "ok" if result.ok else "degraded",
        "database": "ok" if result.database else "unreachable",
        "migrations": "at_head" if result.migrations_at_head else "behind",
    }
    return JSONResponse(body, status_code=200 if result.ok else 503)
