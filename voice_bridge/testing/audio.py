"""Mu-law helpers for the fakes: fixtures, silence, frames, loudness and recordings."""

from __future__ import annotations

import math
from array import array
from functools import cache
from pathlib import Path

from crm_app.jobs.audio import wav_bytes

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


def pcm16(audio: bytes) -> array[int]:
    """Mu-law bytes as 16-bit linear samples."""
    return array("h", (DECODE[b] for b in audio))


def stereo_wav(left: bytes, right: bytes, rate: int = 8000) -> bytes:
    """A two-channel PCM16 WAV from two mu-law tracks (the shorter padded with silence)."""
    length = max(len(left), len(right))
    a = pcm16(left.ljust(length, bytes([SILENCE])))
    b = pcm16(right.ljust(length, bytes([SILENCE])))
    interleaved = array("h", bytes(4 * length))
    interleaved[0::2], interleaved[1::2] = a, b
    return wav_bytes(interleaved, rate, channels=2)


_MP3_FRAME = bytes([0xFF, 0xF3, 0x18, 0xC0]) + bytes(32)  # MPEG-2 L3, 8 kbps, 16 kHz, mono
_MP3_FRAME_SECONDS = 576 / 16000


def silent_mp3(seconds: float) -> bytes:
    """A valid MP3 of ``seconds`` of silence (frames with empty main data)."""
    return _MP3_FRAME * max(1, math.ceil(seconds / _MP3_FRAME_SECONDS))
