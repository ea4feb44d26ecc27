"""Reflex configuration. The CRM's own settings live in crm_app/settings.py."""

import reflex as rx
from reflex.plugins.sitemap import SitemapPlugin

from crm_app.frontend import SocketTokenPlugin
from crm_app.settings import get_settings

settings = get_settings()

config = rx.Config(
    app_name="crm_app",
    telemetry_enabled=False,
    show_built_with_reflex=False,
    plugins=[
        rx.plugins.RadixThemesPlugin(
            theme=rx.theme(accent_color="indigo", gray_color="slate", radius="medium")
        ),
        SocketTokenPlugin(),
    ],
    disable_plugins=[SitemapPlugin],
    # Credentials (the session cookie) only from our own pages: the API's CORS and the
    # event socket accept PUBLIC_BASE_URL's origin and ALLOWED_ORIGINS, nothing else.
    cors_allowed_origins=list(settings.origins),
    # UI state lives in this process's memory, or in Redis when scaled out: never on
    # disk (Reflex's default pickles it, request headers included, into .states/).
    state_manager_mode="redis" if settings.reflex_redis_url else "memory",
    redis_url=settings.reflex_redis_url,
)
