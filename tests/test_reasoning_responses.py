"""Reasoning models in the Responses API, and images in both APIs: what an image costs on each
model (its scheme and the framing around it, from the catalogue) and what reasoning items of
earlier turns cost. Every request here is written by hand; the images are PNG headers built
here at the sizes each case needs."""

from __future__ import annotations

import base64
import struct
import zlib
from typing import Any

import pytest

from promptcache.catalog import facts_for
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
