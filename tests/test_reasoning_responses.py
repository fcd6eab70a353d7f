"""Reasoning models in the Responses API, and images in both APIs: what an image costs on each
model (its scheme and the framing around it, from the catalogue) and what reasoning items of
earlier turns cost. Every request here is written by hand; the images are PNG headers built
here at the sizes each case needs."""

from __future__ import annotations

import base64
import json
import struct
import zlib
from pathlib import Path
from typing import Any

import pytest

from promptcache.catalog import facts_for
from promptcache.cli.main import main
from promptcache.model import Segment, SegmentKind
from promptcache.normalize.openai_chat import chat_segments
from promptcache.normalize.openai_responses import responses_segments
from promptcache.tokens.counter import TokenCounter

_counter = TokenCounter("o200k_base", persistent=False)


def _png_url(width: int, height: int) -> str:
    # Signature and IHDR are all the sizer reads; the rest of the file does not matter.
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    chunk = struct.pack(">I", len(ihdr)) + b"IHDR" + ihdr
    chunk += struct.pack(">I", zlib.crc32(b"IHDR" + ihdr))
    return "data:image/png;base64," + base64.b64encode(b"\x89PNG\r\n\x1a\n" + chunk).decode()


def _count(segments: tuple[Segment, ...]) -> int:
    return sum(s.fixed_tokens + _counter.count(s.text) for s in segments)


def _chat(model: str, content: list[dict[str, Any]]) -> tuple[Segment, ...]:
    body = {"model": model, "messages": [{"role": "user", "content": content}]}
    return chat_segments(body, "$", facts_for(model))


def _responses(model: str, content: list[dict[str, Any]]) -> tuple[Segment, ...]:
    body = {"model": model, "input": [{"role": "user", "content": content}]}
    return responses_segments(body, "$", facts_for(model))


def _chat_image_cost(model: str, width: int, height: int) -> int:
    """Tokens a chat request gains by carrying one ``width`` x ``height`` image."""
    text = {"type": "text", "text": "What is in this picture?"}
    image = {"type": "image_url", "image_url": {"url": _png_url(width, height)}}
    return _count(_chat(model, [text, image])) - _count(_chat(model, [text]))


def _responses_image_cost(model: str, width: int, height: int, **extra: str) -> int:
    text = {"type": "input_text", "text": "What is in this picture?"}
    image = {"type": "input_image", "image_url": _png_url(width, height), **extra}
    return _count(_responses(model, [text, image])) - _count(_responses(model, [text]))


# --------------------------------------------------------------------------------------------
# Images: per-model scheme and framing, the same in both APIs
# --------------------------------------------------------------------------------------------

IMAGE_COSTS = [
    # gpt-5 bills tiles with no framing: 70 + 1 tile x 140.
    pytest.param("gpt-5", 1, 1, 210, id="gpt-5-tiles-no-framing"),
    # gpt-5-mini: 342 patches x 1.2 = 410.4 -> 411, plus 2 around the image.
    pytest.param("gpt-5-mini", 597, 566, 413, id="gpt-5-mini-patches-plus-2"),
    # gpt-5-nano: 1.5 per patch (16 patches -> 24), no framing.
    pytest.param("gpt-5-nano", 128, 128, 24, id="gpt-5-nano-1.5-per-patch"),
    # gpt-4.1-nano: 204 patches x 2.46 = 501.84 -> 502, plus 1.
    pytest.param("gpt-4.1-nano", 540, 360, 503, id="gpt-4.1-nano-plus-1"),
    # gpt-4.1-mini: 110 patches x 1.62 = 178.2 -> 179, no framing.
    pytest.param("gpt-4.1-mini", 300, 346, 179, id="gpt-4.1-mini-no-framing"),
    # gpt-5.4 family and gpt-5.6: patches at 1.2, plus 2 (80 patches -> 96 + 2).
    pytest.param("gpt-5.6-terra", 512, 149, 98, id="gpt-5.6-patches-plus-2"),
    pytest.param("gpt-5.4-nano", 512, 512, 310, id="gpt-5.4-nano-patches-plus-2"),
    # gpt-5.4 caps at 2500 patches, not 1536: 1600x1600 is billed whole (3000 + 2).
    pytest.param("gpt-5.4", 1600, 1600, 3002, id="gpt-5.4-2500-patch-cap"),
]


@pytest.mark.parametrize(("model", "width", "height", "expected"), IMAGE_COSTS)
def test_an_image_costs_its_models_scheme_plus_its_framing_in_chat(
        model: str, width: int, height: int, expected: int) -> None:
    assert _chat_image_cost(model, width, height) == expected


@pytest.mark.parametrize(("model", "width", "height", "expected"), IMAGE_COSTS)
def test_an_image_costs_the_same_in_responses_as_in_chat(
        model: str, width: int, height: int, expected: int) -> None:
    assert _responses_image_cost(model, width, height) == expected


def test_input_image_detail_low_costs_the_tile_models_base_plus_nothing_else() -> None:
    assert _responses_image_cost("gpt-5", 2000, 1000, detail="low") == 70
    assert _responses_image_cost("gpt-5", 2000, 1000, detail="high") == 70 + 6 * 140


def test_a_url_image_is_estimated_with_bounds_that_include_the_framing() -> None:
    content = [{"type": "input_image", "image_url": "https://example.com/cat.png"}]
    image = next(s for s in _responses("gpt-5-mini", content) if s.kind is SegmentKind.IMAGE)
    assert image.estimated
    assert image.estimate is not None
    # One patch (ceil(1.2) = 2) to the 1536-patch cap (1843.2 -> 1844), each plus 2.
    assert (image.estimate.low, image.estimate.high) == (2 + 2, 1844 + 2)


# --------------------------------------------------------------------------------------------
# Reasoning items
# --------------------------------------------------------------------------------------------

ASK = {"role": "user", "content": "Is it raining in Lyon?"}
CALL = {"type": "function_call", "call_id": "c1", "name": "get_weather",
        "arguments": '{"city":"Lyon"}'}
OUTPUT = {"type": "function_call_output", "call_id": "c1", "output": "Light rain, 12 C"}
ANSWER = {"role": "assistant", "content": [{"type": "output_text", "text": "Yes, light rain."}]}
AGAIN = {"role": "user", "content": "And tomorrow?"}
WEATHER = {"type": "function", "name": "get_weather", "description": "Weather in a city.",
           "parameters": {"type": "object", "properties": {"city": {"type": "string"}},
                          "required": ["city"]}}
# A made-up ciphertext: only its length matters to the count (2000 characters).
CIPHERTEXT = "gAAAAB" + "x" * 1994
SUMMARY = [{"type": "summary_text", "text": "The user asks about the weather; call the tool."}]

REASONING_FORMS = [
    pytest.param({"type": "reasoning", "encrypted_content": CIPHERTEXT, "summary": []},
                 id="encrypted"),
    pytest.param({"type": "reasoning", "id": "rs_1", "summary": SUMMARY}, id="id-and-summary"),
    pytest.param({"type": "reasoning", "id": "rs_1", "summary": []}, id="id-only"),
    pytest.param({"type": "reasoning", "id": "rs_1", "encrypted_content": CIPHERTEXT,
                  "summary": SUMMARY}, id="all-three"),
]


def _reasoning_body(items: list[object]) -> dict[str, Any]:
    return {"model": "gpt-5-mini", "tools": [WEATHER], "input": items}


@pytest.mark.parametrize("reasoning", REASONING_FORMS)
def test_reasoning_of_an_earlier_turn_costs_nothing_and_is_exact(reasoning: object) -> None:
    with_it = _reasoning_body([ASK, reasoning, CALL, OUTPUT, ANSWER, AGAIN])
    without = _reasoning_body([ASK, CALL, OUTPUT, ANSWER, AGAIN])
    segments = responses_segments(with_it, "$", facts_for("gpt-5-mini"))
    assert _count(segments) == _count(responses_segments(without, "$",
                                                         facts_for("gpt-5-mini")))
    assert not any(s.estimated for s in segments)


def _current_reasoning(reasoning: object) -> Segment:
    body = _reasoning_body([ASK, reasoning, CALL, OUTPUT])
    return next(s for s in responses_segments(body, "$", facts_for("gpt-5-mini"))
                if s.key == "reasoning")


def test_encrypted_reasoning_of_the_current_turn_is_estimated_with_a_range() -> None:
    segment = _current_reasoning(REASONING_FORMS[0].values[0])
    # (2000 - 830) / 6.7 = 174.6 -> 175; the range is half to 1.5 times that, plus 20.
    assert segment.fixed_tokens == 175
    assert segment.estimated
    assert segment.estimate is not None
    assert (segment.estimate.reason, segment.estimate.low, segment.estimate.high) == (
        "reasoning of the current turn, encrypted (estimated from its length)", 87, 283)


@pytest.mark.parametrize("reasoning", REASONING_FORMS[1:3])
def test_stored_reasoning_of_the_current_turn_is_estimated_without_an_upper_bound(
        reasoning: object) -> None:
    segment = _current_reasoning(reasoning)
    assert segment.estimated
    assert segment.estimate is not None
    assert (segment.estimate.reason, segment.estimate.low, segment.estimate.high) == (
        "reasoning of the current turn, stored server-side", 0, None)


def test_the_json_report_bounds_a_request_by_its_current_reasoning(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    body = _reasoning_body([ASK, REASONING_FORMS[0].values[0], CALL, OUTPUT])
    log = tmp_path / "log.jsonl"
    log.write_text(json.dumps({"request": body}) + "\n", "utf-8")
    main(["audit", "--isolated", "--format", "json", str(log)])
    row = json.loads(capsys.readouterr().out)["requests"][0]
    total = row["prompt_tokens"]
    assert (row["exact"], row["estimate_reasons"], row["bounds"]) == (
        False, ["reasoning of the current turn, encrypted (estimated from its length)"],
        {"low": total - 175 + 87, "high": total - 175 + 283})
