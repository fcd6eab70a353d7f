"""How large one record may be, checked on its raw text before it is decoded.

Two bounds, both far beyond any request a provider accepts, so that a damaged or hostile log
cannot make a run take minutes or gigabytes:

- a JSONL line over :data:`MAX_LINE_BYTES` is skipped without being held in memory;
- a JSON document (not JSONL) over :data:`MAX_DOCUMENT_BYTES` is refused, since it would be
  held whole;
- a record with more than :data:`MAX_TEXT_BYTES` of text, not counting inline base64 data
  (images, files and audio, which are read from their headers, not tokenized), is reported
  instead of decoded and tokenized.
"""

from __future__ import annotations

import re

MAX_LINE_BYTES = 128 * 1024 * 1024
"""A JSONL line longer than this is one invalid record, skipped unread: a damaged file (a
binary blob, a log that lost its newlines) cannot exhaust memory."""

MAX_DOCUMENT_BYTES = 256 * 1024 * 1024
"""A JSON document (an array of records, or one object over several lines) is read whole to be
decoded, so one larger than this is refused unread: a log that big belongs in JSONL, which is
read one record at a time however large the file is."""

MAX_TEXT_BYTES = 16 * 1024 * 1024
"""A record with more text than this is one invalid record. The largest context windows
(about a million tokens) hold some four million characters of ordinary text, so the provider
refused such a request; tokenizing it would take seconds and hundreds of megabytes."""

_HAR_START = re.compile(rb'\s*\{\s*"log"\s*:')
"""A HAR capture: one record holding a whole session's calls, each a record in all but name.
Its format applies the limit to each request body instead, since a capture of a long agent
run passes it long before any one prompt does (the document limit still bounds the whole)."""
_DATA_URL = b";base64,"
_AUDIO_KEY = b'"data"'
_AUDIO_VALUE = re.compile(rb'\s*:\s*"')


def too_much_text(raw: bytes) -> str | None:
    """Why the record in ``raw`` is too large to tokenize, or None. Costs one length
    comparison below the limit."""
    if len(raw) <= MAX_TEXT_BYTES or _HAR_START.match(raw):
        return None
    text = len(raw) - _inline_data(raw)
    if text <= MAX_TEXT_BYTES:
        return None
    return (f"{text / 2**20:,.1f} MiB of text besides inline base64 data, over the "
            f"{MAX_TEXT_BYTES >> 20} MiB promptcache tokenizes in one record: not audited")


def _inline_data(raw: bytes) -> int:
    """Bytes of base64 payloads: after ";base64," in a data URL, or an audio part's "data"
    string. A payload runs to the next quote (base64 has none, nor do JSON strings unescaped)."""
    total = 0
    for marker in (_DATA_URL, _AUDIO_KEY):
        found = raw.find(marker)
        while found >= 0:
            begin = found + len(marker)
            if marker is _AUDIO_KEY:
                value = _AUDIO_VALUE.match(raw, begin)
                if value is None:  # the word "data" elsewhere, not a key with a string
                    found = raw.find(marker, begin)
                    continue
                begin = value.end()
            end = raw.find(b'"', begin)
            if end < 0:
                break
            total += end - begin
            found = raw.find(marker, end)
    return total
