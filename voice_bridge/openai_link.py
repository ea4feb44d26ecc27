"""The OpenAI Realtime connection, through the SDK (so ``OPENAI_BASE_URL`` is honoured)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from openai import AsyncOpenAI

from voice_bridge.call import RealtimeConnection
from voice_bridge.config import BridgeConfig

CONNECT_TIMEOUT_SECONDS = 10.0


@contextlib.asynccontextmanager
async def open_realtime(config: BridgeConfig) -> AsyncIterator[RealtimeConnection]:
    """Connect a Realtime session for one call; no automatic reconnect (the call ends instead)."""
    client = AsyncOpenAI(
        api_key=config.openai_api_key,
        base_url=config.openai_base_url,
        max_retries=0,
        timeout=CONNECT_TIMEOUT_SECONDS,
    )
    try:
        async with client.realtime.connect(
            model=config.realtime_model, max_retries=0
        ) as connection:
            yield connection
    finally:
        await client.close()
