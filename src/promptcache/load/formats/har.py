"""HAR 1.2 captures: browser devtools ("Save all as HAR"), mitmproxy's ``savehar``,
Charles, Fiddler and recording proxies.

A HAR file is one JSON document, ``{"log": {"version", "creator", "entries": [...]}}``,
which the reader yields as one record; each entry is one HTTP exchange: ``request``
(``method``, ``url``, ``headers``, ``postData``), ``response`` (``status``, ``headers``,
``content``) and ``startedDateTime``. This format explodes the document into one call per
provider POST, in the order of the entries (the order the requests were sent).

What is read:

- **Which entries are calls**: POSTs whose URL path ends like a provider endpoint
  (``/chat/completions``, ``/responses``, ``/v1/messages``; Azure's
  ``/openai/deployments/NAME/chat/completions``), whatever the host, since captures go
  through proxies and mocks. Every other entry (page loads, GETs, embeddings, a provider's
  refusal with status 400 or more, which it did not process) is no call and is skipped
  without a word: a HAR records a whole session, not a log of prompts.
- **The body**: ``postData.text``, exactly the bytes sent; ``"encoding": "base64"`` (some
  writers' extension for bodies that are not text) is decoded and a gzip body unpacked;
  when a writer split the body into ``postData.params``, the parameters are joined back.
  A provider POST whose body is absent, cut short (``bodySize`` larger than the text) or
  not a JSON object is one :class:`LoadError` at its JSON path; the other entries are read.
- **The usage**: from ``response.content.text`` (decoded from base64 and gunzipped when
  needed); a streamed response's events are merged (OpenAI's last chunk, sent when the
  request set ``stream_options.include_usage``; Responses' ``response.completed``;
  Anthropic's ``message_start`` and ``message_delta``). A response still compressed with
  brotli, or missing, gives no usage; the call is still read.
- **The time**: ``startedDateTime``.

Headers are never read: they hold the API keys (``authorization``, ``x-api-key``).

References: the HAR 1.2 specification (http://www.softwareishard.com/blog/har-12-spec/);
mitmproxy's writer, repo mitmproxy/mitmproxy@mitmproxy/addons/savehar.py (``postData``
``text``, base64 ``encoding`` for response bodies that are not text).
"""

from __future__ import annotations

import base64
import binascii
import zlib
from collections.abc import Iterator, Mapping
from typing import Any

from promptcache.load.formats._endpoints import api_of_url
from promptcache.load.formats._reading import calls_of_own_records
from promptcache.load.formats._responses import REFUSED, refused, response_facts, served_model
from promptcache.load.formats._times import epoch_seconds
from promptcache.load.formats.base import (
    RECOGNIZED,
    InputFormat,
    LoggedCall,
    Recognition,
    Skipped,
    not_recognized,
)
from promptcache.load.formats.embedded import json_text
from promptcache.load.limits import MAX_TEXT_BYTES
from promptcache.load.sources import LoadError, RawRecord


class HarFormat(InputFormat):
    """HAR 1.2: one call per provider POST of the capture."""

    name = "har"
    title = "HAR 1.2 capture (browser devtools, mitmproxy, Charles, proxies)"
    carries = ("exact request bodies and responses of every provider POST; no session "
               "or end user beyond the body's own fields")

    def recognize(self, value: Any) -> Recognition:
        log = value.get("log") if isinstance(value, Mapping) else None
        if not isinstance(log, Mapping) or not isinstance(log.get("entries"), list):
            return not_recognized("no 'log.entries' list (a HAR 1.2 document)")
        return RECOGNIZED

    def calls(self, records: Iterator[RawRecord | LoadError],
              ) -> Iterator[LoggedCall | LoadError | Skipped]:
        return calls_of_own_records(self, "a HAR capture", records, _document_calls)


def _document_calls(record: RawRecord) -> Iterator[LoggedCall | LoadError | Skipped]:
    for index, entry in enumerate(record.value["log"]["entries"]):
        found = _entry_call(record, index, entry)
        if found is not None:
            yield found


def _entry_call(record: RawRecord, index: int,
                entry: Any) -> LoggedCall | LoadError | Skipped | None:
    path = f"$.log.entries[{index}]"
    if not isinstance(entry, Mapping):
        return LoadError(record.location, f"{path}: an entry must be an object")
    request = entry.get("request")
    if not isinstance(request, Mapping):
        return LoadError(record.location, f"{path}.request: missing, or not an object")
    url, method = request.get("url"), request.get("method")
    api = api_of_url(url) if isinstance(url, str) else None
    if api is None or not isinstance(method, str) or method.upper() != "POST":
        return None
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
