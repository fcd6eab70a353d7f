"""Image tokens: what a provider charges for one image, and image sizes read from ``data:`` URLs
(or, on request, from the first bytes of a remote image: see :func:`remote_image_sizes`).

The cost rules follow OpenAI's platform guide "Images and vision", section "Calculating costs"
(https://platform.openai.com/docs/guides/images-vision#calculating-costs; the search copy read
when this was written is the mirror https://openai-hd4n6.mintlify.app/docs/guides/images) and
shared/domain.md section 4. The per-model numbers live in :mod:`promptcache.catalog`.

Tile models (gpt-4o, gpt-4.1, gpt-5, o1, o3...), per the guide:

* ``detail: low`` costs ``base`` whatever the size.
* ``detail: high`` (and ``auto``, see :func:`image_tokens`): fit within 2048x2048, then scale
  so the short side is 768 px (both only ever shrink, keeping the aspect ratio), count 512-px
  tiles, ``base + tiles * per_tile``. Worked examples in the guide: 1024x1024 -> 768x768, 4
  tiles, 765 tokens; 2048x4096 -> 1024x2048 -> 768x1536, 6 tiles, 1105 tokens.

Patch models (gpt-4.1-mini, gpt-4.1-nano, o4-mini, gpt-5-mini, gpt-5-nano, gpt-5.2 and
later), per the guide:

* patches = ceil(w/32) * ceil(h/32). Above the cap (the guide's 1536; the model's
  ``max_patches``, 2500 on gpt-5.2 and later), shrink by ``sqrt(cap * 32**2 / (w * h))``,
  then shrink once more so that one side falls on a whole number of patches: the guide's
  1800x2400 example goes 57x75 = 4275 patches -> shrink 0.603 -> 1086x1448 (33.94 x 45.25
  patches) -> times 33/33.94 -> 1056x1408 -> 33x44 = 1452 patches. "The token cost is the
  number of patches, capped at a maximum of 1536 tokens."
* the patch count is multiplied by the model's multiplier (1.62 for gpt-4.1-mini, 2.46 for
  gpt-4.1-nano...). The guide gives no rounding for the fractional product; we round up.
  Evidence: usage measured on the OpenAI developer forum for gpt-5-mini (256 patches x 1.2 =
  307.2 reported as 308, 1536 x 1.2 = 1843.2 as 1844), and shared/data's chat cassettes,
  where two gpt-5-mini requests differing only in the image (597x566 JPEG, 342 patches, vs
  400x301 PNG, 130 patches) differ by 255 image tokens = ceil(410.4) - ceil(156); rounding
  to nearest or down gives 254. (Both sources point at 1.2 tokens per patch for gpt-5-mini,
  not the 1.62 the guide lists: a catalog matter, not one for this module.)

Anthropic's Claude models are patch models too (their vision guide, "Images and vision"): 28-px
patches, one token each, the image first scaled down to the model's long edge (1568 px), then
capped at 1600 patches by the same procedure; the figures and their evidence are in
:mod:`promptcache.catalog`.

Both schemes: the model's ``framing`` (tokens billed around every image, 2 on gpt-5-mini, 0
on gpt-4o) is added to the image's cost; it is per model, in the catalogue, and the same in
Chat Completions and Responses.
"""

from __future__ import annotations

import binascii
import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from fractions import Fraction
from typing import Final, TypeAlias

from promptcache.catalog import ImageScheme, PatchScheme, TileScheme

__all__ = [
    "ImageCost",
    "RemoteSizer",
    "data_url_dimensions",
    "header_dimensions",
    "header_incomplete",
    "image_dimensions",
    "image_token_range",
    "image_tokens",
    "remote_image_sizes",
]


@dataclass(frozen=True, slots=True)
class ImageCost:
    """What one image costs, and how sure we are of it."""

    tokens: int
    """Tokens the provider charges for the image."""
    width: int | None
    """Pixel width of the image as sent, when known."""
    height: int | None
    """Pixel height of the image as sent, when known."""
    estimated: bool
    """True when the size was unknown and :data:`ASSUMED_SIZE` was used instead."""
    note: str
    """``''`` or a short reason (why the cost is an estimate)."""


ASSUMED_SIZE: Final = (1024, 1024)
"""Size assumed for an image whose size is unknown (a remote URL read offline)."""

# Tile scheme geometry (the guide's "Calculating costs", tile models).
_TILE_FIT = 2048
_TILE_SHORT_SIDE = 768
_TILE = 512
# Patch scheme geometry (same section, patch models).
_PATCH = 32


# --------------------------------------------------------------------------------------------
# Token cost
# --------------------------------------------------------------------------------------------


def image_tokens(scheme: ImageScheme, width: int | None, height: int | None,
                 detail: str) -> ImageCost:
    """Tokens ``scheme`` charges for a ``width`` x ``height`` image sent with ``detail``.

    ``detail`` is ``'low'``, ``'high'`` or ``'auto'``; any other value is taken as ``'auto'``,
    the API default. ``auto`` is costed as ``high``: on recorded usage a 3008x2000 PNG sent to
    gpt-4o without ``detail`` cost 1105 tokens, the ``high`` price (``low`` would be 85).

    A size that is unknown (``None``) or not positive is replaced by :data:`ASSUMED_SIZE`, and
    the result is flagged ``estimated`` with a note; its ``width``/``height`` are then ``None``.
    """
    if width is None or height is None or width <= 0 or height <= 0:
        if isinstance(scheme, TileScheme) and detail == "low":
            # `low` costs the base at any size (the guide's fixed price): nothing to estimate.
            return ImageCost(_scheme_tokens(scheme, 1, 1, detail), None, None,
                             estimated=False, note="")
        w, h = ASSUMED_SIZE
        tokens = _scheme_tokens(scheme, w, h, detail)
        note = f"image size unknown offline, assumed {w}x{h}"
        return ImageCost(tokens, None, None, estimated=True, note=note)
    return ImageCost(_scheme_tokens(scheme, width, height, detail), width, height,
                     estimated=False, note="")


def image_token_range(scheme: ImageScheme, detail: str) -> tuple[int, int]:
    """The fewest and most tokens ``scheme`` can charge for an image of any size sent with
    ``detail``: the bounds of a count made without the image's size.

    Tile models: ``low`` costs ``base`` at any size. ``auto`` may be served as ``low`` (the
    guide: "the model decides"), so its floor is ``base``; ``high`` costs at least one
    tile. The ceiling is the largest image after the guide's scaling, 768 x 2048 px (2 x 4
    tiles). Patch models: one patch to the cap (a 1024 x 1536 image is 1536 patches).
    """
    if isinstance(scheme, TileScheme):
        most = _scheme_tokens(scheme, _TILE_SHORT_SIDE, _TILE_FIT, detail)
        fewest = scheme.base if detail in ("low", "auto") else scheme.base + scheme.per_tile
        return fewest + scheme.framing, most
    return (_patches_cost(scheme, 1) + scheme.framing,
            _patches_cost(scheme, scheme.max_patches) + scheme.framing)


def _scheme_tokens(scheme: ImageScheme, width: int, height: int, detail: str) -> int:
    return _content_tokens(scheme, width, height, detail) + scheme.framing


def _content_tokens(scheme: ImageScheme, width: int, height: int, detail: str) -> int:
    if isinstance(scheme, TileScheme):
        if detail == "low":
            return scheme.base
        return scheme.base + _tile_count(width, height) * scheme.per_tile
    # Patch models: `detail` does not change the cost. The guide gives no low-detail price
    # for them, and usage reported on the OpenAI developer forum is identical for
    # `detail: low` and `high` on gpt-4.1-mini, gpt-4.1-nano and o4-mini (thread "Vision:
    # more than one way to send a request", 2025). Assumption: the same holds for gpt-5-mini
    # and gpt-5-nano.
    return _patch_tokens(scheme, width, height)


def _tile_count(width: int, height: int) -> int:
    """512-px tiles of a ``detail: high`` image on a tile model (both sides must be > 0).

    Scaled sizes are rounded down to whole pixels (a resized image has whole pixels; the guide
    does not say how it rounds, and its examples all scale exactly).
    """
    w, h = Fraction(width), Fraction(height)
    longest = max(w, h)
    if longest > _TILE_FIT:  # fit within 2048x2048, shrinking only
        w, h = w * _TILE_FIT / longest, h * _TILE_FIT / longest
    shortest = min(w, h)
    if shortest > _TILE_SHORT_SIDE:  # short side to 768, shrinking only
        w, h = w * _TILE_SHORT_SIDE / shortest, h * _TILE_SHORT_SIDE / shortest
    pw, ph = max(1, math.floor(w)), max(1, math.floor(h))
    return _ceil_div(pw, _TILE) * _ceil_div(ph, _TILE)


def _patch_count(width: int, height: int, max_patches: int, patch: int = _PATCH) -> int:
    """``patch``-px patches of an image on a patch model, after the guide's downscaling
    (sides > 0)."""
    patches = _ceil_div(width, patch) * _ceil_div(height, patch)
    if patches <= max_patches:
        return patches
    # The guide's shrink: sqrt(cap * 32^2 / (w * h)) brings the area to exactly `cap` patches;
    # then shrink again by the smaller of floor(n)/n over both sides (n = the side in
    # patches), which puts that side on a whole number of patches and guarantees
    # ceil(w'/32) * ceil(h'/32) <= cap. For 1800x2400: n = 33.94 and 45.25, factor 33/33.94.
    shrink = math.sqrt(max_patches * patch * patch / (width * height))
    nw, nh = width * shrink / patch, height * shrink / patch
    # A side under one patch after the shrink (only for extreme shapes such as 100000x1) is
    # left out of the fit, as flooring it would shrink the image to nothing; it still takes
    # one patch below, and the final min() is the guide's own cap on the token count.
    fit = min((math.floor(n) / n for n in (nw, nh) if n >= 1), default=1.0)
    # Whole pixels again; the epsilon keeps 1055.9999999 (float noise for 1056) at 1056.
    w = math.floor(width * shrink * fit + 1e-6)
    h = math.floor(height * shrink * fit + 1e-6)
    patches = max(1, _ceil_div(w, patch)) * max(1, _ceil_div(h, patch))
    return min(patches, max_patches)


def _patch_tokens(scheme: PatchScheme, width: int, height: int) -> int:
    return _patches_cost(scheme, _scaled_patch_count(scheme, width, height))


def _scaled_patch_count(scheme: PatchScheme, width: int, height: int) -> int:
    """Patches of a ``width`` x ``height`` image (sides > 0) on ``scheme``: first scaled down
    to the scheme's long edge, if it has one (whole pixels, rounded down; Anthropic's resize,
    "aspect ratio preserved"), then the guide's patch procedure."""
    edge = scheme.max_long_edge
    if edge and max(width, height) > edge:
        scale = Fraction(edge, max(width, height))
        width, height = max(1, math.floor(width * scale)), max(1, math.floor(height * scale))
    return _patch_count(width, height, scheme.max_patches, scheme.patch)


def _patches_cost(scheme: PatchScheme, patches: int) -> int:
    # Multiplier given as a decimal (1.62): use it as such so 100 x 1.62 is exactly 162, not
    # 162.00000000000003 rounded up to 163.
    return math.ceil(patches * Fraction(str(scheme.multiplier)))


def _ceil_div(a: int, b: int) -> int:
    return -(-a // b)


# --------------------------------------------------------------------------------------------
# Sizes by source: data: URLs here, remote URLs only through an installed sizer
# --------------------------------------------------------------------------------------------

RemoteSizer: TypeAlias = Callable[[str], tuple[int, int] | None]
"""Reads the size of the image at a URL that is not a ``data:`` URL; None when it cannot."""

# A context variable rather than a parameter threaded through every normalizer: the default
# (None) keeps every run offline, and only `promptcache audit --fetch-images` installs one,
# for the duration of its run (see promptcache.tokens.remote_images).
_remote_sizer: ContextVar[RemoteSizer | None] = ContextVar("promptcache_remote_sizer",
                                                           default=None)


def image_dimensions(url: str) -> tuple[int, int] | None:
    """``(width, height)`` of the image at ``url``: read from a ``data:`` URL's header, or
    asked of the remote sizer installed by :func:`remote_image_sizes` (none by default, so
    a remote image's size is unknown). Never raises."""
    if url[:5].lower() == "data:":
        return data_url_dimensions(url)
    sizer = _remote_sizer.get()
    if sizer is None:
        return None
    try:
        return sizer(url)
    except Exception:  # a sizer that fails leaves the image estimated, as offline
        return None


@contextmanager
def remote_image_sizes(sizer: RemoteSizer) -> Iterator[None]:
    """Within the block, :func:`image_dimensions` asks ``sizer`` for remote images' sizes."""
    token = _remote_sizer.set(sizer)
    try:
        yield
    finally:
        _remote_sizer.reset(token)


def header_dimensions(data: bytes) -> tuple[int, int] | None:
    """``(width, height)`` from the first bytes of a PNG, GIF, JPEG or WEBP file; None when
    ``data`` is not such a header or stops before the size (see :func:`header_incomplete`).
    Never raises."""
    try:
        parsed = _sniff(data)
    except Exception:  # last-resort guard, as for data: URLs
        return None
    return None if isinstance(parsed, _NeedMore) else parsed


def header_incomplete(data: bytes) -> bool:
    """True when ``data`` starts like a known image format whose size comes later in the
    file: reading more bytes may still find it."""
    try:
        return isinstance(_sniff(data), _NeedMore)
    except Exception:
        return False


# --------------------------------------------------------------------------------------------
# Sizes from data: URLs
# --------------------------------------------------------------------------------------------

# Base64 characters decoded per attempt, growing until the header is found. Most headers
# (PNG, GIF, WEBP, JPEG without big metadata) sit in the first few hundred bytes; a JPEG's SOF
# marker can come after EXIF/ICC/XMP blocks of up to 64 KiB each, hence the later steps.
_CHUNK_CHARS: Final = (4096, 65536, 524288)
_MAX_DECODED_BYTES: Final = 1 << 20
"""Hard cap on the decoded prefix: a header past the first MiB is given up on (None)."""
_MAX_CHARS: Final = -(-_MAX_DECODED_BYTES // 3) * 4
_MAX_HEADER_CHARS: Final = 1024
"""A data: URL's media type and parameters must end (at the comma) within this many chars."""

_B64_ALPHABET: Final = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/="
# URL-safe base64 ('-', '_') is read as the standard alphabet; anything else (whitespace,
# line breaks, stray characters) is dropped before decoding.
_B64_TABLE: Final = bytes.maketrans(b"-_", b"+/")
_B64_DROP: Final = bytes(set(range(256)) - set(_B64_ALPHABET) - set(b"-_"))


class _NeedMore:
    """Sentinel type: the header did not fit in the bytes decoded so far."""


_NEED_MORE: Final = _NeedMore()
_Parsed: TypeAlias = tuple[int, int] | _NeedMore | None


def data_url_dimensions(url: str) -> tuple[int, int] | None:
    """``(width, height)`` of the image in a base64 ``data:`` URL, from its header bytes.

    Reads PNG, GIF, JPEG and WEBP (VP8, VP8L, VP8X) headers; the format is recognised by its
    magic bytes, not by the declared media type. Only a bounded prefix of the payload is ever
    decoded (growing chunks, at most 1 MiB of image bytes), so a 50 MB image costs no more
    than a small one. Returns None for anything else: other URLs, non-base64 data, unknown
    formats, corrupt or truncated headers, zero sizes. Never raises.
    """
    try:
        return _data_url_dimensions(url)
    except Exception:  # last-resort guard: an auditor must not crash on one odd image
        return None


def _data_url_dimensions(url: str) -> tuple[int, int] | None:
    head = url[:_MAX_HEADER_CHARS]
    start = len(head) - len(head.lstrip())  # tolerate leading whitespace, boundedly
    if url[start:start + 5].lower() != "data:":
        return None
    comma = url.find(",", start, start + _MAX_HEADER_CHARS)
    if comma < 0:
        return None
    params = url[start + 5:comma].lower().split(";")
    if "base64" not in (p.strip() for p in params[1:]):
        return None
    payload_start = comma + 1
    payload_len = len(url) - payload_start
    for chars in (*_CHUNK_CHARS, _MAX_CHARS):
        whole = payload_len <= chars
        data = _b64decode(url[payload_start:payload_start + min(chars, _MAX_CHARS)], whole)
        parsed = _sniff(data)
        if not isinstance(parsed, _NeedMore):
            return parsed
        if whole:
            return None  # the whole image is decoded and its header is cut short
    return None


def _b64decode(text: str, whole: bool) -> bytes:
    """Decode a prefix of a base64 payload; b'' if it is not base64.

    Only full 4-character groups are decoded from a prefix; for the whole payload, missing
    ``=`` padding is tolerated.
    """
    raw = text.encode("ascii", "ignore").translate(_B64_TABLE, _B64_DROP)
    if whole:
        raw = raw.rstrip(b"=")
        if len(raw) % 4 == 1:
            raw = raw[:-1]
        raw += b"=" * (-len(raw) % 4)
    else:
        raw = raw[: len(raw) - len(raw) % 4]
    try:
        return binascii.a2b_base64(raw)
    except (binascii.Error, ValueError):
        return b""


_SIGNATURES: Final = (b"\x89PNG\r\n\x1a\n", b"GIF87a", b"GIF89a", b"\xff\xd8", b"RIFF")


def _sniff(data: bytes) -> _Parsed:
    """Dispatch on the magic bytes; _NEED_MORE if ``data`` is too short to tell."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return _png(data)
    if data.startswith((b"GIF87a", b"GIF89a")):
        return _gif(data)
    if data.startswith(b"\xff\xd8"):
        return _jpeg(data)
    if data.startswith(b"RIFF"):
        if len(data) < 12:
            return _NEED_MORE
        return _webp(data) if data[8:12] == b"WEBP" else None
    # Too short to hold any of the signatures above, but a prefix of one of them: decode more.
    if len(data) < 12 and any(sig.startswith(data) for sig in _SIGNATURES):
        return _NEED_MORE
    return None


def _size(width: int, height: int) -> tuple[int, int] | None:
    return (width, height) if width > 0 and height > 0 else None


def _png(data: bytes) -> _Parsed:
    # Signature (8), then the IHDR chunk: length (4), "IHDR", width (4), height (4), big-endian.
    if len(data) < 24:
        return _NEED_MORE
    if data[12:16] != b"IHDR":
        return None
    return _size(int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big"))


def _gif(data: bytes) -> _Parsed:
    # Signature (6), then the logical screen width and height, little-endian 16-bit.
    if len(data) < 10:
        return _NEED_MORE
    return _size(int.from_bytes(data[6:8], "little"), int.from_bytes(data[8:10], "little"))


# SOFn markers carry the frame size; C4 (DHT), C8 (JPG) and CC (DAC) share the range but don't.
_JPEG_SOF: Final = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}
# Markers without a length field: TEM, RST0-7, SOI.
_JPEG_STANDALONE: Final = frozenset({0x01, *range(0xD0, 0xD8), 0xD8})


def _jpeg(data: bytes) -> _Parsed:
    i = 2  # after SOI
    n = len(data)
    while True:
        if i >= n:
            return _NEED_MORE
        if data[i] != 0xFF:
            return None  # segments must start with a marker
        while i < n and data[i] == 0xFF:  # fill bytes
            i += 1
        if i >= n:
            return _NEED_MORE
        marker = data[i]
        i += 1
        if marker in _JPEG_STANDALONE:
            continue
        if marker in (0x00, 0xD9, 0xDA):
            return None  # stuffed byte, EOI or start of scan before any frame header
        if i + 2 > n:
            return _NEED_MORE
        length = int.from_bytes(data[i:i + 2], "big")
        if length < 2:
            return None
        if marker in _JPEG_SOF:
            # Length (2), precision (1), height (2), width (2).
            if i + 7 > n:
                return _NEED_MORE
            height = int.from_bytes(data[i + 3:i + 5], "big")
            width = int.from_bytes(data[i + 5:i + 7], "big")
            # Height 0 means "defined later by a DNL marker": not supported. EXIF orientation
            # may swap the sides on display; the token rules are symmetric, so that is moot.
            return _size(width, height)
        i += length


def _webp(data: bytes) -> _Parsed:
    # RIFF (4), size (4), WEBP (4), then the first chunk: fourcc (4), size (4), payload at 20.
    if len(data) < 30:
        return _NEED_MORE
    fourcc = data[12:16]
    if fourcc == b"VP8X":
        # Flags (1), reserved (3), canvas width - 1 and height - 1, 24-bit little-endian.
        return _size(int.from_bytes(data[24:27], "little") + 1,
                     int.from_bytes(data[27:30], "little") + 1)
    if fourcc == b"VP8L":
        # Signature 0x2f, then 14 bits width - 1 and 14 bits height - 1, little-endian bits.
        if data[20] != 0x2F:
            return None
        bits = int.from_bytes(data[21:25], "little")
        return _size((bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1)
    if fourcc == b"VP8 ":
        # Lossy key frame: frame tag (3), start code 9d 01 2a, then 14-bit width and height
        # (the top 2 bits of each are a scaling hint, not part of the size).
        if data[23:26] != b"\x9d\x01\x2a":
            return None
        return _size(int.from_bytes(data[26:28], "little") & 0x3FFF,
                     int.from_bytes(data[28:30], "little") & 0x3FFF)
    return None
