"""Log an app's OpenAI and Anthropic calls in the JSONL promptcache reads best.

For apps that log nothing yet: give the provider SDK an httpx client whose event hooks
append one line per call to a file::

    import httpx
    from openai import OpenAI
    from promptcache.capture import capture_hooks

    client = OpenAI(http_client=httpx.Client(event_hooks=capture_hooks("calls.jsonl")))

then ``promptcache audit calls.jsonl``. Each line is the request/response pair envelope
(``schemas/envelope.schema.json``)::

    {"request": <the JSON body the provider received>,
     "response": {"model": <model that answered>, "usage": <the provider's usage block>},
     "timestamp": <ISO 8601 time the request was sent>,
     "meta": {"provider": "openai" | "anthropic", "endpoint": "/v1/chat/completions", ...}}

What it logs: POSTs to ``.../chat/completions``, ``.../responses`` and ``.../messages``
that the provider answered with a 2xx status (a retried attempt is logged once, when it
succeeds). ``usage`` is the provider's own block, in its own meaning (Anthropic's
``input_tokens`` leaves out cache reads and writes). A streamed response is passed to the
SDK chunk by chunk as it arrives; its usage is read from the stream's events as they pass
(the final chunk for Chat Completions, which sends usage only with ``stream_options:
{"include_usage": true}``; ``response.completed`` for Responses; ``message_start`` and
``message_delta`` for Anthropic) and the line is written when the stream ends or is closed.

A line is appended when its call ends: calls made at once (threads, ``asyncio.gather``)
may be written out of the order they were sent, each stamped with the time it was sent,
which is the order promptcache replays them in.

A provider call's ``Accept-Encoding`` is narrowed to gzip and deflate, the compressions
whose bytes the hooks can read the usage from (httpx also asks for brotli and zstd when
their packages are installed).

What it never logs: headers (API keys, organization ids), and the response's content.
Lines are appended under a lock, one ``write`` each, so threads sharing a client (or
several clients sharing a file) never interleave lines. The async client takes
:func:`async_capture_hooks`.

httpx is an optional dependency (``pip install 'promptcache[capture]'``): it is imported by
this module only, never by ``import promptcache`` or the command line.
"""

from __future__ import annotations

import logging
import threading
import time
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from datetime import UTC, datetime
from functools import cache
from importlib import import_module
from pathlib import Path
from typing import Any, TypeVar
from weakref import WeakKeyDictionary

import orjson

__all__ = ["CaptureLog", "async_capture_hooks", "capture", "capture_hooks"]

Meta = Mapping[str, Any] | Callable[[], Mapping[str, Any]] | None
"""What to add to each line's ``meta``: fixed values (``{"app": "support-bot"}``), or a
function called once per call, when it is sent (reading the current session from a
context variable, say). Its keys win over the ones capture writes."""

_LOG = logging.getLogger(__name__)

_ENDPOINTS = {"/chat/completions": "openai", "/responses": "openai", "/messages": "anthropic"}
"""The calls worth auditing, by the end of their URL path, and whose API they are."""


class CaptureLog:
    """A JSONL file that provider calls are appended to, and the httpx event hooks that do
    it. One instance may serve any number of clients and threads."""

    def __init__(self, path: str | Path, meta: Meta = None) -> None:
        self.path = Path(path)
        self._meta = meta
        self._lock = threading.Lock()
        """Guards the appends and the requests in flight: hooks run on every thread (and
        every event loop) that uses the clients."""
        # Requests and responses are httpx's or httpx2's, whichever the client is: both
        # have the same API, read here by duck typing (hence Any).
        self._sent: WeakKeyDictionary[Any, _Sent] = WeakKeyDictionary()

    def hooks(self) -> dict[str, list[Callable[[Any], None]]]:
        """``event_hooks`` for ``httpx.Client`` or ``httpx2.Client``."""
        return {"request": [self._on_request], "response": [self._on_response]}

    def async_hooks(self) -> dict[str, list[Callable[[Any], Awaitable[None]]]]:
        """``event_hooks`` for ``httpx.AsyncClient`` or ``httpx2.AsyncClient``."""

        async def on_request(request: Any) -> None:
            self._on_request(request)

        async def on_response(response: Any) -> None:
            self._on_response(response)

        return {"request": [on_request], "response": [on_response]}

    def _on_request(self, request: Any) -> None:
        provider = _provider(request)
        if provider is None:
            return
        try:
            body = orjson.loads(request.content)
        except Exception:  # RequestNotRead (a streamed upload), not JSON: not a call to log
            return
        if not isinstance(body, dict):
            return
        accepted = request.headers.get("accept-encoding")
        if accepted:
            # The usage is read from the raw bytes, which only gzip and deflate can be
            # unpacked from here: httpx also asks for brotli and zstd when their packages
            # are installed, and a CDN answering so would leave the call without usage.
            request.headers["accept-encoding"] = _readable_only(accepted)
        try:
            meta = dict((self._meta() if callable(self._meta) else self._meta) or {})
        except Exception as error:  # the app's own function: its failure must not stop the call
            _LOG.warning("promptcache.capture: the meta function failed: %r", error)
            meta = {}
        with self._lock:
            self._sent[request] = _Sent(body, time.time(), provider, meta)

    def _on_response(self, response: Any) -> None:
        with self._lock:
            sent = self._sent.pop(response.request, None)
        if sent is None or not response.is_success:
            return
        streamed = "text/event-stream" in response.headers.get("content-type", "")

        def write(observer: _UsageObserver) -> None:
            self._write(sent, response.request.url.path, response.status_code, observer)

        if response.is_stream_consumed:
            # Already read (a transport that answers from memory, a test's MockTransport):
            # its decoded content is all there is to see.
            observer = _UsageObserver(streamed=streamed, encoding="identity")
            observer.feed(response.content)
            write(observer)
            return
        observer = _UsageObserver(
            streamed=streamed,
            encoding=response.headers.get("content-encoding", "").strip().lower())
        response.stream = _observed_stream_type(type(response).__module__)(
            response.stream, observer, lambda: write(observer))

    def _write(self, sent: _Sent, endpoint: str, status: int, observer: _UsageObserver) -> None:
        model, usage = observer.result()
        line = {
            "request": sent.body,
            "response": {"model": model, "usage": usage},
            "timestamp": datetime.fromtimestamp(sent.at, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "meta": {"provider": sent.provider, "endpoint": endpoint, "status": status,
                     "streamed": observer.streamed, **sent.meta},
        }
        try:
            # default=str: meta values the app gave (a UUID, a datetime) are written as text.
            data = orjson.dumps(line, default=str, option=orjson.OPT_NON_STR_KEYS) + b"\n"
            with self._lock, self.path.open("ab") as out:
                out.write(data)
        except (OSError, orjson.JSONEncodeError) as error:
            # Logging must never break the app's call: the SDK has its answer already.
            _LOG.warning("promptcache.capture: cannot append to %s: %s", self.path, error)


def capture_hooks(path: str | Path, meta: Meta = None) -> dict[str, list[Callable[[Any], None]]]:
    """Event hooks for ``httpx.Client(event_hooks=...)`` that append each provider call to
    ``path`` (see the module docs)."""
    return CaptureLog(path, meta).hooks()


def async_capture_hooks(path: str | Path,
                        meta: Meta = None) -> dict[str, list[Callable[[Any], Awaitable[None]]]]:
    """The same for ``httpx.AsyncClient(event_hooks=...)``."""
    return CaptureLog(path, meta).async_hooks()


class _Sent:
    """What the request hook keeps until the response comes."""

    __slots__ = ("at", "body", "meta", "provider")

    def __init__(self, body: dict[str, Any], at: float, provider: str,
                 meta: dict[str, Any]) -> None:
        self.body, self.at, self.provider, self.meta = body, at, provider, meta


Client = TypeVar("Client")


def capture(client: Client, path: str | Path, meta: Meta = None) -> Client:
    """``client`` (an ``httpx`` or ``httpx2`` ``Client`` or ``AsyncClient``) with the
    capture hooks added to the event hooks it has: ``OpenAI(http_client=capture(
    httpx.Client(), "calls.jsonl"))``."""
    log = CaptureLog(path, meta)
    added: Mapping[str, list[Any]] = log.async_hooks() if hasattr(client, "aclose") else log.hooks()
    target: Any = client  # either library's client: the same event_hooks property
    target.event_hooks = {event: [*target.event_hooks.get(event, []), *added[event]]
                          for event in ("request", "response")}
    return client


def _provider(request: Any) -> str | None:
    if request.method != "POST":
        return None
    path = request.url.path.rstrip("/")
    if "/threads/" in path:  # OpenAI Assistants' thread messages: not a model call
        return None
    return next((api for end, api in _ENDPOINTS.items() if path.endswith(end)), None)


_READABLE_ENCODINGS = frozenset({"gzip", "deflate", "identity"})


def _readable_only(accepted: str) -> str:
    """An ``Accept-Encoding`` value reduced to the encodings :class:`_UsageObserver` reads."""
    kept = [part.strip() for part in accepted.split(",")
            if part.partition(";")[0].strip().lower() in _READABLE_ENCODINGS]
    return ", ".join(kept) or "identity"


class _UsageObserver:
    """Reads the model and usage out of a response's bytes as they pass, holding no more
    than one undecoded line of a stream (or the body of a response that is not one)."""

    def __init__(self, *, streamed: bool, encoding: str) -> None:
        self.streamed = streamed
        # The raw stream is still compressed when the provider compressed it; httpx
        # decompresses only what it hands the SDK. gzip and deflate are what it asks for.
        self._inflate = (zlib.decompressobj(zlib.MAX_WBITS | 32)
                         if encoding in ("gzip", "deflate") else None)
        self._readable = encoding in ("", "identity", "gzip", "deflate")
        self._pending = bytearray()
        self._model: Any = None
        self._usage: dict[str, Any] | None = None

    def feed(self, chunk: bytes) -> None:
        if not self._readable:
            return
        try:
            self._pending += self._inflate.decompress(chunk) if self._inflate else chunk
        except zlib.error:
            # The SDK meets the same damage and reports it; the call is logged without usage.
            self._readable = False
            self._pending.clear()
            return
        if self.streamed:
            *lines, rest = self._pending.split(b"\n")
            self._pending = bytearray(rest)
            for line in lines:
                self._event(line)

    def result(self) -> tuple[Any, dict[str, Any] | None]:
        """The model and usage seen; the body of a response that is not a stream is read
        here, once it has all passed."""
        if self._readable and self._pending:
            if self.streamed:
                self._event(bytes(self._pending))
            else:
                self._whole(bytes(self._pending))
            self._pending.clear()
        return self._model, self._usage

    def _whole(self, body: bytes) -> None:
        try:
            value = orjson.loads(body)
        except orjson.JSONDecodeError:
            return
        if isinstance(value, dict):
            self._model = value.get("model")
            self._usage = _mapping(value.get("usage"))

    def _event(self, line: bytes | bytearray) -> None:
        line = line.strip()
        if not line.startswith(b"data:"):
            return
        try:
            event = orjson.loads(line[5:])
        except orjson.JSONDecodeError:
            return  # "[DONE]", or a line the SDK will complain about itself
        if not isinstance(event, dict):
            return
        kind = event.get("type")
        if kind == "message_start":  # Anthropic: the prompt's usage comes first...
            message = _mapping(event.get("message")) or {}
            self._model = message.get("model", self._model)
            self._usage = _mapping(message.get("usage"))
        elif kind == "message_delta":  # ...and message_delta adds to it (output tokens)
            delta = _mapping(event.get("usage")) or {}
            self._usage = {**(self._usage or {}),
                           **{key: value for key, value in delta.items() if value is not None}}
        elif isinstance(event.get("response"), dict):  # Responses: response.created...completed
            self._model = event["response"].get("model", self._model)
            self._usage = _mapping(event["response"].get("usage")) or self._usage
        else:  # a Chat Completions chunk; usage only on the last, with include_usage
            self._model = event.get("model", self._model)
            self._usage = _mapping(event.get("usage")) or self._usage


def _mapping(value: Any) -> dict[str, Any] | None:
    return value if isinstance(value, dict) else None


class _ObservedStream:
    """A response's byte stream, passed on unchanged, each chunk shown to an observer; the
    call is written once, when the stream ends or is closed, whichever comes first. The
    client's library checks that a response's stream is its own ``SyncByteStream`` or
    ``AsyncByteStream``: :func:`_observed_stream_type` makes it one."""

    def __init__(self, inner: Any, observer: _UsageObserver, done: Callable[[], None]) -> None:
        self._inner = inner
        self._observer = observer
        self._done: Callable[[], None] | None = done

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self._inner:
            self._observer.feed(chunk)
            yield chunk
        self._finish()

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self._inner:
            self._observer.feed(chunk)
            yield chunk
        self._finish()

    def close(self) -> None:
        try:
            self._inner.close()
        finally:
            self._finish()

    async def aclose(self) -> None:
        try:
            await self._inner.aclose()
        finally:
            self._finish()

    def _finish(self) -> None:
        done, self._done = self._done, None
        if done is not None:
            done()


@cache
def _observed_stream_type(response_module: str) -> type[_ObservedStream]:
    """:class:`_ObservedStream` made a byte stream of the library a response comes from
    (``httpx`` or ``httpx2``), imported only now that a client of it is in use."""
    library = import_module(response_module.partition(".")[0])
    return type("ObservedStream",
                (_ObservedStream, library.SyncByteStream, library.AsyncByteStream), {})
