"""Calls this process is handling: the concurrency cap, and draining on shutdown."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator
from typing import Protocol

logger = logging.getLogger("voice_bridge")
RESERVATION_SECONDS = 30.0  # from the TwiML answer until the stream starts


class Session(Protocol):
    """What the registry needs of a live call."""

    async def shutdown(self, reason: str = "shutdown") -> None:
        """End the call now."""


class Registry:
    """Reservations (TwiML sent, stream not started) and live sessions, capped together."""

    def __init__(self, max_calls: int) -> None:
        self.max_calls = max_calls
        self.reservations: dict[str, float] = {}
        self.sessions: dict[str, Session] = {}
        self.draining = False
        self._idle = asyncio.Event()
        self._idle.set()

    def _purge(self) -> None:
        now = time.monotonic()
        for sid in [s for s, deadline in self.reservations.items() if deadline < now]:
            del self.reservations[sid]

    def reserve(self, call_sid: str) -> bool:
        """Hold a slot for a call at webhook time; False when full or shutting down."""
        self._purge()
        if self.draining:
            return False
        if call_sid in self.reservations or call_sid in self.sessions:
            return True  # Twilio retried the webhook
        if len(self.reservations) + len(self.sessions) >= self.max_calls:
            return False
        self.reservations[call_sid] = time.monotonic() + RESERVATION_SECONDS
        return True

    def release(self, call_sid: str) -> None:
        """Forget a reservation (the call ended before its stream started)."""
        self.reservations.pop(call_sid, None)

    @contextlib.asynccontextmanager
    async def active(self, call_sid: str, session: Session) -> AsyncIterator[None]:
        """A live call: counted until it ends."""
        self.reservations.pop(call_sid, None)
        self.sessions[call_sid] = session
        self._idle.clear()
        try:
            yield
        finally:
            self.sessions.pop(call_sid, None)
            if not self.sessions:
                self._idle.set()

    async def drain(self, seconds: float) -> None:
        """Refuse new calls, give live ones ``seconds`` to end, then end the rest."""
        self.draining = True
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._idle.wait(), seconds)
        remaining = list(self.sessions.values())
        if remaining:
            logger.info("drain_ending_calls count=%d", len(remaining))
        for session in remaining:
            await session.shutdown("shutdown")
        with contextlib.suppress(TimeoutError):  # let their finalize write the calls
            await asyncio.wait_for(self._idle.wait(), 5)
