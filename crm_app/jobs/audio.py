"""What a recording file holds: its kind, length and channels, and where people speak.

Twilio serves recordings as WAV (PCM16, one channel per call leg when the
recording is dual) or MP3. Durations come from the file itself, never from
Twilio's callback: WAV from its header, MP3 by walking its frame headers.
"""

from __future__ import annotations

import io
import math
import operator
import wave
from array import array
from dataclasses import dataclass
from pathlib import Path

FRAME_SECONDS = 0.02


class UnreadableAudio(ValueError):
    """The bytes are neither a WAV nor an MP3 this module can read."""


@dataclass(frozen=True)
class AudioInfo:
    """A recording's facts."""

    kind: str  # "wav" | "mp3"
    duration_sec: float
    channels: int
    sample_rate: int


def probe(path: Path) -> AudioInfo:
    """Read the recording's kind, duration, channels and rate from its bytes."""
    with path.open("rb") as handle:
        head = handle.read(12)
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        try:
            with wave.open(str(path), "rb") as wav:
                rate, frames = wav.getframerate(), wav.getnframes()
                return AudioInfo("wav", frames / rate, wav.getnchannels(), rate)
        except (wave.Error, EOFError) as exc:
            raise UnreadableAudio(f"broken WAV: {exc}") from exc
    return _probe_mp3(path.read_bytes())


# ---- MP3 ----------------------------------------------------------------------------------
# Bitrates (kbps) for Layer III: MPEG-1, then MPEG-2/2.5.
_BITRATES = {
    1: (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320),
    2: (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
}
_RATES = {3: (44100, 48000, 32000), 2: (22050, 24000, 16000), 0: (11025, 12000, 8000)}


def _skip_id3(data: bytes) -> int:
    if data[:3] != b"ID3" or len(data) < 10:
        return 0
    size = (data[6] << 21) | (data[7] << 14) | (data[8] << 7) | data[9]
    return 10 + size


def _probe_mp3(data: bytes) -> AudioInfo:
    """Sum the frames of an MPEG Layer III stream (constant or variable bitrate)."""
    pos, frames, seconds = _skip_id3(data), 0, 0.0
    rate = channels = 0
    while pos + 4 <= len(data):
        b1, b2, b3 = data[pos + 1], data[pos + 2], data[pos + 3]
        if data[pos] != 0xFF or (b1 & 0xE0) != 0xE0:
            if frames:
                break  # trailing tag or junk after the audio
            pos += 1  # resynchronise before the first frame
            continue
        version, layer = (b1 >> 3) & 0x03, (b1 >> 1) & 0x03
        bitrate_index, rate_index = b2 >> 4, (b2 >> 2) & 0x03
        if version == 1 or layer != 1 or bitrate_index in (0, 15) or rate_index == 3:
            pos += 1
            continue
        bitrate = _BITRATES[1 if version == 3 else 2][bitrate_index] * 1000
        rate = _RATES[version][rate_index]
        samples = 1152 if version == 3 else 576
        padding = (b2 >> 1) & 0x01
        length = samples // 8 * bitrate // rate + padding
        channels = 1 if (b3 >> 6) == 3 else 2
        frames += 1
        seconds += samples / rate
        pos += length
    if not frames:
        raise UnreadableAudio("neither a WAV nor an MP3")
    return AudioInfo("mp3", seconds, channels, rate)


# ---- WAV channels and speech ---------------------------------------------------------------
def wav_channels(path: Path) -> tuple[list[array[int]], int]:
    """The PCM16 samples of each channel, and the sample rate."""
    with wave.open(str(path), "rb") as wav:
        if wav.getsampwidth() != 2:
            raise UnreadableAudio("only 16-bit PCM WAV can be transcribed per channel")
        channels, rate = wav.getnchannels(), wav.getframerate()
        samples = array("h", wav.readframes(wav.getnframes()))
    return [samples[c::channels] for c in range(channels)], rate


def wav_bytes(samples: array[int], rate: int, channels: int = 1) -> bytes:
    """A PCM16 WAV file holding ``samples`` (interleaved when there are several channels)."""
    out = io.BytesIO()
    with wave.open(out, "wb") as wav:
        wav.setnchannels(channels)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(samples.tobytes())
    return out.getvalue()


@dataclass(frozen=True)
class Segment:
    """A stretch of one channel where someone speaks, in seconds from the start."""

    start: float
    end: float


def _frame_levels(samples: array[int], rate: int) -> list[float]:
    """RMS of each 20 ms frame, from every other sample (plenty to tell speech from silence)."""
    step = max(2, int(rate * FRAME_SECONDS))
    levels = []
    for i in range(0, len(samples), step):
        frame = samples[i : i + step : 2]
        levels.append(
            math.sqrt(sum(map(operator.mul, frame, frame)) / len(frame)) if frame else 0.0
        )
    return levels


def speech_segments(
    samples: array[int],
    rate: int,
    *,
    min_level: float = 300.0,
    join_gap: float = 0.7,
    min_length: float = 0.25,
    pad: float = 0.15,
    max_length: float = 60.0,
) -> list[Segment]:
    """Where the channel is louder than its noise floor: one segment per utterance.

    Each leg of a dual-channel recording carries one speaker, so energy is a
    reliable way to find turns. Gaps shorter than ``join_gap`` stay inside a
    turn; segments longer than ``max_length`` are cut so each stays small.
    """
    levels = _frame_levels(samples, rate)
    if not levels:
        return []
    floor = sorted(levels)[len(levels) // 10]
    threshold = max(min_level, floor * 4)
    spans: list[list[float]] = []
    for index, level in enumerate(levels):
        if level < threshold:
            continue
        t = index * FRAME_SECONDS
        if spans and t - spans[-1][1] <= join_gap:
            spans[-1][1] = t + FRAME_SECONDS
        else:
            spans.append([t, t + FRAME_SECONDS])
    total = len(samples) / rate
    segments: list[Segment] = []
    for start, end in spans:
        if end - start < min_length:
            continue
        start, end = max(0.0, start - pad), min(total, end + pad)
        while end - start > max_length:
            segments.append(Segment(round(start, 2), round(start + max_length, 2)))
            start += max_length
        segments.append(Segment(round(start, 2), round(end, 2)))
    return segments


def cut(samples: array[int], rate: int, segment: Segment) -> array[int]:
    """The samples of one segment."""
    return samples[int(segment.start * rate) : int(segment.end * rate)]
