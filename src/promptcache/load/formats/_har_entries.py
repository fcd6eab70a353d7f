"""How :mod:`.har` reads a capture's entries into calls: kept apart so that telling a file's
format never imports it."""

from __future__ import annotations

import base64
import binascii
import re
import zlib
from collections.abc import Iterator, Mapping
from math import inf
from typing import Any
from urllib.parse import urlsplit

from promptcache.load.formats._endpoints import api_of_url
from promptcache.load.formats._responses import REFUSED, refused, response_facts, served_model
from promptcache.load.formats._times import epoch_seconds
from promptcache.load.formats.base import (
    LoggedCall,
    Skipped,
)
from promptcache.load.formats.embedded import json_text
from promptcache.load.limits import MAX_TEXT_BYTES, too_much_text
from promptcache.load.sources import LoadError, RawRecord

NOT_READ = ("not a chat, Responses or Messages call (embeddings, moderation, token "
            "counting, legacy completions, batches)")
"""Why a provider API call that is no prompt promptcache reads is skipped: counted, so that
a capture's calls add up, where a page load or any other site's POST is no call at all."""

_OTHER_API = re.compile(
    r"(?:/v1|/openai/deployments/[^/]+)/(?:embeddings|moderations|completions|complete"
    r"|images/\w+|audio/\w+|responses/input_tokens|messages/count_tokens|messages/batches"
    r"|batches)$")
"""The paths of OpenAI's, Azure OpenAI's and Anthropic's other POST endpoints."""


def document_calls(record: RawRecord) -> Iterator[LoggedCall | LoadError | Skipped]:
    """The calls of a capture's provider POSTs, in the order they were sent."""
    entries = record.value["log"]["entries"]
    for index in _in_sending_order(entries):
        found = _entry_call(record, index, entries[index])
        if found is not None:
            yield found


def _in_sending_order(entries: list[Any]) -> list[int]:
    """The entries' indexes by the time each request started. Writers differ: browsers save
    exchanges as they start, mitmproxy as they end, so calls made at once (an agent's
    parallel sub-tasks) come in the order they were answered. An entry without a readable
    time stays after the one before it."""
    times: list[float] = []
    for entry in entries:
        started = epoch_seconds(entry.get("startedDateTime")) if isinstance(
            entry, Mapping) else None
        times.append(started if started is not None else (times[-1] if times else -inf))
    return sorted(range(len(entries)), key=times.__getitem__)


def _entry_call(record: RawRecord, index: int,
                entry: Any) -> LoggedCall | LoadError | Skipped | None:
    path = f"$.log.entries[{index}]"
    if not isinstance(entry, Mapping):
        return LoadError(record.location, f"{path}: an entry must be an object")
    request = entry.get("request")
    if not isinstance(request, Mapping):
        return LoadError(record.location, f"{path}.request: missing, or not an object")
    url, method = request.get("url"), request.get("method")
    if not isinstance(url, str) or not isinstance(method, str) or method.upper() != "POST":
        return None
    api = api_of_url(url)
    if api is None:
        return Skipped(record.location, NOT_READ) if _OTHER_API.search(
            urlsplit(url.strip()).path.rstrip("/")) else None
    response = entry.get("response")
    response = response if isinstance(response, Mapping) else {}
    if refused(response.get("status")):
        return Skipped(record.location, REFUSED)
    body, body_path, problem = _request_body(request, f"{path}.request")
    if body is None:
        return LoadError(record.location, f"{body_path}: {problem}")
    facts = response_facts(_content_text(response.get("content")))
    return LoggedCall(
        location=record.location,
        body=body,
        body_path=body_path,
        api=api,
        usage=facts.usage,
        timestamp=epoch_seconds(entry.get("startedDateTime")),
        served_model=served_model(body, facts),
        call_id=facts.response_id,
        relocations=(("$.timestamp", f"{path}.startedDateTime"),),
    )


def _request_body(request: Mapping[str, Any],
                  path: str) -> tuple[Mapping[str, Any] | None, str, str]:
    """The decoded body, its JSON path, and what is wrong when there is no body."""
    post_data = request.get("postData")
    if not isinstance(post_data, Mapping):
        return None, f"{path}.postData", "the capture kept no request body"
    text = post_data.get("text")
    params = post_data.get("params")
    if not text and isinstance(params, list) and params:
        path = f"{path}.postData.params"
        text = _joined_params(params)
    else:
        path = f"{path}.postData.text"
    if not isinstance(text, str):
        return None, path, "the capture kept no request body"
    if post_data.get("encoding") == "base64":
        decoded = _decoded_base64(text)
        if decoded is None:
            return None, path, ("marked base64 but does not decode to text (damaged, binary, "
                                f"or over {MAX_TEXT_BYTES >> 20} MiB once unpacked)")
        text = decoded
    # The document is exempt from the per-record text limit (many calls in one record),
    # so each body meets it here, before it is decoded.
    too_large = too_much_text(text.encode("utf-8", "replace")) if (
        len(text) > MAX_TEXT_BYTES // 4) else None
    if too_large is not None:
        return None, path, too_large
    body = json_text(text)
    if isinstance(body, Mapping):
        return body, path, ""
    size = request.get("bodySize")
    if isinstance(size, int) and size > len(text.encode("utf-8", "replace")):
        return None, path, (f"cut short: the capture holds {len(text):,} characters of a "
                            f"{size:,}-byte body")
    return None, path, "not a JSON object"


def _joined_params(params: list[Any]) -> str | None:
    """The body a writer split into form parameters, put back together (a JSON body read as
    a form becomes one parameter named after the whole text)."""
    pieces = []
    for param in params:
        if not isinstance(param, Mapping) or not isinstance(param.get("name"), str):
            return None
        value = param.get("value")
        pieces.append(param["name"] + (f"={value}" if isinstance(value, str) and value else ""))
    return "&".join(pieces)


def _content_text(content: Any) -> str | None:
    """A response's text, decoded from base64 and gunzipped when the capture kept it so."""
    if not isinstance(content, Mapping) or not isinstance(content.get("text"), str):
        return None
    text: str = content["text"]
    if content.get("encoding") != "base64":
        return text
    return _decoded_base64(text)


def _decoded_base64(text: str) -> str | None:
    """Base64 text decoded, gunzipped when it holds gzip, as UTF-8; None when any step fails."""
    try:
        raw = base64.b64decode(text, validate=False)
    except (binascii.Error, ValueError):
        return None
    unpacked = _gunzipped(raw) if raw[:2] == b"\x1f\x8b" else raw
    if unpacked is None:
        return None
    try:
        return unpacked.decode("utf-8")
    except UnicodeDecodeError:  # still compressed (brotli), or binary
        return None


def _gunzipped(raw: bytes) -> bytes | None:
    """``raw`` unpacked, or None when damaged or when it unpacks to more text than a record
    may hold (a few kilobytes of gzip can unpack to gigabytes)."""
    unpacker = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        unpacked = unpacker.decompress(raw, MAX_TEXT_BYTES + 1)
    except zlib.error:
        return None
    if len(unpacked) > MAX_TEXT_BYTES or not unpacker.eof:
        return None
    return unpacked
