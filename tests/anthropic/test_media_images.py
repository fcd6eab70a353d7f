"""Claude image blocks counted as the API bills them: 28-px patches plus 3 per image
(catalog's Claude image scheme), with images we build ourselves at known sizes."""

from __future__ import annotations

import base64
import struct
import zlib
from typing import Any

from promptcache.estimates import IMAGE_ESTIMATE, REMOTE_SOURCE_ESTIMATE
from promptcache.load.records import normalize_record
from promptcache.load.sources import RawRecord
from promptcache.model import Location, Request, Segment
from promptcache.tokens.images import remote_image_sizes


def png(width: int, height: int) -> str:
    """A valid grey PNG of ``width`` x ``height``, base64."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    rows = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    raw = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0,
                                                             0, 0, 0))
           + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))
    return base64.b64encode(raw).decode()


def jpeg_header(width: int, height: int) -> str:
    """The start of a baseline JPEG of ``width`` x ``height`` (SOI, APP0, SOF0), base64:
    all the size reader needs."""
    app0 = b"\xff\xe0" + struct.pack(">H", 16) + b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    sof0 = b"\xff\xc0" + struct.pack(">HBHHB", 11, 8, height, width, 1) + b"\x01\x11\x00"
    return base64.b64encode(b"\xff\xd8" + app0 + sof0).decode()


def _request(model: str, content: list[dict[str, Any]]) -> Request:
    body = {"model": model, "max_tokens": 5, "messages": [{"role": "user", "content": content}]}
    request = normalize_record(RawRecord(Location("log.jsonl", 1), body))
    assert isinstance(request, Request), request
    return request


def _image(source: dict[str, Any]) -> dict[str, Any]:
    return {"type": "image", "source": source}


def _block(request: Request, index: int) -> Segment:
    return next(s for s in request.segments if s.path == f"$.messages[0].content[{index}]")


def _base64(data: str, media: str = "image/png") -> dict[str, Any]:
    return _image({"type": "base64", "media_type": media, "data": data})


def test_a_png_costs_its_28_pixel_patches_plus_3() -> None:
    # 200x100: ceil(200/28) * ceil(100/28) = 8 * 4 patches.
    request = _request("claude-sonnet-4-5", [_base64(png(200, 100)),
                                             {"type": "text", "text": "What is it?"}])
    image = _block(request, 0)
    assert image.fixed_tokens == 8 * 4 + 3
    assert image.image is not None
    assert (image.image.width, image.image.height) == (200, 100)
    assert image.estimate == IMAGE_ESTIMATE


def test_a_one_pixel_image_costs_4_on_every_generation() -> None:
    for model in ("claude-3-haiku-20240307", "claude-haiku-4-5", "claude-sonnet-5"):
        request = _request(model, [_base64(png(1, 1)), {"type": "text", "text": "Hi"}])
        assert _block(request, 0).fixed_tokens == 1 + 3, model


def test_an_image_over_the_cap_is_shrunk_to_whole_patches() -> None:
    # 1191x1128 is 43 x 41 = 1,763 patches, over 1,600: shrunk to 41 x 38 = 1,558 (the
    # recorded Haiku 3 cost of this size, alexrudall/anthropic vision_what_is_this).
    request = _request("claude-3-haiku-20240307", [_base64(jpeg_header(1191, 1128),
                                                           "image/jpeg"),
                                                   {"type": "text", "text": "What is this?"}])
    assert _block(request, 0).fixed_tokens == 41 * 38 + 3


def test_a_long_image_is_first_scaled_to_the_models_long_edge() -> None:
    wide = [_base64(jpeg_header(2576, 1000), "image/jpeg"), {"type": "text", "text": "Read it"}]
    # Sonnet 4.5: 1568 x 608 px after the 1568-px long edge, 56 x 22 patches.
    assert _block(_request("claude-sonnet-4-5", wide), 0).fixed_tokens == 56 * 22 + 3
    # Opus 4.7 takes a 2576-px long edge: 92 x 36 patches, under its 4,784 cap.
    assert _block(_request("claude-opus-4-7", wide), 0).fixed_tokens == 92 * 36 + 3


def test_a_url_image_is_the_least_an_image_costs_unless_its_size_is_known() -> None:
    content = [_image({"type": "url", "url": "https://img.example/cat.png"}),
               {"type": "text", "text": "What is it?"}]
    offline = _block(_request("claude-haiku-4-5", content), 0)
    assert (offline.fixed_tokens, offline.estimate) == (1 + 3, REMOTE_SOURCE_ESTIMATE)
    # --fetch-images installs a sizer: then the URL's image is costed like any other.
    with remote_image_sizes(lambda url: (200, 100)):
        fetched = _block(_request("claude-haiku-4-5", content), 0)
    assert (fetched.fixed_tokens, fetched.estimate) == (8 * 4 + 3, IMAGE_ESTIMATE)


def test_each_image_counts_and_an_image_in_a_tool_result_adds_to_the_result() -> None:
    two = _request("claude-haiku-4-5", [_base64(png(56, 56)), _base64(png(28, 29)),
                                        {"type": "text", "text": "Compare."}])
    assert [_block(two, 0).fixed_tokens, _block(two, 1).fixed_tokens] == [4 + 3, 2 + 3]
    text_only = {"type": "tool_result", "tool_use_id": "t1", "content": [
        {"type": "text", "text": "chart"}]}
    with_chart = {"type": "tool_result", "tool_use_id": "t1", "content": [
        {"type": "text", "text": "chart"}, _base64(png(200, 100))]}
    bare = _block(_request("claude-haiku-4-5", [text_only]), 0)
    charted = _block(_request("claude-haiku-4-5", [with_chart]), 0)
    assert charted.fixed_tokens - bare.fixed_tokens == 8 * 4 + 3
