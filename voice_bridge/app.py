"""The voice bridge Starlette application (Twilio webhooks and media WebSocket)."""

from __future__ import annotations

from starlette.applications import Starlette


def create_bridge() -> Starlette:
    """Build the bridge app; its routes are added by the voice bridge issue."""
    return Starlette(routes=[])
