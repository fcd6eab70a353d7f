"""Message framing per model family, on hand-written Chat Completions requests.

Each test counts a request the way ``promptcache audit`` does (segments, then each segment's
text under the model's encoding plus its fixed tokens) and compares it with the rule the
recorded usage shows (the evidence is cited beside each rule in
``promptcache.normalize.openai_chat``).
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any

import pytest

from promptcache.catalog import facts_for
from promptcache.normalize.openai_chat import chat_segments
from promptcache.tokens.counter import TokenCounter
from promptcache.tokens.functions import TOOLS_FOOTER, TOOLS_HEADER, render_function

_COUNTERS = {name: TokenCounter(name) for name in ("cl100k_base", "o200k_base")}

LOOKUP = {
    "name": "lookup_order",
    "description": "Find an order by its number.",
    "parameters": {"type": "object",
                   "properties": {"number": {"type": "string", "description": "Order number"}},
                   "required": ["number"]},
}


def _prompt(body: Mapping[str, Any]) -> tuple[int, bool]:
    """(prompt tokens, whether any segment is an estimate), as the audit counts them."""
    facts = facts_for(str(body["model"]))
    counter = _COUNTERS[facts.encoding]
    segments = chat_segments(body, "$", facts)
    return (sum(segment.fixed_tokens + counter.count(segment.text) for segment in segments),
            any(segment.estimated for segment in segments))


def _tokens(text: str, encoding: str) -> int:
    return _COUNTERS[encoding].count(text)


def _tools_block(*functions: Mapping[str, Any]) -> str:
    return TOOLS_HEADER + "\n".join(render_function(f) for f in functions) + "\n" + TOOLS_FOOTER


# --------------------------------------------------------------------------------------------
# cl100k models: gpt-4, gpt-4-turbo, gpt-3.5-turbo
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("model", ["gpt-4", "gpt-4-turbo", "gpt-3.5-turbo-0125", "gpt-4-0613"])
def test_cl100k_message_costs_role_and_three_framing_tokens(model: str) -> None:
    # "hello" is one token: 3 framing + 1 role + 1 content, and 3 of reply priming.
    assert _prompt({"model": model, "messages": [{"role": "user", "content": "hello"}]}) \
        == (8, False)


def test_cl100k_every_message_pays_its_role_token() -> None:
    body = {"model": "gpt-3.5-turbo", "messages": [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "hello"},
        {"role": "assistant", "content": "Hi."},
        {"role": "user", "content": "Bye."},
    ]}
    content = sum(_tokens(m["content"], "cl100k_base") for m in body["messages"])
    assert _prompt(body) == (4 * 4 + content + 3, False)


def test_cl100k_tools_block_alone_is_an_exact_system_message() -> None:
    body = {"model": "gpt-3.5-turbo",
            "messages": [{"role": "user", "content": "Where is order 12?"}],
            "tools": [{"type": "function", "function": LOOKUP}]}
    block = _tools_block(LOOKUP)
    user = 4 + _tokens("Where is order 12?", "cl100k_base")
    assert _prompt(body) == (_tokens(block, "cl100k_base") + 4 + user + 3, False)


def test_cl100k_legacy_functions_are_counted_like_tools() -> None:
    body = {"model": "gpt-4", "messages": [{"role": "user", "content": "Where is order 12?"}],
            "functions": [LOOKUP]}
    with_tools = {"model": "gpt-4", "messages": body["messages"],
                  "tools": [{"type": "function", "function": LOOKUP}]}
    assert _prompt(body) == _prompt(with_tools)
    assert _prompt(body)[1] is False


def test_cl100k_tools_block_joins_the_system_message() -> None:
    system = "You are a support agent."
    body = {"model": "gpt-3.5-turbo",
            "messages": [{"role": "system", "content": system},
                         {"role": "user", "content": "Where is order 12?"}],
            "tools": [{"type": "function", "function": LOOKUP}]}
    merged = _tokens(system + "\n\n" + _tools_block(LOOKUP), "cl100k_base")
    user = 4 + _tokens("Where is order 12?", "cl100k_base")
    # One system message (4) holding the caller's text, a blank line and the block, at the
    # text's count (one more than on gpt-4o).
    assert _prompt(body) == (4 + merged + user + 3, False)


@pytest.mark.parametrize("model", ["gpt-4o", "gpt-4", "gpt-5", "o3-mini"])
@pytest.mark.parametrize(("name", "cost"), [("user", 1), ("alice", 2),
                                            ("not_your_average_bostonian", 7)])
def test_name_costs_its_colon_form_after_the_role(model: str, name: str, cost: int) -> None:
    # ":user" is one token, so a message named "user" costs one token more, not two.
    plain = {"model": model, "messages": [{"role": "user", "content": "hello"}]}
    named = {"model": model, "messages": [{"role": "user", "content": "hello", "name": name}]}
    assert _prompt(named)[0] - _prompt(plain)[0] == cost


# --------------------------------------------------------------------------------------------
# Content parts, every family
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("model", "encoding", "frame_and_priming"),
                         [("gpt-5", "o200k_base", 4 + 2), ("gpt-4o", "o200k_base", 4 + 3)])
def test_adjacent_text_parts_are_tokenized_as_one_string(model: str, encoding: str,
                                                         frame_and_priming: int) -> None:
    # "joke." + "Now" fuse into ".Now" when joined: 5 + 4 tokens apart, 8 together.
    body = {"model": model, "messages": [{"role": "user", "content": [
        {"type": "text", "text": "Tell me a joke."},
        {"type": "text", "text": "Now explain it."}]}]}
    joined = _tokens("Tell me a joke.Now explain it.", encoding)
    assert joined == 8
    assert _prompt(body) == (joined + frame_and_priming, False)


def test_text_parts_on_either_side_of_an_image_are_not_joined() -> None:
    pixel = ("data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42"
             "mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")
    with_image = {"model": "gpt-4o", "messages": [{"role": "user", "content": [
        {"type": "text", "text": "Tell me a joke."},
        {"type": "image_url", "image_url": {"url": pixel, "detail": "low"}},
        {"type": "text", "text": "Now explain it."}]}]}
    # 5 + 4 text tokens counted apart, 85 for a low-detail image, 4 framing, 3 priming.
    assert _prompt(with_image) == (5 + 4 + 85 + 4 + 3, False)


# --------------------------------------------------------------------------------------------
# Reasoning models
# --------------------------------------------------------------------------------------------

_TURNS = [{"role": "user", "content": "hello"}, {"role": "assistant", "content": "Hi."},
          {"role": "user", "content": "Bye."}]
_TURN_TEXT = 1 + 2 + 2  # "hello", "Hi.", "Bye." under o200k


@pytest.mark.parametrize("model", ["gpt-5", "gpt-5-mini", "gpt-5.4",
                                   "ft:gpt-5-mini-2025-08-07:acme::abc123"])
def test_gpt5_assistant_message_in_history_costs_two_more(model: str) -> None:
    assert _prompt({"model": model, "messages": _TURNS}) == (3 * 4 + 2 + _TURN_TEXT + 2, False)


@pytest.mark.parametrize("model", ["o3-mini", "o4-mini"])
def test_o_series_assistant_message_costs_the_plain_frame(model: str) -> None:
    assert _prompt({"model": model, "messages": _TURNS}) == (3 * 4 + _TURN_TEXT + 2, False)


# --------------------------------------------------------------------------------------------
# Audio parts and search models
# --------------------------------------------------------------------------------------------


def _wav(seconds: float, byte_rate: int = 32_000) -> str:
    """A base64 WAV file: a 44-byte header naming ``byte_rate``, then silence."""
    size = int(seconds * byte_rate)
    header = (b"RIFF" + (36 + size).to_bytes(4, "little") + b"WAVEfmt "
              + (16).to_bytes(4, "little") + (1).to_bytes(2, "little")
              + (1).to_bytes(2, "little") + (16_000).to_bytes(4, "little")
              + byte_rate.to_bytes(4, "little") + (2).to_bytes(2, "little")
              + (16).to_bytes(2, "little") + b"data" + size.to_bytes(4, "little"))
    return base64.b64encode(header + bytes(size)).decode("ascii")


def test_wav_audio_part_costs_four_text_tokens_and_whole_tenths_of_a_second() -> None:
    body = {"model": "gpt-4o-audio-preview", "messages": [{"role": "user", "content": [
        {"type": "text", "text": "hello"},
        {"type": "input_audio", "input_audio": {"data": _wav(0.25), "format": "wav"}}]}]}
    # 4 framing + 1 text + 4 for the audio part + 2 (0.25 s, and the header, in tenths,
    # rounded down) + 3 priming; the duration is read from the file, so the count is exact.
    assert _prompt(body) == (4 + 1 + 4 + 2 + 3, False)


def _mp3_frames(count: int) -> bytes:
    """``count`` MPEG-1 layer III frames, 128 kbit/s, 48 kHz, mono, unpadded (384 bytes
    each, silence)."""
    header = bytes([0xFF, 0xFB, 0x94, 0xC4])  # sync, MPEG-1 L3, 128 kbit/s, 48 kHz, mono
    return (header + bytes(380)) * count


@pytest.mark.parametrize(("audio", "tokens", "estimated"), [
    # 125 frames of 1,152 samples at 48 kHz: 3.0 s, 30 tokens, read from the frames.
    pytest.param(_mp3_frames(125), 30, False, id="mp3"),
    # Not a format read offline: 48,000 bytes guessed at 16,000 a second, 3 s.
    pytest.param(b"OggS" + bytes(47_996), 30, True, id="ogg-guessed"),
    pytest.param(b"\xff\xfb" + bytes(1000), 1, True, id="mp3-without-a-whole-frame"),
])
def test_audio_part_tokens_come_from_the_clips_duration(audio: bytes, tokens: int,
                                                        estimated: bool) -> None:
    data = base64.b64encode(audio).decode("ascii")
    body = {"model": "gpt-audio", "messages": [{"role": "user", "content": [
        {"type": "input_audio", "input_audio": {"data": data, "format": "mp3"}}]}]}
    assert _prompt(body) == (4 + 4 + tokens + 3, estimated)


@pytest.mark.parametrize("model", ["gpt-4o-search-preview",
                                   "gpt-4o-mini-search-preview-2025-03-11"])
def test_search_models_bill_the_message_text_alone(model: str) -> None:
    body = {"model": model, "messages": [{"role": "system", "content": "Be brief."},
                                         {"role": "user", "content": "What day is today?"}]}
    text = _tokens("Be brief.", "o200k_base") + _tokens("What day is today?", "o200k_base")
    assert _prompt(body) == (text, False)
