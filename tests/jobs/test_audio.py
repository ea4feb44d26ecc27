"""Reading recordings: kind, length and channels from the bytes; turns found per channel."""

from __future__ import annotations

from pathlib import Path

import pytest

from crm_app.jobs import ai, audio
from tests.jobs.conftest import Outside
from voice_bridge.testing.audio import clip, pcm16, silence, silent_mp3, stereo_wav


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_wav_and_mp3_lengths_come_from_the_files_themselves(tmp_path: Path) -> None:
    wav = audio.probe(write(tmp_path, "a.wav", stereo_wav(silence(2500), silence(100))))
    assert (wav.kind, wav.channels, wav.sample_rate) == ("wav", 2, 8000)
    assert wav.duration_sec == pytest.approx(2.5)
    tagged = b"ID3\x04\x00\x00\x00\x00\x00\x0a" + b"\x00" * 10 + silent_mp3(61.0)
    mp3 = audio.probe(write(tmp_path, "a.mp3", tagged))
    assert (mp3.kind, mp3.channels) == ("mp3", 1)
    assert mp3.duration_sec == pytest.approx(61.0, abs=0.05)


@pytest.mark.parametrize("data", [b"", b"<html>not found</html>", b"RIFF\x00\x00\x00\x00WAVE"])
def test_bytes_that_are_not_audio_are_refused_clearly(tmp_path: Path, data: bytes) -> None:
    with pytest.raises(audio.UnreadableAudio):
        audio.probe(write(tmp_path, "x.wav", data))


def test_each_turn_of_a_channel_is_found_with_its_time() -> None:
    words = clip("he_agent")  # 3.6 s of speech
    samples = pcm16(silence(1000) + words + silence(2000) + words + silence(500))
    segments = audio.speech_segments(samples, 8000)
    assert len(segments) == 2
    assert segments[0].start == pytest.approx(1.0, abs=0.2)
    assert segments[1].start == pytest.approx(6.6, abs=0.2)
    assert all(3.0 < s.end - s.start < 4.2 for s in segments)
    assert audio.speech_segments(pcm16(silence(3000)), 8000) == []
    long = audio.speech_segments(samples, 8000, max_length=2.0)
    assert all(s.end - s.start <= 2.0 + 1e-6 for s in long) and len(long) >= 4


def test_an_agent_turn_the_caller_talked_over_is_marked_interrupted(
    tmp_path: Path, outside: Outside
) -> None:
    agent = clip("he_agent")
    caller = silence(2000) + clip("he_caller")[:16000]  # starts 2 s into the agent's 3.6 s
    path = write(tmp_path, "r.wav", stereo_wav(caller, agent))

    transcript = ai.transcribe_recording(outside.config, path, language="he", name="CA1")

    assert [(u["speaker"], u["interrupted"]) for u in transcript] == [
        ("agent", True),
        ("caller", False),
    ]
    assert transcript[1]["start_ms"] == pytest.approx(2000, abs=200)
