"""Image token costs (OpenAI "Images and vision" rules) and image sizes from data: URLs."""

from __future__ import annotations

import base64
import json
import struct
import zlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from promptcache.catalog import PatchScheme, TileScheme, facts_for
from promptcache.tokens import images
from promptcache.tokens.images import ImageCost, data_url_dimensions, image_tokens

from .conftest import json_strings, shared_data

GPT_4O = TileScheme(base=85, per_tile=170)
GPT_4O_MINI = TileScheme(base=2833, per_tile=5667)
ONE_PER_PATCH = PatchScheme(multiplier=1.0)  # tokens == patches, as in the guide's examples
GPT_41_MINI = PatchScheme(multiplier=1.62)
GPT_41_NANO = PatchScheme(multiplier=2.46)



# ---------------------------------------------------------------------------------------------
# image_tokens: tile models
# ---------------------------------------------------------------------------------------------

TILE_CASES = [
    # The guide's worked examples and domain.md section 4 checks (gpt-4o, 85/170).
    pytest.param(GPT_4O, 1024, 1024, "high", 765, id="guide-1024x1024-high-765"),
    pytest.param(GPT_4O, 2048, 4096, "high", 1105, id="guide-2048x4096-high-1105"),
    pytest.param(GPT_4O, 4096, 8192, "low", 85, id="guide-4096x8192-low-85"),
    pytest.param(GPT_4O, 1024, 1024, "low", 85, id="low-1024-is-base"),
    pytest.param(GPT_4O, 1, 1, "low", 85, id="low-1px-is-base"),
    # auto == high: recorded usage, a 3008x2000 PNG on gpt-4o without detail cost 1105.
    pytest.param(GPT_4O, 3008, 2000, "auto", 1105, id="recorded-3008x2000-auto-1105"),
    pytest.param(GPT_4O, 3008, 2000, "high", 1105, id="3008x2000-high-1105"),
    pytest.param(GPT_4O, 1024, 1024, "auto", 765, id="auto-counts-as-high"),
    pytest.param(GPT_4O, 1024, 1024, "bogus", 765, id="unknown-detail-is-auto"),
    pytest.param(GPT_4O, 1024, 1024, "", 765, id="empty-detail-is-auto"),
    # Small images are never scaled up: 512x512 stays one tile, 100x100 too.
    pytest.param(GPT_4O, 512, 512, "high", 255, id="no-upscale-512-one-tile"),
    pytest.param(GPT_4O, 100, 100, "high", 255, id="no-upscale-100-one-tile"),
    pytest.param(GPT_4O, 513, 500, "high", 425, id="no-upscale-513x500-two-tiles"),
    pytest.param(GPT_4O, 700, 700, "high", 765, id="no-upscale-700-four-tiles"),
    # Short side exactly 768: no second scaling; 768x768 is 2x2 tiles.
    pytest.param(GPT_4O, 768, 768, "high", 765, id="768-square"),
    # Wide image: fit to 2048x512 (no short-side scaling, 512 < 768) -> 4x1 tiles.
    pytest.param(GPT_4O, 4096, 1024, "high", 765, id="wide-4096x1024"),
    # 1920x1080: short side to 768 -> 1365.3x768 -> 3x2 tiles.
    pytest.param(GPT_4O, 1920, 1080, "high", 1105, id="1920x1080-six-tiles"),
    # Orientation does not matter.
    pytest.param(GPT_4O, 1080, 1920, "high", 1105, id="1080x1920-six-tiles"),
    # Other rows of the catalog use the same algorithm with their own numbers.
    pytest.param(GPT_4O_MINI, 1024, 1024, "high", 2833 + 4 * 5667, id="4o-mini-1024-high"),
    pytest.param(GPT_4O_MINI, 1024, 1024, "low", 2833, id="4o-mini-low"),
    pytest.param(TileScheme(70, 140), 1024, 1024, "high", 70 + 4 * 140, id="gpt5-1024-high"),
]


@pytest.mark.parametrize(("scheme", "width", "height", "detail", "expected"), TILE_CASES)
def test_tile_scheme(scheme: TileScheme, width: int, height: int, detail: str,
                     expected: int) -> None:
    cost = image_tokens(scheme, width, height, detail)
    assert cost == ImageCost(expected, width, height, estimated=False, note="")


def test_catalog_gpt4o_row_matches_the_documented_checks() -> None:
    scheme = facts_for("gpt-4o-2024-08-06").image
    assert image_tokens(scheme, 1024, 1024, "high").tokens == 765
    assert image_tokens(scheme, 2048, 4096, "high").tokens == 1105
    assert image_tokens(scheme, 2048, 4096, "low").tokens == 85


# ---------------------------------------------------------------------------------------------
# image_tokens: patch models
# ---------------------------------------------------------------------------------------------

PATCH_CASES = [
    # The guide's two worked examples, in patches (multiplier 1).
    pytest.param(ONE_PER_PATCH, 1024, 1024, 1024, id="guide-1024x1024-1024-patches"),
    pytest.param(ONE_PER_PATCH, 1800, 2400, 1452, id="guide-1800x2400-1452-patches"),
    pytest.param(ONE_PER_PATCH, 2400, 1800, 1452, id="guide-2400x1800-1452-patches"),
    # Under the cap: plain ceil(w/32) * ceil(h/32), no upscaling of small images.
    pytest.param(ONE_PER_PATCH, 1, 1, 1, id="1px-one-patch"),
    pytest.param(ONE_PER_PATCH, 33, 32, 2, id="33x32-two-patches"),
    pytest.param(ONE_PER_PATCH, 128, 64, 8, id="128x64-eight-patches"),
    pytest.param(ONE_PER_PATCH, 2048, 768, 1536, id="exactly-at-cap"),
    # Over the cap: scaled down, never above it.
    pytest.param(ONE_PER_PATCH, 2048, 2048, 1521, id="2048-square-39x39"),
    pytest.param(ONE_PER_PATCH, 4096, 4096, 1521, id="4096-square-39x39"),
    # Degenerate shapes stay positive and capped.
    pytest.param(ONE_PER_PATCH, 100_000, 1, 1536, id="100000x1-capped"),
    pytest.param(ONE_PER_PATCH, 1, 100_000, 1536, id="1x100000-capped"),
    # Multipliers: fractional products are rounded up.
    pytest.param(GPT_41_MINI, 1024, 1024, 1659, id="4.1-mini-1024-ceil(1658.88)"),
    pytest.param(GPT_41_MINI, 1800, 2400, 2353, id="4.1-mini-1800x2400-ceil(2352.24)"),
    pytest.param(GPT_41_MINI, 3200, 3200, 2465, id="4.1-mini-over-cap-1521-ceil(2464.02)"),
    pytest.param(GPT_41_NANO, 540, 360, 502, id="4.1-nano-540x360-ceil(501.84)"),
    # 100 patches x 1.62 is exactly 162: no float noise pushing it to 163.
    pytest.param(GPT_41_MINI, 320, 320, 162, id="4.1-mini-exact-product-not-bumped"),
    pytest.param(PatchScheme(multiplier=1.2), 512, 512, 308, id="x1.2-256-patches-308"),
]


@pytest.mark.parametrize(("scheme", "width", "height", "expected"), PATCH_CASES)
def test_patch_scheme(scheme: PatchScheme, width: int, height: int, expected: int) -> None:
    cost = image_tokens(scheme, width, height, "high")
    assert cost == ImageCost(expected, width, height, estimated=False, note="")


@pytest.mark.parametrize("detail", ["low", "high", "auto", "other"])
def test_patch_scheme_ignores_detail(detail: str) -> None:
    assert image_tokens(GPT_41_MINI, 1024, 1024, detail).tokens == 1659


@settings(max_examples=300, deadline=None)
@given(st.integers(1, 30_000), st.integers(1, 30_000))
def test_patch_count_never_exceeds_the_cap(width: int, height: int) -> None:
    tokens = image_tokens(ONE_PER_PATCH, width, height, "high").tokens
    raw = -(-width // 32) * -(-height // 32)
    assert 1 <= tokens <= 1536
    if raw <= 1536:
        assert tokens == raw
    else:
        # The downscale keeps most of the budget (1452 of 1536 in the guide's example).
        assert tokens <= raw


@settings(max_examples=300, deadline=None)
@given(st.integers(1, 30_000), st.integers(1, 30_000))
def test_tile_count_is_bounded(width: int, height: int) -> None:
    # After fitting 2048 and shrinking the short side to <= 768, at most 2x4 (or 4x2) tiles.
    tokens = image_tokens(GPT_4O, width, height, "high").tokens
    tiles = (tokens - 85) // 170
    assert (tokens - 85) % 170 == 0
    assert 1 <= tiles <= 8


# ---------------------------------------------------------------------------------------------
# image_tokens: unknown size
# ---------------------------------------------------------------------------------------------

UNKNOWN_CASES = [
    pytest.param(GPT_4O, None, None, "auto", 765, id="tile-unknown-auto"),
    pytest.param(GPT_4O, 800, None, "high", 765, id="tile-height-unknown"),
    pytest.param(GPT_4O, 0, 0, "high", 765, id="tile-zero-size"),
    pytest.param(GPT_4O, -5, 100, "high", 765, id="tile-negative-size"),
    pytest.param(ONE_PER_PATCH, None, None, "auto", 1024, id="patch-unknown"),
    pytest.param(GPT_41_MINI, None, 10, "low", 1659, id="patch-width-unknown"),
]


@pytest.mark.parametrize(("scheme", "width", "height", "detail", "expected"), UNKNOWN_CASES)
def test_unknown_size_assumes_1024_square(scheme: TileScheme | PatchScheme, width: int | None,
                                          height: int | None, detail: str,
                                          expected: int) -> None:
    cost = image_tokens(scheme, width, height, detail)
    assert cost.tokens == expected
    assert cost.estimated is True
    assert (cost.width, cost.height) == (None, None)
    assert "1024x1024" in cost.note
    assert "unknown" in cost.note


def test_a_low_detail_image_of_unknown_size_on_a_tile_model_is_exact() -> None:
    """``detail: low`` costs the tile scheme's base at any size: a remote image sent so is
    counted exactly, not as an estimate (the reports would call 85 tokens a guess)."""
    cost = image_tokens(GPT_4O, None, None, "low")
    assert (cost.tokens, cost.estimated, cost.note) == (85, False, "")


# ---------------------------------------------------------------------------------------------
# Tiny real images, built here
# ---------------------------------------------------------------------------------------------


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def make_png(width: int, height: int) -> bytes:
    """A complete, valid 8-bit grayscale PNG."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    raw = b"".join(b"\x00" + bytes(width) for _ in range(height))  # filter 0 + black row
    return (b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", ihdr)
            + _png_chunk(b"IDAT", zlib.compress(raw)) + _png_chunk(b"IEND", b""))


def make_gif(width: int, height: int) -> bytes:
    """GIF89a: header, logical screen descriptor (no color table), one 1x1 image, trailer."""
    screen = struct.pack("<HHBBB", width, height, 0, 0, 0)
    image = b"\x2c" + struct.pack("<HHHHB", 0, 0, 1, 1, 0) + b"\x02\x02\x4c\x01\x00"
    return b"GIF89a" + screen + image + b"\x3b"


def _segment(marker: int, body: bytes) -> bytes:
    return bytes([0xFF, marker]) + struct.pack(">H", len(body) + 2) + body


def make_jpeg(width: int, height: int, *, sof: int = 0xC0, app_blocks: int = 0,
              app_size: int = 1000, fill_bytes: int = 0) -> bytes:
    """Baseline-JPEG layout: SOI, APP0 JFIF, APP1 Exif (+ optional APP2 blocks), DQT, SOFn,
    DHT, SOS, entropy data, EOI. Not decodable pixels, but a faithful marker structure."""
    app0 = _segment(0xE0, b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00")
    app1 = _segment(0xE1, b"Exif\x00\x00" + b"MM\x00\x2a" + bytes(64))
    icc = _segment(0xE2, b"ICC_PROFILE\x00" + bytes(app_size))
    extra = icc * app_blocks
    dqt = _segment(0xDB, b"\x00" + bytes(range(1, 65)))
    frame = _segment(sof, struct.pack(">BHHB", 8, height, width, 1) + b"\x01\x11\x00")
    dht = _segment(0xC4, b"\x00" + bytes(16) + b"")
    sos = _segment(0xDA, b"\x01\x01\x00\x00\x3f\x00")
    return (b"\xff\xd8" + app0 + app1 + extra + dqt + b"\xff" * fill_bytes + frame + dht + sos
            + b"\x12\x34\xff\x00\x56" + b"\xff\xd9")


def _riff(chunk: bytes) -> bytes:
    body = b"WEBP" + chunk
    return b"RIFF" + struct.pack("<I", len(body)) + body


def make_webp_vp8x(width: int, height: int) -> bytes:
    payload = b"\x10\x00\x00\x00" + (width - 1).to_bytes(3, "little") + (
        height - 1).to_bytes(3, "little")
    return _riff(b"VP8X" + struct.pack("<I", len(payload)) + payload)


def make_webp_vp8l(width: int, height: int) -> bytes:
    bits = (width - 1) | ((height - 1) << 14)  # alpha and version bits left at 0
    payload = b"\x2f" + bits.to_bytes(4, "little") + bytes(8)
    return _riff(b"VP8L" + struct.pack("<I", len(payload)) + payload)


def make_webp_vp8(width: int, height: int) -> bytes:
    # Key frame tag (3 bytes), start code, 14-bit sizes with a scaling hint in the top 2 bits.
    payload = (b"\x9d\x01\x00" + b"\x9d\x01\x2a" + struct.pack("<HH", width | 0x4000, height)
               + bytes(10))
    return _riff(b"VP8 " + struct.pack("<I", len(payload)) + payload)


def data_url(data: bytes, media: str = "image/png") -> str:
    return f"data:{media};base64," + base64.b64encode(data).decode("ascii")


IMAGE_CASES = [
    pytest.param(make_png(3, 2), "image/png", (3, 2), id="png-3x2"),
    pytest.param(make_png(1, 1), "image/png", (1, 1), id="png-1x1"),
    pytest.param(make_png(700, 5), "image/png", (700, 5), id="png-700x5"),
    pytest.param(make_gif(640, 480), "image/gif", (640, 480), id="gif-640x480"),
    pytest.param(make_gif(65535, 1), "image/gif", (65535, 1), id="gif-max-width"),
    pytest.param(make_jpeg(1800, 2400), "image/jpeg", (1800, 2400), id="jpeg-sof0-after-app0-app1"),
    pytest.param(make_jpeg(300, 200, sof=0xC2), "image/jpeg", (300, 200), id="jpeg-progressive"),
    pytest.param(make_jpeg(300, 200, sof=0xC1), "image/jpeg", (300, 200), id="jpeg-sof1"),
    pytest.param(make_jpeg(300, 200, fill_bytes=3), "image/jpeg", (300, 200), id="jpeg-fill-bytes"),
    pytest.param(make_jpeg(4000, 3000, app_blocks=3, app_size=60_000), "image/jpeg",
                 (4000, 3000), id="jpeg-sof-after-180k-of-metadata"),
    pytest.param(make_webp_vp8x(1920, 1080), "image/webp", (1920, 1080), id="webp-vp8x"),
    pytest.param(make_webp_vp8x(16_777_216, 1), "image/webp", (16_777_216, 1),
                 id="webp-vp8x-24bit"),
    pytest.param(make_webp_vp8l(1000, 16384), "image/webp", (1000, 16384), id="webp-vp8l"),
    pytest.param(make_webp_vp8(400, 301), "image/webp", (400, 301), id="webp-vp8-lossy"),
    # The format comes from the bytes, not from the declared media type.
    pytest.param(make_png(9, 7), "image/jpeg", (9, 7), id="png-declared-as-jpeg"),
]


@pytest.mark.parametrize(("data", "media", "expected"), IMAGE_CASES)
def test_dimensions_of_built_images(data: bytes, media: str, expected: tuple[int, int]) -> None:
    assert data_url_dimensions(data_url(data, media)) == expected


PNG_B64 = base64.b64encode(make_png(5, 4)).decode()

URL_FORM_CASES = [
    pytest.param("DATA:IMAGE/PNG;BASE64," + PNG_B64, id="upper-case-scheme"),
    pytest.param("  " + data_url(make_png(5, 4)), id="leading-space"),
    pytest.param(data_url(make_png(5, 4)).rstrip("="), id="missing-padding"),
    pytest.param(data_url(make_png(5, 4)).replace("+", "-").replace("/", "_"), id="url-safe"),
    pytest.param("data:image/png;base64," + "\n".join(
        base64.b64encode(make_png(5, 4)).decode()[i:i + 76] for i in range(0, 200, 76)),
        id="line-wrapped-base64"),
    pytest.param("data:image/png;name=x.png;base64," + base64.b64encode(make_png(5, 4)).decode(),
                 id="extra-parameter"),
]


@pytest.mark.parametrize("url", URL_FORM_CASES)
def test_dimensions_tolerate_url_variants(url: str) -> None:
    assert data_url_dimensions(url) == (5, 4)


NONE_CASES = [
    pytest.param("", id="empty"),
    pytest.param("https://example.com/cat.png", id="http-url"),
    pytest.param("data:", id="bare-data"),
    pytest.param("data:image/png;base64,", id="empty-payload"),
    pytest.param("data:image/png;base64", id="no-comma"),
    pytest.param("data:image/png," + PNG_B64, id="not-declared-base64"),
    pytest.param("data:image/svg+xml;utf8,<svg width='10' height='10'/>", id="svg-text"),
    pytest.param("data:image/png;base64,not base64 at all!!", id="non-base64"),
    pytest.param("data:image/png;base64,@@@@####$$$$", id="only-invalid-chars"),
    pytest.param("data:image/png;base64,\u00e9\u00e8\u4e2d\U0001f600", id="non-ascii"),
    pytest.param("data:image/png;base64,\x00\x00\x00", id="nul-chars"),
    pytest.param(data_url(b"hello world, plainly not an image"), id="unknown-format"),
    pytest.param(data_url(make_png(5, 4)[:20]), id="png-truncated-in-ihdr"),
    pytest.param(data_url(make_png(5, 4)[:8]), id="png-signature-only"),
    pytest.param(data_url(b"\x89PN"), id="png-partial-signature"),
    pytest.param(data_url(make_png(0, 4)), id="png-zero-width"),
    pytest.param(data_url(b"\x89PNG\r\n\x1a\n" + bytes(4) + b"IDAT" + bytes(20)),
                 id="png-first-chunk-not-ihdr"),
    pytest.param(data_url(make_gif(640, 480)[:8]), id="gif-truncated"),
    pytest.param(data_url(make_jpeg(300, 200)[:30]), id="jpeg-truncated-before-sof"),
    pytest.param(data_url(make_jpeg(300, 200, app_blocks=1)[:600]), id="jpeg-truncated-in-app"),
    pytest.param(data_url(b"\xff\xd8\xff\xda\x00\x08" + bytes(20)), id="jpeg-sos-before-sof"),
    pytest.param(data_url(b"\xff\xd8\xff\xd9"), id="jpeg-eoi-only"),
    pytest.param(data_url(b"\xff\xd8\x00\x00\x00\x00"), id="jpeg-garbage-after-soi"),
    pytest.param(data_url(b"\xff\xd8\xff\xe0\x00\x01" + bytes(20)), id="jpeg-bad-length"),
    pytest.param(data_url(make_jpeg(0, 0)), id="jpeg-zero-size"),
    pytest.param(data_url(make_webp_vp8x(10, 10)[:25]), id="webp-truncated"),
    pytest.param(data_url(_riff(b"ABCD" + bytes(30))), id="webp-unknown-chunk"),
    pytest.param(data_url(_riff(b"VP8L" + bytes(4) + b"\x00" + bytes(12))), id="webp-vp8l-bad-sig"),
    pytest.param(data_url(_riff(b"VP8 " + bytes(4) + bytes(20))), id="webp-vp8-bad-start-code"),
    pytest.param(data_url(b"RIFF" + bytes(4) + b"WAVE" + bytes(30)), id="riff-not-webp"),
]


@pytest.mark.parametrize("url", NONE_CASES)
def test_dimensions_none(url: str) -> None:
    assert data_url_dimensions(url) is None


# ---------------------------------------------------------------------------------------------
# Bounded decoding
# ---------------------------------------------------------------------------------------------


class DecodeSpy:
    """Wraps images._b64decode, recording how many base64 characters each call was given."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.sizes: list[int] = []
        real = images._b64decode

        def spy(text: str, whole: bool) -> bytes:
            self.sizes.append(len(text))
            return real(text, whole)

        monkeypatch.setattr(images, "_b64decode", spy)


BIG = 20 * 1024 * 1024


def test_large_png_decodes_only_a_small_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    spy = DecodeSpy(monkeypatch)
    # A valid header, 20 MB of base64, then a tail that is not base64 at all.
    url = data_url(make_png(3000, 2000)) + "A" * BIG + "!!not base64 ~~~ \u00e9"
    assert data_url_dimensions(url) == (3000, 2000)
    assert spy.sizes == [4096]


def test_large_gif_and_webp_decode_only_a_small_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    spy = DecodeSpy(monkeypatch)
    tail = "B" * BIG + "%%%"
    assert data_url_dimensions(data_url(make_gif(10, 20)) + tail) == (10, 20)
    assert data_url_dimensions(data_url(make_webp_vp8l(30, 40)) + tail) == (30, 40)
    assert spy.sizes == [4096, 4096]


def test_jpeg_with_big_metadata_grows_the_prefix_but_stays_bounded(
        monkeypatch: pytest.MonkeyPatch) -> None:
    spy = DecodeSpy(monkeypatch)
    jpeg = make_jpeg(4000, 3000, app_blocks=4, app_size=60_000)  # SOF at ~240 KB
    assert data_url_dimensions(data_url(jpeg, "image/jpeg") + "A" * BIG + "!!") == (4000, 3000)
    assert len(spy.sizes) > 1  # 4 KiB was not enough: it decoded more, in growing steps
    assert spy.sizes == sorted(spy.sizes)
    assert max(spy.sizes) <= images._MAX_CHARS


def test_jpeg_frame_header_past_the_cap_gives_none(monkeypatch: pytest.MonkeyPatch) -> None:
    spy = DecodeSpy(monkeypatch)
    jpeg = make_jpeg(4000, 3000, app_blocks=20, app_size=65_000)  # SOF at ~1.3 MB
    assert len(jpeg) > images._MAX_DECODED_BYTES
    assert data_url_dimensions(data_url(jpeg, "image/jpeg") + "A" * BIG) is None
    assert max(spy.sizes) <= images._MAX_CHARS
    assert images._MAX_CHARS * 3 // 4 >= images._MAX_DECODED_BYTES


def test_huge_run_of_invalid_characters_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    spy = DecodeSpy(monkeypatch)
    assert data_url_dimensions("data:image/png;base64," + "!" * BIG) is None
    assert max(spy.sizes) <= images._MAX_CHARS


def test_huge_leading_whitespace_is_bounded() -> None:
    assert data_url_dimensions(" " * BIG + data_url(make_png(2, 2))) is None


# ---------------------------------------------------------------------------------------------
# Robustness
# ---------------------------------------------------------------------------------------------


@settings(max_examples=500, deadline=None)
@given(st.text())
def test_any_string_never_raises(text: str) -> None:
    # The parser without the public function's last-resort guard, which would hide a raise.
    result = images._data_url_dimensions(text)
    assert result is None or (result[0] > 0 and result[1] > 0)


@settings(max_examples=500, deadline=None)
@given(st.text())
def test_any_payload_never_raises(text: str) -> None:
    result = images._data_url_dimensions("data:image/png;base64," + text)
    assert result is None or (result[0] > 0 and result[1] > 0)


@settings(max_examples=1000, deadline=None)
@given(st.sampled_from([b"\x89PNG\r\n\x1a\n", b"GIF89a", b"\xff\xd8", b"\xff\xd8\xff",
                        b"RIFF\x00\x00\x00\x00WEBPVP8 ", b"RIFF\x00\x00\x00\x00WEBPVP8L",
                        b"RIFF\x00\x00\x00\x00WEBPVP8X", b""]),
       st.binary(max_size=200))
def test_header_parsers_never_raise(magic: bytes, rest: bytes) -> None:
    # The parsers are exercised without the public function's last-resort guard.
    result = images._sniff(magic + rest)
    assert result is None or isinstance(result, images._NeedMore) or (
        isinstance(result, tuple) and result[0] > 0 and result[1] > 0)


ALL_BUILT = [pytest.param(case.values[0], id=str(case.id)) for case in IMAGE_CASES
             if str(case.id) != "jpeg-sof-after-180k-of-metadata"]


@pytest.mark.parametrize("data", ALL_BUILT)
def test_every_truncation_is_none_or_need_more(data: bytes) -> None:
    # A prefix of a valid image never yields a wrong size and is never called corrupt.
    full = images._sniff(data)
    assert isinstance(full, tuple)
    for cut in range(len(data)):
        part = images._sniff(data[:cut])
        assert part == full or isinstance(part, images._NeedMore), cut


# ---------------------------------------------------------------------------------------------
# Recorded requests
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cassette_images() -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    with shared_data("openai-cassettes.jsonl").open(encoding="utf-8") as lines:
        for line in lines:
            record = json.loads(line)
            source = record.get("meta", {}).get("source", "?")
            found += [(source, s) for s in json_strings(record.get("request"))
                      if s.lower().startswith("data:image/")]
    return found


def test_every_cassette_data_image_has_dimensions(cassette_images: list[tuple[str, str]]) -> None:
    assert cassette_images, "expected data:image URLs in the cassettes"
    missing = [source for source, url in cassette_images if data_url_dimensions(url) is None]
    assert missing == []


def test_cassette_3008x2000_png_costs_1105_on_gpt4o(
        cassette_images: list[tuple[str, str]]) -> None:
    sizes = {data_url_dimensions(url) for _, url in cassette_images}
    assert (3008, 2000) in sizes
    assert image_tokens(facts_for("gpt-4o").image, 3008, 2000, "auto").tokens == 1105
