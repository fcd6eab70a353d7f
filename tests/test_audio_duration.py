"""Audio durations read offline (promptcache.tokens.audio), on clips built here frame by
frame: the figures the API's ten tokens a second are taken from."""

from __future__ import annotations

import io
import wave

import pytest

from promptcache.tokens.audio import mp3_seconds, wav_seconds

MPEG1_48K_MONO = bytes([0xFF, 0xFB, 0x94, 0xC4])
"""MPEG-1 layer III, no CRC, 128 kbit/s, 48 kHz, unpadded, mono: 384-byte frames of 1,152
samples."""
MPEG2_24K_MONO = bytes([0xFF, 0xF3, 0x64, 0xC4])
"""MPEG-2 layer III, 48 kbit/s, 24 kHz, unpadded, mono: 144-byte frames of 576 samples."""


def _frames(header: bytes, length: int, count: int) -> bytes:
    return (header + bytes(length - len(header))) * count


def _info_frame(frames: int, delay: int, padding: int, encoder: bytes = b"LAME3.100") -> bytes:
    """An Info frame (MPEG-1, mono: the tag after 17 bytes of side info) counting ``frames``,
    with a LAME tag giving the encoder's delay and padding."""
    tag = (b"Info" + (1).to_bytes(4, "big") + frames.to_bytes(4, "big") + encoder
           + bytes(12) + bytes([delay >> 4, ((delay & 15) << 4) | (padding >> 8),
                                padding & 255]))
    body = bytes(17) + tag
    return MPEG1_48K_MONO + body + bytes(384 - 4 - len(body))


def test_a_wav_clip_lasts_its_size_over_its_byte_rate() -> None:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as clip:
        clip.setnchannels(1)
        clip.setsampwidth(2)
        clip.setframerate(16_000)
        clip.writeframes(bytes(32_000 * 3))  # 3 s of silence
    data = buffer.getvalue()
    assert wav_seconds(data[:64], len(data)) == pytest.approx(3 + 44 / 32_000)
    assert wav_seconds(b"OggS" + bytes(60), 1000) is None
    # A byte rate that disagrees with the sample rate and frame size: no duration.
    forged = data[:28] + (1).to_bytes(4, "little") + data[32:64]
    assert wav_seconds(forged, len(data)) is None


def test_mp3_frames_are_walked_at_their_own_rate() -> None:
    assert mp3_seconds(_frames(MPEG1_48K_MONO, 384, 125)) == pytest.approx(3.0)
    assert mp3_seconds(_frames(MPEG2_24K_MONO, 144, 180)) == pytest.approx(4.32)


def test_an_id3_tag_and_trailing_bytes_are_not_sound() -> None:
    id3 = b"ID3\x04\x00\x00" + bytes([0, 0, 1, 0]) + bytes(128)  # syncsafe size 128
    clip = id3 + _frames(MPEG1_48K_MONO, 384, 50) + b"TAG" + bytes(125)
    assert mp3_seconds(clip) == pytest.approx(50 * 1152 / 48_000)


def test_an_info_frame_counts_the_frames_and_the_lame_tag_trims_them() -> None:
    # The shape of Mirascope's clip: 109 frames, 576 samples of encoder delay, 765 of
    # padding, 2.588 s (the API billed 25 tokens).
    clip = _info_frame(109, 576, 765) + _frames(MPEG1_48K_MONO, 384, 109)
    assert mp3_seconds(clip) == pytest.approx((109 * 1152 - 576 - 765) / 48_000)
    # An encoder string that is not one (no LAME tag): nothing trimmed.
    untagged = _info_frame(109, 576, 765, encoder=bytes(9)) + _frames(MPEG1_48K_MONO, 384, 109)
    assert mp3_seconds(untagged) == pytest.approx(109 * 1152 / 48_000)


def test_an_info_frame_claiming_more_frames_than_the_file_holds_is_not_believed() -> None:
    clip = _info_frame(4_000_000_000, 0, 0) + _frames(MPEG1_48K_MONO, 384, 10)
    # The frames are walked instead: the Info frame and the ten after it.
    assert mp3_seconds(clip) == pytest.approx(11 * 1152 / 48_000)


@pytest.mark.parametrize("data", [b"", b"OggS" + bytes(100), b"\xff\xfb\x00\x00" + bytes(9),
                                  b"ID3\x04\x00\x00\x7f\x7f\x7f\x7f"])
def test_what_is_not_an_mp3_stream_has_no_duration(data: bytes) -> None:
    assert mp3_seconds(data) is None
