"""Mu-law helpers for the fakes: fixtures, silence, frames and loudness."""

from __future__ import annotations

import math
from functools import cache
from pathlib import Path

HERE = Path(__file__).parent
SILENCE = 0xFF  # mu-law silence is 0xFF; 0x00 decodes to a loud negative sample
FRAME = 160  # 20 ms at 8 kHz


def _decode(byte: int) -> int:
    byte = ~byte & 0xFF
    sign, exponent, mantissa = byte & 0x80, (byte >> 4) & 0x07, byte & 0x0F
    sample = ((mantissa << 3) + 0x84) << exponent
    sample -= 0x84
    return -sample if sign else sample


DECODE = [_decode(b) for b in range(256)]


@cache
def clip(name: str) -> bytes:
    """A bundled fixture, e.g. ``he_caller`` or ``en_agent``."""
    return (HERE / f"{name}.ulaw").read_bytes()


def silence(ms: int) -> bytes:
    """``ms`` milliseconds of mu-law silence."""
    return bytes([SILENCE]) * (ms * 8)


def frames(audio: bytes) -> list[bytes]:
    """20 ms frames, the last one padded with silence."""
    padded = audio + bytes([SILENCE]) * (-len(audio) % FRAME)
    return [padded[i : i + FRAME] for i in range(0, len(padded), FRAME)]


def rms(frame: bytes) -> float:
    """Loudness of a frame (16-bit scale)."""
    if not frame:
        return 0.0
    return math.sqrt(sum(DECODE[b] ** 2 for b in frame) / len(frame))
