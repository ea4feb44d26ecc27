"""The OpenAI Realtime connection, through the SDK (so ``OPENAI_BASE_URL`` is honoured).

One SDK client per process is shared by every call: building a client (HTTP
pool, TLS context) takes milliseconds of CPU that would stall live calls.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from openai import AsyncOpenAI

from voice_bridge.call import RealtimeConnection
from voice_bridge.config import BridgeConfig

CONNECT_TIMEOUT_SECONDS = 10.0


def make_client(config: BridgeConfig) -> AsyncOpenAI:
    """The process's SDK client."""
    return AsyncOpenAI(
        api_key=config.openai_api_key,
        base_url=config.openai_base_url,
        max_retries=0,
        timeout=CONNECT_TIMEOUT_SECONDS,
    )


@contextlib.asynccontextmanager
async def open_realtime(
    client: AsyncOpenAI, config: BridgeConfig
) -> AsyncIterator[RealtimeConnection]:
    """Connect a Realtime session for one call; no automatic reconnect (the call ends instead)."""
    async with client.realtime.connect(model=config.realtime_model, max_retries=0) as connection:
        yield connection
