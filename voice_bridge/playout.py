"""What the caller has actually heard: the bookkeeping behind barge-in.

Twilio buffers the agent's audio and plays it in order; a ``mark`` sent after
a chunk comes back once the chunk has played. From the marks we know how much
of each item was heard, so an interruption truncates the model's item at the
point the caller stopped listening (never beyond what was generated) and the
model's context holds no words the caller never heard.
"""

from __future__ import annotations

from dataclasses import dataclass, field

BYTES_PER_MS = 8  # mu-law, 8 kHz, one byte per sample


@dataclass
class ItemAudio:
    """One output item's audio, in milliseconds."""

    generated_ms: float = 0.0
    sent_ms: float = 0.0
    acked_ms: float = 0.0
    first_sent_at: float | None = None


@dataclass(frozen=True)
class Truncation:
    """Truncate ``item_id`` at ``audio_end_ms`` (what the caller heard of it)."""

    item_id: str
    audio_end_ms: int


def _exact_ms(ms: float) -> str:
    """``ms`` as a mark name carries it, without rounding (``"500"``, ``"4012.375"``).

    A delta can hold any number of bytes, so an item's length is a multiple of
    1/8 ms, which a float and three decimals both hold exactly. Rounding it
    would leave the last mark short of what was sent: the item would never be
    heard to the end (no hang-up after a goodbye, a false barge-in later).
    """
    return f"{ms:.3f}".rstrip("0").rstrip(".")


@dataclass
class Playout:
    """Audio sent to Twilio, acknowledged by marks, per playback generation.

    A ``clear`` starts a new generation: marks from before it are ignored,
    whether Twilio echoes them or drops them. The items an interruption cut
    are muted: the ``clear`` dropped the rest of their audio, so they are no
    longer playing, and they are truncated once, at what was heard.

    ``generating`` is the item whose audio the model is still sending. Its
    marks can have caught up with what was sent while more is on the way, so
    an interruption cuts it even when nothing of it is left unheard.
    """

    generation: int = 0
    items: dict[str, ItemAudio] = field(default_factory=dict)
    order: list[str] = field(default_factory=list)
    muted: set[str] = field(default_factory=set)
    last_ack_at: float = 0.0
    generating: str | None = None

    def started(self, item_id: str) -> None:
        """The model began an audio item (before its first delta, which may never come)."""
        if item_id not in self.muted:
            self.generating = item_id

    def finished(self, item_id: str) -> None:
        """The model has sent all of an item's audio."""
        if self.generating == item_id:
            self.generating = None

    def mute(self, item_id: str) -> None:
        """Never play this item (it belongs to a response the caller interrupted)."""
        self.muted.add(item_id)
        self.finished(item_id)

    def on_delta(self, item_id: str, nbytes: int, now: float) -> str | None:
        """Count an audio delta; returns the mark name to send after it, or None if muted."""
        if item_id in self.muted:
            return None
        item = self.items.get(item_id)
        if item is None:
            item = self.items[item_id] = ItemAudio()
            self.order.append(item_id)
            self.generating = item_id
        if item.first_sent_at is None:
            item.first_sent_at = now
        ms = nbytes / BYTES_PER_MS
        item.generated_ms += ms
        item.sent_ms += ms
        return f"{self.generation}:{item_id}:{_exact_ms(item.sent_ms)}"

    def on_mark(self, name: str, now: float) -> str | None:
        """Record a mark echo; returns the item it completed up to, if it counts."""
        try:
            generation, item_id, cum_ms = name.split(":", 2)
            if int(generation) != self.generation or item_id not in self.items:
                return None
            self.items[item_id].acked_ms = max(self.items[item_id].acked_ms, float(cum_ms))
        except ValueError:
            return None
        self.last_ack_at = now
        return item_id

    def unplayed(self) -> list[str]:
        """Items still playing (sent, not heard to the end, not cut off), in playback order.

        A muted item's unheard audio was dropped by the ``clear``, and its marks
        belong to an old generation, so its ``acked_ms`` stays short of
        ``sent_ms`` for good: counting it here would have a later interruption
        truncate it again, at a point past its truncated length.
        """
        return [
            i
            for i in self.order
            if i not in self.muted and self.items[i].sent_ms > self.items[i].acked_ms
        ]

    def active(self) -> bool:
        """Whether an interruption would cut anything: audio playing, or still coming."""
        return self.generating is not None or bool(self.unplayed())

    def heard_ms(self, item_id: str, now: float) -> float:
        """How much of an item the caller has heard by ``now`` (an estimate past the last mark)."""
        item = self.items[item_id]
        first = item.first_sent_at if item.first_sent_at is not None else now
        since = max(self.last_ack_at, first)
        playing = min(max(now - since, 0.0) * 1000, item.sent_ms - item.acked_ms)
        return min(item.acked_ms + playing, item.generated_ms)

    def fully_played(self, item_id: str) -> bool:
        """Whether every generated millisecond of the item has been acknowledged."""
        item = self.items.get(item_id)
        return item is not None and item.generated_ms > 0 and item.acked_ms >= item.generated_ms

    def interrupt(self, now: float) -> list[Truncation]:
        """Barge-in: what to truncate; mutes the items and starts a new generation.

        The items cut are those still playing and the one still being
        generated, even when all of it sent so far was heard: its later deltas
        would otherwise play after the ``clear``. Only the item being heard is
        truncated, and only if any of it was sent; the ones queued behind it
        are muted unheard. Items an earlier interruption muted are not playing,
        so they are never truncated twice.
        """
        cut = self.unplayed()
        if self.generating is not None and self.generating not in cut:
            cut.append(self.generating)
        truncations = []
        first = self.items.get(cut[0]) if cut else None
        if first is not None and first.generated_ms > 0:
            end_ms = min(self.heard_ms(cut[0], now), first.generated_ms)
            truncations.append(Truncation(cut[0], int(end_ms)))
        self.muted.update(cut)
        self.generating = None
        self.generation += 1
        return truncations
