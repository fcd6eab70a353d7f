"""How long an audio clip plays, read offline from its bytes: the input the API bills per
tenth of a second.

OpenAI bills an ``input_audio`` part about ten tokens a second of sound, in whole tenths,
rounded down (see :data:`promptcache.normalize.openai_chat._AUDIO_TOKENS_PER_SECOND`). The
duration is in the file, not in the request: a WAV file's header gives its byte rate, and an
MP3 file is a run of frames whose headers give their sample rate and samples, with the
encoder's delay and padding in the LAME tag of an Xing/Info frame when the encoder wrote one
(the samples a decoder drops, as ffmpeg does). Other formats are not read: their duration is
guessed from their size by the caller.
"""

from __future__ import annotations

from typing import Final

__all__ = ["mp3_seconds", "wav_seconds"]

_KBITS_MPEG1_LAYER3: Final = (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320)
_KBITS_MPEG2_LAYER3: Final = (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160)
_SAMPLE_RATES: Final = {3: (44100, 48000, 32000), 2: (22050, 24000, 16000),
                        0: (11025, 12000, 8000)}
"""By the header's version bits: 3 MPEG-1, 2 MPEG-2, 0 MPEG-2.5 (1 is reserved)."""
_SYNC: Final = 0x7FF
_LAYER3: Final = 1
_MAX_FRAMES: Final = 1_000_000
"""About seven hours at 48 kHz: a bound on the walk over a malformed file."""
_SMALLEST_FRAME: Final = 48
"""Bytes of the shortest layer III frame (MPEG-2.5, 8 kbit/s, 12 kHz): an Info frame claiming
more frames than the file could hold is not believed."""


def wav_seconds(head: bytes, size: int) -> float | None:
    """The duration of a RIFF/WAVE file of ``size`` bytes that starts with ``head``, from
    the byte rate of its ``fmt`` chunk; None when it is not one."""
    if len(head) < 34 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
        return None
    sample_rate = int.from_bytes(head[24:28], "little")
    rate = int.from_bytes(head[28:32], "little")
    block = int.from_bytes(head[32:34], "little")
    # The byte rate is the sample rate times the bytes of one sample frame: a header whose
    # fields disagree (or a rate no recorder uses) is not believed, its duration guessed.
    if not 1_000 <= sample_rate <= 768_000 or not block or rate != sample_rate * block:
        return None
    return size / rate


def mp3_seconds(data: bytes) -> float | None:
    """The duration of an MPEG layer III stream (after any ID3v2 tag), walking its frames;
    None when ``data`` does not start with one."""
    start = _after_id3(data)
    frame = _header(data, start)
    if frame is None:
        return None
    rate, samples_per_frame, length, side_info = frame
    tag = _xing(data, start + 4 + side_info)
    if tag is not None and tag[0] <= (len(data) - start) // _SMALLEST_FRAME:
        # The Xing/Info frame holds no sound; it counts the frames after it, and its LAME
        # tag the samples the encoder added before and after the sound.
        frames, trimmed = tag
        return max(0, frames * samples_per_frame - trimmed) / rate
    frames = 0
    position = start
    while frame is not None and frames < _MAX_FRAMES:
        frames += 1
        position += length
        frame = _header(data, position)
        if frame is not None:
            rate, samples_per_frame, length, _ = frame
    return frames * samples_per_frame / rate


def _after_id3(data: bytes) -> int:
    if data[:3] != b"ID3" or len(data) < 10:
        return 0
    size = (data[6] << 21) | (data[7] << 14) | (data[8] << 7) | data[9]  # syncsafe
    footer = 10 if data[5] & 0x10 else 0
    return 10 + size + footer


def _header(data: bytes, at: int) -> tuple[int, int, int, int] | None:
    """(sample rate, samples per frame, frame length in bytes, side-info bytes) of the
    layer III frame header at ``at``, or None when there is none."""
    if at + 4 > len(data):
        return None
    word = int.from_bytes(data[at:at + 4], "big")
    version = (word >> 19) & 3
    bitrate_index = (word >> 12) & 15
    rate_index = (word >> 10) & 3
    if ((word >> 21) & _SYNC) != _SYNC or version == 1 or (word >> 17) & 3 != _LAYER3 \
            or bitrate_index in (0, 15) or rate_index == 3:
        return None
    rate = _SAMPLE_RATES[version][rate_index]
    mono = (word >> 6) & 3 == 3
    if version == 3:
        kbits, samples, side_info = _KBITS_MPEG1_LAYER3[bitrate_index], 1152, 17 if mono else 32
    else:
        kbits, samples, side_info = _KBITS_MPEG2_LAYER3[bitrate_index], 576, 9 if mono else 17
    padding = (word >> 9) & 1
    length = samples // 8 * kbits * 1000 // rate + padding
    return rate, samples, length, side_info


def _xing(data: bytes, at: int) -> tuple[int, int] | None:
    """(frames, samples trimmed) of an Xing/Info tag at ``at`` that counts its frames, or
    None; the trimmed samples are the LAME tag's encoder delay plus padding (0 without it)."""
    if data[at:at + 4] not in (b"Xing", b"Info") or at + 12 > len(data):
        return None
    flags = int.from_bytes(data[at + 4:at + 8], "big")
    if not flags & 1:
        return None
    frames = int.from_bytes(data[at + 8:at + 12], "big")
    position = at + 12 + (4 if flags & 2 else 0) + (100 if flags & 4 else 0) \
        + (4 if flags & 8 else 0)
    encoder = data[position:position + 9]
    delays = data[position + 21:position + 24]
    if len(delays) < 3 or not encoder[:4].isalpha():
        return frames, 0
    delay = (delays[0] << 4) | (delays[1] >> 4)
    padding = ((delays[1] & 15) << 8) | delays[2]
    return frames, delay + padding
