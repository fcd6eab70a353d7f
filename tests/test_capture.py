"""The capture helper: the real OpenAI and Anthropic SDK clients, over httpx.MockTransport (no
network), write the JSONL that `promptcache audit` then reads."""

from __future__ import annotations

import asyncio
import gzip
import json
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import anthropic
import httpx
import httpx2
import openai
import pytest

from promptcache.capture import async_capture_hooks, capture, capture_hooks
from promptcache.cli.main import main
from promptcache.load.calls import read_calls
from promptcache.load.formats.base import LoggedCall
from tests.input_formats.helpers import (
    GENERATED_HAR,
    audited_requests,
    bodies_as_sent,
    body_count,
    generated_truth,
    generated_usage,
)

KEY = "sk-test-000"
SYSTEM = "You are Wren, the booking assistant of Harbour Lights, a seaside hotel. " * 40
Handler = Callable[[Any], Any]


class _Chunks(httpx.SyncByteStream, httpx.AsyncByteStream, httpx2.SyncByteStream,
              httpx2.AsyncByteStream):
    """A response body that arrives in small pieces, splitting lines and events as a network
    does (for either client library)."""

    def __init__(self, data: bytes, size: int = 7) -> None:
        self._pieces = [data[start:start + size] for start in range(0, len(data), size)]

    def __iter__(self) -> Iterator[bytes]:
        yield from self._pieces

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for piece in self._pieces:
            yield piece


def _sse(*events: dict[str, Any], done: bool = False) -> bytes:
    lines = [f"event: {event['type']}\ndata: {json.dumps(event)}\n\n" if "type" in event
             else f"data: {json.dumps(event)}\n\n" for event in events]
    return ("".join(lines) + ("data: [DONE]\n\n" if done else "")).encode()


def _streamed(data: bytes, library: Any = httpx) -> Any:
    return library.Response(200, headers={"content-type": "text/event-stream"},
                            stream=_Chunks(data))


def _completion(prompt_tokens: int, cached: int, text: str = "Certainly.") -> dict[str, Any]:
    return {"id": "chatcmpl-1", "object": "chat.completion", "created": 1767225600,
            "model": "gpt-4o-2024-08-06",
            "choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": text}}],
            "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": 3,
                      "total_tokens": prompt_tokens + 3,
                      "prompt_tokens_details": {"cached_tokens": cached}}}


def _message(usage: dict[str, int]) -> dict[str, Any]:
    return {"id": "msg_1", "type": "message", "role": "assistant",
            "model": "claude-sonnet-4-5-20250929",
            "content": [{"type": "text", "text": "Of course."}], "stop_reason": "end_turn",
            "stop_sequence": None, "usage": usage}


def _openai(handler: Handler, log: Path, **hooks: Any) -> openai.OpenAI:
    return openai.OpenAI(api_key=KEY, base_url="http://127.0.0.1:9/v1", max_retries=0,
                         http_client=httpx.Client(transport=httpx.MockTransport(handler),
                                                  event_hooks=capture_hooks(log, **hooks)))


def _anthropic(handler: Callable[[Any], Any], log: Path) -> anthropic.Anthropic:
    # The Anthropic SDK takes httpx2 clients only (it rejects an httpx one).
    return anthropic.Anthropic(api_key=KEY, base_url="http://127.0.0.1:9", max_retries=0,
                               http_client=httpx2.Client(transport=httpx2.MockTransport(handler),
                                                         event_hooks=capture_hooks(log)))


def _recording(respond: Callable[[dict[str, Any]], Any],
               sent: list[dict[str, Any]]) -> Callable[[Any], Any]:
    def handler(request: Any) -> Any:
        sent.append(json.loads(request.content))
        return respond(sent[-1])
    return handler


def _lines(log: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in log.read_bytes().splitlines()]


def _turns(user_texts: list[str]) -> list[list[dict[str, str]]]:
    """The messages of each turn of one conversation (each resends the history)."""
    history: list[dict[str, str]] = [{"role": "system", "content": SYSTEM}]
    turns = []
    for text in user_texts:
        history = [*history, {"role": "user", "content": text}]
        turns.append(history)
        history = [*history, {"role": "assistant", "content": "Certainly."}]
    return turns


def test_each_openai_chat_call_is_one_line_with_the_body_sent_and_the_usage_returned(
        tmp_path: Path) -> None:
    log, sent = tmp_path / "calls.jsonl", []
    client = _openai(_recording(lambda _: httpx.Response(200, json=_completion(812, 768)),
                                sent), log)

    before = time.time()
    client.chat.completions.create(model="gpt-4o", messages=_turns(["Is breakfast included?"])[0],
                                   temperature=0.2, user="guest-17")
    after = time.time()

    [line] = _lines(log)
    assert line["request"] == sent[0]
    assert line["request"]["user"] == "guest-17"
    assert line["response"] == {"model": "gpt-4o-2024-08-06", "usage": {
        "prompt_tokens": 812, "completion_tokens": 3, "total_tokens": 815,
        "prompt_tokens_details": {"cached_tokens": 768}}}
    assert line["meta"] == {"provider": "openai", "endpoint": "/v1/chat/completions",
                            "status": 200, "streamed": False}
    sent_at = datetime.strptime(line["timestamp"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
    assert before <= sent_at.timestamp() <= after


def test_an_httpx2_client_logs_like_an_httpx_one(tmp_path: Path) -> None:
    log = tmp_path / "calls.jsonl"
    http = httpx2.Client(transport=httpx2.MockTransport(
        lambda _: httpx2.Response(200, json=_completion(40, 0))), event_hooks=capture_hooks(log))
    openai.OpenAI(api_key=KEY, base_url="http://127.0.0.1:9/v1", max_retries=0,
                  http_client=http).chat.completions.create(
        model="gpt-4o", messages=[{"role": "user", "content": "Towels?"}])

    assert [line["response"]["usage"]["prompt_tokens"] for line in _lines(log)] == [40]


def test_the_capture_wrapper_keeps_the_hooks_a_client_already_has(tmp_path: Path) -> None:
    log, seen = tmp_path / "calls.jsonl", []
    http = capture(httpx.Client(transport=httpx.MockTransport(
        lambda _: httpx.Response(200, json=_completion(40, 0))),
        event_hooks={"request": [lambda request: seen.append(request.url.path)]}), log,
        meta={"app": "front-desk"})
    openai.OpenAI(api_key=KEY, base_url="http://127.0.0.1:9/v1", max_retries=0,
                  http_client=http).chat.completions.create(
        model="gpt-4o", messages=[{"role": "user", "content": "Towels?"}])

    assert seen == ["/v1/chat/completions"]
    assert [line["meta"]["app"] for line in _lines(log)] == ["front-desk"]


def test_a_streamed_chat_call_is_logged_with_its_last_chunks_usage_and_the_sdk_gets_every_chunk(
        tmp_path: Path) -> None:
    log = tmp_path / "calls.jsonl"
    chunk = {"id": "chatcmpl-2", "object": "chat.completion.chunk", "created": 1767225600,
             "model": "gpt-4o-2024-08-06"}
    body = _sse({**chunk, "choices": [{"index": 0, "delta": {"content": "Yes, "}}]},
                {**chunk, "choices": [{"index": 0, "delta": {"content": "from 7 am."}}]},
                {**chunk, "choices": [], "usage": {"prompt_tokens": 900, "completion_tokens": 6,
                                                   "total_tokens": 906,
                                                   "prompt_tokens_details": {
                                                       "cached_tokens": 896}}},
                done=True)
    client = _openai(lambda _: _streamed(body), log)

    stream = client.chat.completions.create(
        model="gpt-4o", messages=[{"role": "user", "content": "Breakfast?"}], stream=True,
        stream_options={"include_usage": True})
    parts = iter(stream)
    first = next(parts).choices[0].delta.content
    assert not log.exists()  # the SDK has its first chunk before the stream has ended
    text = first + "".join(part.choices[0].delta.content or "" for part in parts if part.choices)

    assert text == "Yes, from 7 am."
    [line] = _lines(log)
    assert line["response"]["usage"]["prompt_tokens"] == 900
    assert line["response"]["usage"]["prompt_tokens_details"] == {"cached_tokens": 896}
    assert (line["meta"]["streamed"], line["request"]["stream"]) == (True, True)


def test_a_stream_the_app_stops_reading_is_logged_when_closed_without_usage(
        tmp_path: Path) -> None:
    log = tmp_path / "calls.jsonl"
    chunk = {"id": "chatcmpl-3", "object": "chat.completion.chunk", "created": 1767225600,
             "model": "gpt-4o-2024-08-06", "choices": [{"index": 0, "delta": {"content": "a"}}]}
    client = _openai(lambda _: _streamed(_sse(*[chunk] * 50, done=True)), log)

    stream = client.chat.completions.create(
        model="gpt-4o", messages=[{"role": "user", "content": "Spell the alphabet"}],
        stream=True)
    next(iter(stream))
    stream.close()

    [line] = _lines(log)
    assert line["response"] == {"model": "gpt-4o-2024-08-06", "usage": None}


def test_a_streamed_responses_call_is_logged_with_the_usage_of_response_completed(
        tmp_path: Path) -> None:
    log = tmp_path / "calls.jsonl"
    response = {"id": "resp_1", "object": "response", "created_at": 1767225600,
                "status": "in_progress", "model": "gpt-4.1-2025-04-14", "output": [],
                "usage": None}
    usage = {"input_tokens": 1290, "input_tokens_details": {"cached_tokens": 1152},
             "output_tokens": 5, "output_tokens_details": {"reasoning_tokens": 0},
             "total_tokens": 1295}
    body = _sse({"type": "response.created", "sequence_number": 0, "response": response},
                {"type": "response.completed", "sequence_number": 1,
                 "response": {**response, "status": "completed", "usage": usage}})
    client = _openai(lambda _: _streamed(body), log)

    for _ in client.responses.create(model="gpt-4.1", input="Late checkout?", stream=True):
        pass

    [line] = _lines(log)
    assert line["request"] == {"model": "gpt-4.1", "input": "Late checkout?", "stream": True}
    assert line["response"] == {"model": "gpt-4.1-2025-04-14", "usage": usage}
    assert line["meta"]["endpoint"] == "/v1/responses"


def test_an_anthropic_call_is_logged_with_its_own_usage(tmp_path: Path) -> None:
    log, sent = tmp_path / "calls.jsonl", []
    usage = {"input_tokens": 14, "cache_creation_input_tokens": 0,
             "cache_read_input_tokens": 1208, "output_tokens": 4}
    client = _anthropic(_recording(lambda _: httpx2.Response(200, json=_message(usage)), sent),
                        log)

    client.messages.create(
        model="claude-sonnet-4-5", max_tokens=300,
        system=[{"type": "text", "text": SYSTEM, "cache_control": {"type": "ephemeral"}}],
        messages=[{"role": "user", "content": "Is parking free?"}])

    [line] = _lines(log)
    assert line["request"] == sent[0]
    assert line["request"]["system"][0]["cache_control"] == {"type": "ephemeral"}
    assert line["response"] == {"model": "claude-sonnet-4-5-20250929", "usage": usage}
    assert line["meta"] == {"provider": "anthropic", "endpoint": "/v1/messages",
                            "status": 200, "streamed": False}


def test_a_streamed_anthropic_call_adds_message_delta_usage_to_message_start_usage(
        tmp_path: Path) -> None:
    log = tmp_path / "calls.jsonl"
    start = _message({"input_tokens": 14, "cache_creation_input_tokens": 1208,
                      "cache_read_input_tokens": 0, "output_tokens": 1})
    body = _sse({"type": "message_start", "message": {**start, "content": []}},
                {"type": "content_block_start", "index": 0,
                 "content_block": {"type": "text", "text": ""}},
                {"type": "content_block_delta", "index": 0,
                 "delta": {"type": "text_delta", "text": "Yes, it is free."}},
                {"type": "content_block_stop", "index": 0},
                {"type": "message_delta", "delta": {"stop_reason": "end_turn",
                                                    "stop_sequence": None},
                 "usage": {"output_tokens": 9, "input_tokens": None}},
                {"type": "message_stop"})
    client = _anthropic(lambda _: _streamed(body, httpx2), log)

    with client.messages.stream(model="claude-sonnet-4-5", max_tokens=300,
                                messages=[{"role": "user", "content": "Parking?"}]) as stream:
        text = stream.get_final_text()

    assert text == "Yes, it is free."
    [line] = _lines(log)
    assert line["response"] == {"model": "claude-sonnet-4-5-20250929", "usage": {
        "input_tokens": 14, "cache_creation_input_tokens": 1208, "cache_read_input_tokens": 0,
        "output_tokens": 9}}


def test_async_clients_log_each_call_like_sync_ones(tmp_path: Path) -> None:
    log = tmp_path / "calls.jsonl"
    usage = {"input_tokens": 20, "cache_creation_input_tokens": 0,
             "cache_read_input_tokens": 0, "output_tokens": 4}

    def http(library: Any) -> Any:
        def respond(request: Any) -> Any:
            if request.url.path.endswith("/messages"):
                return library.Response(200, json=_message(usage))
            return library.Response(200, json=_completion(31, 0))
        return library.AsyncClient(transport=library.MockTransport(respond),
                                   event_hooks=async_capture_hooks(log))

    async def run() -> None:
        await openai.AsyncOpenAI(api_key=KEY, base_url="http://127.0.0.1:9/v1", max_retries=0,
                                 http_client=http(httpx)).chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": "Pool hours?"}])
        await anthropic.AsyncAnthropic(api_key=KEY, base_url="http://127.0.0.1:9",
                                       max_retries=0, http_client=http(httpx2)).messages.create(
            model="claude-haiku-4-5", max_tokens=50,
            messages=[{"role": "user", "content": "Spa hours?"}])

    asyncio.run(run())

    assert [(line["meta"]["provider"], line["request"]["messages"][0]["content"],
             line["response"]["usage"]) for line in _lines(log)] == [
        ("openai", "Pool hours?", _completion(31, 0)["usage"]),
        ("anthropic", "Spa hours?", usage)]


def test_an_async_streamed_call_is_logged_with_the_usage_of_its_last_chunk(
        tmp_path: Path) -> None:
    log = tmp_path / "calls.jsonl"
    chunk = {"id": "chatcmpl-4", "object": "chat.completion.chunk", "created": 1767225600,
             "model": "gpt-4o-mini-2024-07-18"}
    body = _sse({**chunk, "choices": [{"index": 0, "delta": {"content": "Until 10 pm."}}]},
                {**chunk, "choices": [], "usage": {"prompt_tokens": 44, "completion_tokens": 5,
                                                   "total_tokens": 49}}, done=True)
    http = httpx.AsyncClient(transport=httpx.MockTransport(lambda _: _streamed(body)),
                             event_hooks=async_capture_hooks(log))
    client = openai.AsyncOpenAI(api_key=KEY, base_url="http://127.0.0.1:9/v1", max_retries=0,
                                http_client=http)

    async def run() -> str:
        stream = await client.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": "Bar hours?"}],
            stream=True, stream_options={"include_usage": True})
        return "".join([part.choices[0].delta.content or "" async for part in stream
                        if part.choices])

    assert asyncio.run(run()) == "Until 10 pm."
    [line] = _lines(log)
    assert line["response"] == {"model": "gpt-4o-mini-2024-07-18", "usage": {
        "prompt_tokens": 44, "completion_tokens": 5, "total_tokens": 49}}
    assert line["meta"]["streamed"] is True


def test_headers_and_api_keys_are_never_written(tmp_path: Path) -> None:
    log = tmp_path / "calls.jsonl"
    _openai(lambda _: httpx.Response(200, json=_completion(10, 0)), log).chat.completions.create(
        model="gpt-4o", messages=[{"role": "user", "content": "Hello"}])
    _anthropic(lambda _: httpx2.Response(200, json=_message({"input_tokens": 8})),
               log).messages.create(model="claude-haiku-4-5", max_tokens=5,
                                    messages=[{"role": "user", "content": "Hello"}])

    written = log.read_text("utf-8").lower()
    assert len(_lines(log)) == 2
    for secret in (KEY, "authorization", "bearer", "x-api-key", "x-stainless",
                   "anthropic-version"):
        assert secret not in written


def test_threads_sharing_one_client_append_whole_lines(tmp_path: Path) -> None:
    log = tmp_path / "calls.jsonl"
    client = _openai(lambda _: httpx.Response(200, json=_completion(50, 0, "x" * 5000)), log)

    def ask(thread: int) -> None:
        for call in range(25):
            client.chat.completions.create(model="gpt-4o", messages=[
                {"role": "user", "content": f"thread {thread} call {call} " + "y" * 3000}])

    threads = [threading.Thread(target=ask, args=(number,)) for number in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    asked = {line["request"]["messages"][0]["content"].rsplit(" ", 1)[0] for line in _lines(log)}
    assert len(_lines(log)) == 200
    assert asked == {f"thread {thread} call {call}" for thread in range(8) for call in range(25)}


def test_failed_calls_and_other_endpoints_are_not_logged(tmp_path: Path) -> None:
    log = tmp_path / "calls.jsonl"

    def respond(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith(("/models", "/messages")):
            return httpx.Response(200, json={"object": "list", "data": []})
        if request.url.path.endswith("/embeddings"):
            return httpx.Response(200, json={
                "object": "list", "model": "e", "usage": {"prompt_tokens": 2, "total_tokens": 2},
                "data": [{"object": "embedding", "index": 0, "embedding": [0.5]}]})
        return httpx.Response(429, json={"error": {"message": "slow down",
                                                   "type": "rate_limit_exceeded"}})

    client = _openai(respond, log)
    client.models.list()
    client.post("/threads/thread_1/messages", body={"role": "user", "content": "Hi"},
                cast_to=object)
    client.embeddings.create(model="text-embedding-3-small", input="towels")
    with pytest.raises(openai.RateLimitError):
        client.chat.completions.create(model="gpt-4o",
                                       messages=[{"role": "user", "content": "Hi"}])

    assert not log.exists()


def test_a_gzip_compressed_answer_is_read_and_the_sdk_still_gets_it(tmp_path: Path) -> None:
    log = tmp_path / "calls.jsonl"
    packed = gzip.compress(json.dumps(_completion(77, 64, "Checkout is at 11.")).encode())
    client = _openai(lambda _: httpx.Response(
        200, headers={"content-type": "application/json", "content-encoding": "gzip"},
        stream=_Chunks(packed, size=5)), log)

    answer = client.chat.completions.create(model="gpt-4o",
                                            messages=[{"role": "user", "content": "Checkout?"}])

    assert answer.choices[0].message.content == "Checkout is at 11."
    assert _lines(log)[0]["response"]["usage"]["prompt_tokens"] == 77


def test_a_client_that_asks_for_brotli_is_answered_in_gzip_and_its_usage_is_logged(
        tmp_path: Path) -> None:
    # httpx asks for br (and zstd) when their packages are installed; the hooks could not
    # read a brotli answer's usage, so they ask for what they read, and only for calls.
    log = tmp_path / "calls.jsonl"
    asked: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        asked.append(request.headers["accept-encoding"])
        if request.url.path.endswith("/models"):
            return httpx.Response(200, json={"object": "list", "data": []})
        packed = gzip.compress(json.dumps(_completion(91, 0)).encode())
        return httpx.Response(200, content=packed, headers={
            "content-type": "application/json", "content-encoding": "gzip"})

    client = openai.OpenAI(api_key=KEY, base_url="http://127.0.0.1:9/v1", max_retries=0,
                           http_client=httpx.Client(
                               transport=httpx.MockTransport(answer),
                               headers={"accept-encoding": "br, gzip;q=0.9, zstd, deflate"},
                               event_hooks=capture_hooks(log)))
    client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "Hi"}])
    client.models.list()

    assert asked == ["gzip;q=0.9, deflate", "br, gzip;q=0.9, zstd, deflate"]
    assert _lines(log)[0]["response"]["usage"]["prompt_tokens"] == 91


def test_a_meta_function_that_fails_neither_stops_the_call_nor_its_line(tmp_path: Path) -> None:
    log = tmp_path / "calls.jsonl"

    def broken() -> dict[str, str]:
        raise LookupError("no session in this context")

    answer = _openai(lambda _: httpx.Response(200, json=_completion(10, 0)), log,
                     meta=broken).chat.completions.create(
        model="gpt-4o", messages=[{"role": "user", "content": "Hi"}])

    assert answer.choices[0].message.content == "Certainly."
    assert _lines(log)[0]["meta"]["provider"] == "openai"


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full to fill")
def test_a_log_that_cannot_be_written_warns_and_the_call_still_answers(
        caplog: pytest.LogCaptureFixture) -> None:
    answer = _openai(lambda _: httpx.Response(200, json=_completion(10, 0)),
                     Path("/dev/full")).chat.completions.create(
        model="gpt-4o", messages=[{"role": "user", "content": "Hi"}])

    assert answer.choices[0].message.content == "Certainly."
    assert [record.getMessage() for record in caplog.records
            if record.name == "promptcache.capture"] == [
        "promptcache.capture: cannot append to /dev/full: [Errno 28] No space left on device"]


def test_meta_values_json_cannot_hold_are_written_as_text(tmp_path: Path) -> None:
    log = tmp_path / "calls.jsonl"
    _openai(lambda _: httpx.Response(200, json=_completion(10, 0)), log,
            meta={"run": Path("runs/7"), 3: "third shift"}).chat.completions.create(
        model="gpt-4o", messages=[{"role": "user", "content": "Hi"}])

    assert (_lines(log)[0]["meta"]["run"], _lines(log)[0]["meta"]["3"]) == (
        "runs/7", "third shift")


def test_meta_given_as_a_function_is_read_for_each_call(tmp_path: Path) -> None:
    log, session = tmp_path / "calls.jsonl", ["s-1"]
    client = _openai(lambda _: httpx.Response(200, json=_completion(10, 0)), log,
                     meta=lambda: {"session": session[0], "provider": "azure"})
    for current in ("s-1", "s-2"):
        session[0] = current
        client.chat.completions.create(model="gpt-4o",
                                       messages=[{"role": "user", "content": "Hi"}])

    assert [(line["meta"]["session"], line["meta"]["provider"]) for line in _lines(log)] == [
        ("s-1", "azure"), ("s-2", "azure")]


def test_audit_of_the_captured_log_counts_each_call_as_its_body_and_compares_the_usage(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    log, sent = tmp_path / "calls.jsonl", []
    usages = iter([(1190, 0), (1206, 1152), (1223, 1152)])
    client = _openai(_recording(lambda _: httpx.Response(200, json=_completion(*next(usages))),
                                sent), log, meta={"session": "booking-42"})
    for messages in _turns(["Do you have a sea view room?", "For two nights?",
                            "Is breakfast included?"]):
        client.chat.completions.create(model="gpt-4o", messages=messages, temperature=0.2)
    bodies = tmp_path / "bodies.jsonl"
    bodies.write_text("".join(json.dumps(body) + "\n" for body in sent), encoding="utf-8")

    assert main(["audit", "--format", "json", str(log)]) == 0
    captured = json.loads(capsys.readouterr().out)
    assert main(["audit", "--format", "json", str(bodies)]) == 0
    bare = json.loads(capsys.readouterr().out)

    assert captured["summary"]["records_read"] == captured["summary"]["requests_audited"] == 3
    assert captured["summary"]["invalid_records"] == 0
    assert [body_count(row) for row in captured["requests"]] == [
        body_count(row) for row in bare["requests"]] == [660, 674, 688]
    assert [(row["observed_prompt_tokens"], row["observed_cached_tokens"])
            for row in captured["requests"]] == [(1190, 0), (1206, 1152), (1223, 1152)]
    assert captured["summary"]["observed_requests"] == 3
    assert captured["summary"]["sessions"] == 1


def test_importing_promptcache_and_its_command_line_does_not_import_httpx() -> None:
    probe = ("import sys, promptcache, promptcache.cli.main; "
             "print(sorted(name for name in ('httpx', 'openai', 'anthropic') "
             "if name in sys.modules))")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                            check=True)
    assert result.stdout.strip() == "[]"


def test_the_capture_log_of_the_generated_sdk_calls_gives_every_body_sent_with_its_usage(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # Written through capture() by tests/input_formats/generate/har.py, for the same calls
    # as the generated HAR: refused attempts are not logged, their retries are. A line is
    # written when its call ends (three calls made at once end in reverse), stamped with
    # the time it was sent.
    answered, _ = generated_truth()
    log = GENERATED_HAR / "capture.jsonl"
    calls = list(read_calls([str(log)]))
    assert all(isinstance(call, LoggedCall) for call in calls), calls
    logged = [call for call in calls if isinstance(call, LoggedCall)]
    sent_order = sorted(range(len(logged)), key=lambda index: logged[index].timestamp or 0)
    assert sent_order != list(range(len(logged)))
    assert [logged[index].body for index in sent_order] == [
        line["request"] for line in answered]
    assert [logged[index].usage for index in sent_order] == [
        generated_usage(line) for line in answered]
    truth_in_log_order = [answered[sent_order.index(index)] for index in range(len(logged))]
    from_log = audited_requests(capsys, log)
    from_bodies = audited_requests(capsys, bodies_as_sent(truth_in_log_order, logged,
                                                          tmp_path / "bodies.jsonl"))
    assert [body_count(request) for request in from_log["requests"]] == [
        body_count(request) for request in from_bodies["requests"]]
    assert from_log["summary"]["requests_audited"] == from_bodies["summary"][
        "requests_audited"] > 0
