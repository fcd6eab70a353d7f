"""Make a HAR capture written by mitmproxy, and a capture-helper log, of varied OpenAI and
Anthropic SDK calls, each paired with the request bodies the provider received.

Run by hand (never by pytest: the name has no ``test_`` prefix), from the repository root,
with the real libraries in a scratch venv OUTSIDE the project's::

    python3 -m venv /tmp/har-mitm && /tmp/har-mitm/bin/pip install mitmproxy==11.0.2
    python3 -m venv /tmp/har-libs
    /tmp/har-libs/bin/pip install openai==3.60.0 anthropic==2.17.0 httpx brotli orjson
    MITMDUMP=/tmp/har-mitm/bin/mitmdump PYTHONPATH=src \
        /tmp/har-libs/bin/python tests/input_formats/generate/har.py

(Two venvs: mitmproxy 11.0.2 pins h11<=0.14, httpx2 under the SDKs needs h11>=0.16.)

Versions used for the committed files: mitmproxy 11.0.2 (its built-in ``savehar`` addon),
openai 3.60.0, anthropic 2.17.0, httpx 0.29.0, httpx2 2.16.2, brotli 1.1 (with it
installed, httpx asks for brotli-compressed answers).

No network: a mock provider listens on 127.0.0.1 (a free port) and answers
``/v1/chat/completions``, ``/v1/responses``, ``/v1/messages`` (and the endpoints that are no
calls: ``/v1/embeddings``, ``/v1/messages/count_tokens``) with canned answers whose usage
comes from a crude prefix-cache simulation (4 characters a token). ``mitmdump --mode
reverse:<mock>`` sits in front of it and dumps the HAR on exit; the SDK clients talk to the
proxy with fake keys, through httpx clients wrapped by :func:`promptcache.capture.capture`.

It writes, under ``tests/input_formats/cases/har/generated/``:

- ``session.har``: mitmproxy's HAR of every exchange;
- ``capture.jsonl``: what ``promptcache.capture`` appended for the same calls;
- ``session.truth.jsonl``: one line per provider call the mock received, in order:
  ``{"provider", "endpoint", "status", "request": <body received>, "usage": <usage sent>}``;
  a refused call (``status`` 429 or 400) has no usage.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import gzip
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import anthropic
import brotli
import httpx
import httpx2
import openai
import pydantic

from promptcache.capture import capture

OUT = Path(__file__).resolve().parents[1] / "cases" / "har" / "generated"
KEY = "sk-test-000"
PNG = base64.b64encode(bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c63f8cfc0f01f0005000201c1a6e2d60000000049454e44ae426082"
)).decode()
SYSTEM = ("You are Pip, the parts assistant of Dunmore Cycles, a bicycle workshop. Answer in "
          "short sentences, quote part numbers exactly, never promise delivery dates. ") * 8


# --- the mock provider ------------------------------------------------------------------

class Mock:
    """What the mock received, and which calls it must refuse or compress."""

    def __init__(self) -> None:
        self.truth: list[dict[str, Any]] = []
        self.seen: list[str] = []
        self.lock = threading.Lock()
        self.refuse_next: dict[str, int] = {}


MOCK = Mock()


def _usage_chars(body: dict[str, Any]) -> tuple[int, int]:
    """(prompt tokens, tokens of the longest prefix shared with an earlier body)."""
    text = json.dumps(body, sort_keys=False)
    best = 0
    for earlier in MOCK.seen:
        shared = 0
        for mine, theirs in zip(text, earlier, strict=False):
            if mine != theirs:
                break
            shared += 1
        best = max(best, shared)
    MOCK.seen.append(text)
    tokens = len(text) // 4
    # The mock caches from 256 tokens on (the real providers from 1,024): small files.
    cached = (best // 4) // 128 * 128 if best // 4 >= 256 else 0
    return tokens, cached


def _sse(events: list[dict[str, Any]], *, named: bool, done: bool) -> bytes:
    lines = [(f"event: {event['type']}\n" if named else "") + f"data: {json.dumps(event)}\n\n"
             for event in events]
    return ("".join(lines) + ("data: [DONE]\n\n" if done else "")).encode()


def _chat(body: dict[str, Any], usage: dict[str, Any]) -> tuple[bytes, str]:
    model = body["model"] + "-2024-11-20"
    if not body.get("stream"):
        return json.dumps({
            "id": f"chatcmpl-gen{len(MOCK.truth)}", "object": "chat.completion",
            "created": 1796400000, "model": model,
            "choices": [{"index": 0, "finish_reason": "stop", "message": {
                "role": "assistant", "refusal": None,
                "content": ('{"part": "7731-B", "quantity": 2, "notes": []}'
                            if body.get("response_format") else "Part 7731-B fits.")}}],
            "usage": usage}).encode(), "application/json"
    base = {"id": f"chatcmpl-gen{len(MOCK.truth)}", "object": "chat.completion.chunk",
            "created": 1796400000, "model": model}
    chunks = [
        {**base, "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""},
                              "finish_reason": None}]},
        {**base, "choices": [{"index": 0, "delta": {"content": "Part 7731-B"},
                              "finish_reason": None}]},
        {**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]},
    ]
    if (body.get("stream_options") or {}).get("include_usage"):
        for chunk in chunks:
            chunk["usage"] = None
        chunks.append({**base, "choices": [], "usage": usage})
    return _sse(chunks, named=False, done=True), "text/event-stream"


def _responses(body: dict[str, Any], usage: dict[str, Any]) -> tuple[bytes, str]:
    response = {
        "id": f"resp_gen{len(MOCK.truth)}", "object": "response", "created_at": 1796400000,
        "status": "completed", "model": body["model"] + "-2024-11-20",
        "output": [{"type": "message", "id": "msg_gen", "status": "completed",
                    "role": "assistant", "content": [
                        {"type": "output_text", "text": "Part 7731-B fits.",
                         "annotations": []}]}],
        "parallel_tool_calls": True, "tool_choice": "auto", "tools": [],
        "usage": usage}
    if not body.get("stream"):
        return json.dumps(response).encode(), "application/json"
    created = {**response, "status": "in_progress", "output": [], "usage": None}
    events = [
        {"type": "response.created", "sequence_number": 0, "response": created},
        {"type": "response.output_text.delta", "sequence_number": 1, "item_id": "msg_gen",
         "output_index": 0, "content_index": 0, "delta": "Part 7731-B fits."},
        {"type": "response.completed", "sequence_number": 2, "response": response},
    ]
    return _sse(events, named=True, done=False), "text/event-stream"


def _messages(body: dict[str, Any], usage: dict[str, Any]) -> tuple[bytes, str]:
    message = {"id": f"msg_gen{len(MOCK.truth)}", "type": "message", "role": "assistant",
               "model": body["model"], "content": [{"type": "text", "text": "Part 7731-B."}],
               "stop_reason": "end_turn", "stop_sequence": None, "usage": usage}
    if not body.get("stream"):
        return json.dumps(message).encode(), "application/json"
    start_usage = {**usage, "output_tokens": 1}
    events = [
        {"type": "message_start", "message": {**message, "content": [], "stop_reason": None,
                                              "usage": start_usage}},
        {"type": "content_block_start", "index": 0, "content_block": {"type": "text",
                                                                      "text": ""}},
        {"type": "ping"},
        {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta",
                                                              "text": "Part 7731-B."}},
        {"type": "content_block_stop", "index": 0},
        # Newer API versions repeat the input side in message_delta, as running totals.
        {"type": "message_delta", "delta": {"stop_reason": "end_turn", "stop_sequence": None},
         "usage": {"input_tokens": usage["input_tokens"],
                   "cache_creation_input_tokens": usage["cache_creation_input_tokens"],
                   "cache_read_input_tokens": usage["cache_read_input_tokens"],
                   "output_tokens": 9}},
        {"type": "message_stop"},
    ]
    return _sse(events, named=True, done=False), "text/event-stream"


def _usage(provider: str, endpoint: str, body: dict[str, Any]) -> dict[str, Any]:
    tokens, cached = _usage_chars(body)
    if provider == "anthropic":
        marked = "cache_control" in json.dumps(body)
        written = 0 if not marked else max(tokens - cached - 40, 0)
        return {"input_tokens": tokens - cached - written, "output_tokens": 9,
                "cache_read_input_tokens": cached, "cache_creation_input_tokens": written}
    if endpoint == "/v1/responses":
        return {"input_tokens": tokens, "input_tokens_details": {"cached_tokens": cached},
                "output_tokens": 9, "output_tokens_details": {"reasoning_tokens": 0},
                "total_tokens": tokens + 9}
    return {"prompt_tokens": tokens, "completion_tokens": 9, "total_tokens": tokens + 9,
            "prompt_tokens_details": {"cached_tokens": cached, "audio_tokens": 0},
            "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0,
                                          "accepted_prediction_tokens": 0,
                                          "rejected_prediction_tokens": 0}}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        raw = self.rfile.read(int(self.headers.get("content-length", "0")))
        body = json.loads(raw)
        endpoint = self.path.split("?")[0]
        if endpoint == "/v1/embeddings":
            return self._send(200, json.dumps({
                "object": "list", "model": body["model"],
                "data": [{"object": "embedding", "index": 0, "embedding": [0.1, 0.2]}],
                "usage": {"prompt_tokens": 3, "total_tokens": 3}}).encode())
        if endpoint == "/v1/messages/count_tokens":
            return self._send(200, json.dumps({"input_tokens": len(raw) // 4}).encode())
        provider = "anthropic" if endpoint == "/v1/messages" else "openai"
        with MOCK.lock:
            refusal = self.headers.get("x-mock-refuse")
            if refusal and MOCK.refuse_next.get(refusal, 0) > 0:
                MOCK.refuse_next[refusal] -= 1
                status = int(refusal.split("-")[0])
                MOCK.truth.append({"provider": provider, "endpoint": endpoint,
                                   "status": status, "request": body})
                error = {"error": {"type": "rate_limit_error" if status == 429
                                   else "invalid_request_error", "message": "mock refusal"}}
                if provider == "anthropic":
                    error = {"type": "error", **error}
                return self._send(status, json.dumps(error).encode(),
                                  extra={"retry-after-ms": "10"})
            usage = _usage(provider, endpoint, body)
            answer = {"/v1/chat/completions": _chat, "/v1/responses": _responses,
                      "/v1/messages": _messages}[endpoint]
            data, kind = answer(body, usage)
            unasked = body.get("stream") and endpoint == "/v1/chat/completions" and not (
                body.get("stream_options") or {}).get("include_usage")
            # A chat stream carries usage only when the request asks for it.
            MOCK.truth.append({"provider": provider, "endpoint": endpoint, "status": 200,
                               "request": body, "usage": None if unasked else usage})
        encoding = None
        # Answered late on request: calls made at once then end in another order.
        time.sleep(float(self.headers.get("x-mock-delay", "0")))
        accepted = self.headers.get("accept-encoding", "")
        if self.headers.get("x-mock-gzip") and "gzip" in accepted:
            data, encoding = gzip.compress(data, mtime=0), "gzip"
        elif self.headers.get("x-mock-br") and "br" in accepted:
            # What a CDN answers a client that asks for brotli (httpx does when the
            # brotli package is installed).
            data, encoding = brotli.compress(data), "br"
        self._send(200, data, kind, encoding)
        return None

    def _send(self, status: int, data: bytes, kind: str = "application/json",
              encoding: str | None = None, extra: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("content-type", kind)
        self.send_header("content-length", str(len(data)))
        if encoding:
            self.send_header("content-encoding", encoding)
        for name, value in (extra or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)


# --- the scenarios -------------------------------------------------------------------------

PDF = base64.b64encode(b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n").decode()


class Pick(pydantic.BaseModel):
    part: str
    quantity: int
    notes: list[str]


TOOLS = [
    {"type": "function", "function": {
        "name": "find_part", "description": "Find a part in the workshop's catalogue.",
        "parameters": {"type": "object", "properties": {
            "query": {"type": "string", "description": "Words from the part's name."},
            "fits": {"type": "object", "description": "The bicycle it must fit.", "properties": {
                "brand": {"type": "string"}, "year": {"type": "integer", "minimum": 1950},
                "wheel": {"type": "string", "enum": ["26in", "27.5in", "29in", "700c"]}},
                "required": ["brand"]},
            "limit": {"type": ["integer", "null"], "default": 5}},
            "required": ["query"], "additionalProperties": False}}},
    {"type": "function", "function": {
        "name": "book_repair", "description": "Book a repair slot.", "strict": True,
        "parameters": {"type": "object", "properties": {
            "jobs": {"type": "array", "items": {"type": "object", "properties": {
                "kind": {"type": "string", "enum": ["brakes", "gears", "wheel", "service"]},
                "parts": {"type": "array", "items": {"type": "string"}}},
                "required": ["kind", "parts"], "additionalProperties": False}},
            "day": {"type": "string", "format": "date"}},
            "required": ["jobs", "day"], "additionalProperties": False}}},
    {"type": "function", "function": {"name": "opening_hours", "parameters": {
        "type": "object", "properties": {}}}},
]


def _tool_turns() -> list[dict[str, Any]]:
    return [
        {"role": "system", "content": SYSTEM},
        {"role": "user",
         "content": "Disc pads for a 2021 Trek Marlin, 29in? Merci ☕ (自転車, Ünïcode)"},
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": "call_a1", "type": "function", "function": {
                "name": "find_part",
                "arguments": '{"query": "disc pads", "fits": {"brand": "Trek", "year": 2021, '
                             '"wheel": "29in"}}'}},
            {"id": "call_a2", "type": "function", "function": {
                "name": "opening_hours", "arguments": "{}"}}]},
        {"role": "tool", "tool_call_id": "call_a1",
         "content": '[{"part": "7731-B", "name": "Resin disc pads", "stock": 4}]'},
        {"role": "tool", "tool_call_id": "call_a2", "content": [
            {"type": "text", "text": "Mon-Sat 9:00-18:00"}]},
    ]


def openai_chat(client: openai.OpenAI) -> None:
    turns = _tool_turns()
    client.chat.completions.create(model="gpt-4o", messages=turns[:2], tools=TOOLS,
                                   temperature=0.2, user="sess-chat-1")
    client.chat.completions.create(model="gpt-4o", messages=turns, tools=TOOLS,
                                   tool_choice="auto", parallel_tool_calls=True,
                                   temperature=0.2, user="sess-chat-1",
                                   prompt_cache_key="pip-support")
    turns += [{"role": "assistant", "content": "Yes: 7731-B, four in stock.",
               "name": "pip"},
              {"role": "user", "name": "dana", "content": [
                  {"type": "text", "text": "Is this the worn pad? And this one?"},
                  {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG}",
                                                      "detail": "low"}},
                  {"type": "image_url", "image_url": {
                      "url": "https://images.example.com/pads/worn.jpg", "detail": "high"}}]}]
    client.chat.completions.create(model="gpt-4o", messages=turns, tools=TOOLS,
                                   temperature=0.2, user="sess-chat-1", max_tokens=800,
                                   seed=7, stop=["\n\n"], metadata={"app": "pip"}, store=True)
    # Structured output, nested schema.
    client.chat.completions.create(
        model="gpt-4o-mini", messages=[
            {"role": "developer", "content": "Extract the order."},
            {"role": "user", "content": "Two 7731-B pads and a 29in tube, pick up Friday."}],
        response_format={"type": "json_schema", "json_schema": {
            "name": "order", "strict": True, "schema": {
                "type": "object", "additionalProperties": False, "required": ["lines", "day"],
                "properties": {
                    "lines": {"type": "array", "items": {
                        "type": "object", "additionalProperties": False,
                        "required": ["part", "qty"], "properties": {
                            "part": {"type": "string"}, "qty": {"type": "integer"}}}},
                    "day": {"type": "string", "enum": ["Mon", "Tue", "Wed", "Thu", "Fri",
                                                       "Sat"]}}}}})
    client.chat.completions.create(model="gpt-4o-mini",
                                   messages=[{"role": "user", "content": "Say hi."}],
                                   response_format={"type": "json_object"})
    # Structured output from a Pydantic model (the SDK writes the json_schema).
    client.chat.completions.parse(model="gpt-4o-mini", response_format=Pick, messages=[
        {"role": "user", "content": [
            {"type": "text", "text": "Which part, from this invoice?"},
            {"type": "file", "file": {"filename": "invoice.pdf",
                                      "file_data": f"data:application/pdf;base64,{PDF}"}}]}])
    # Streaming: with usage in the last chunk, then without usage at all.
    stream = client.chat.completions.create(model="gpt-4o", messages=turns[:2], tools=TOOLS,
                                            stream=True, stream_options={"include_usage": True})
    for _ in stream:
        pass
    stream = client.chat.completions.create(model="gpt-4o", messages=turns[:2], stream=True)
    for _ in stream:
        pass
    # A gzip-compressed answer.
    client.chat.completions.create(model="gpt-4o", messages=turns[:2], tools=TOOLS,
                                   extra_headers={"x-mock-gzip": "1"})
    # A brotli-compressed answer, when the client asks for one.
    client.chat.completions.create(model="gpt-4o", messages=turns[:2], tools=TOOLS,
                                   extra_headers={"x-mock-br": "1"})
    # Refused once with a 429, retried by the SDK and answered.
    MOCK.refuse_next["429-chat"] = 1
    client.chat.completions.create(model="gpt-4o", messages=turns[:2], tools=TOOLS,
                                   extra_headers={"x-mock-refuse": "429-chat"})
    # Refused for good (400): the SDK raises; the app goes on.
    MOCK.refuse_next["400-chat"] = 1
    with contextlib.suppress(openai.BadRequestError):
        client.chat.completions.create(model="gpt-4o", messages=turns[:2],
                                       extra_headers={"x-mock-refuse": "400-chat"})
    # A large prompt (a pasted manual, ~15 KB; the HAR and the capture keep it whole).
    manual = "".join(f"Section {n}: torque the caliper bolts to {n % 9 + 4} Nm, then check "
                     f"pad clearance on rotor {n}.\n" for n in range(200))
    client.chat.completions.create(model="gpt-4o", messages=[
        {"role": "system", "content": SYSTEM}, {"role": "user", "content": manual}])
    # Not calls: an embedding.
    client.embeddings.create(model="text-embedding-3-small", input="disc pads")


RESPONSE_TOOLS = [
    {"type": "function", "name": "find_part", "description": "Find a part.", "strict": False,
     "parameters": TOOLS[0]["function"]["parameters"]},
    {"type": "function", "name": "book_repair", "strict": True,
     "parameters": TOOLS[1]["function"]["parameters"]},
]


def openai_responses(client: openai.OpenAI) -> None:
    items: list[dict[str, Any]] = [
        {"role": "user", "content": [
            {"type": "input_text", "text": "Which pads fit my bike? Photo attached."},
            {"type": "input_image", "image_url": f"data:image/png;base64,{PNG}",
             "detail": "auto"}]}]
    client.responses.create(model="gpt-4.1", instructions=SYSTEM, input=items,
                            tools=RESPONSE_TOOLS, store=False, temperature=0.2)
    items += [
        {"type": "function_call", "call_id": "call_r1", "name": "find_part",
         "arguments": '{"query": "pads", "fits": {"brand": "Trek"}}'},
        {"type": "function_call_output", "call_id": "call_r1",
         "output": '[{"part": "7731-B"}]'},
    ]
    client.responses.create(model="gpt-4.1", instructions=SYSTEM, input=items,
                            tools=RESPONSE_TOOLS, store=False, temperature=0.2,
                            max_output_tokens=400, user="sess-resp-1")
    stream = client.responses.create(model="gpt-4.1", instructions=SYSTEM, input=items,
                                     tools=RESPONSE_TOOLS, stream=True,
                                     text={"format": {"type": "json_schema", "name": "pick",
                                                      "schema": {"type": "object",
                                                                 "properties": {
                                                                     "part": {"type": "string"}},
                                                                 "required": ["part"],
                                                                 "additionalProperties": False},
                                                      "strict": True}})
    for _ in stream:
        pass
    client.responses.create(model="gpt-4.1-mini", input="Opening hours on Saturday?",
                            extra_headers={"x-mock-gzip": "1"})
    # A reasoning model continuing a stored response: the earlier turns are the provider's.
    client.responses.create(model="o4-mini", previous_response_id="resp_gen0",
                            reasoning={"effort": "low", "summary": "auto"},
                            include=["reasoning.encrypted_content"],
                            input=[{"type": "function_call_output", "call_id": "call_r1",
                                    "output": '[{"part": "7731-B"}]'}],
                            tools=RESPONSE_TOOLS)


async def openai_concurrent(client: openai.AsyncOpenAI) -> None:
    """Three calls made at once (an agent's parallel sub-tasks), the first answered last:
    a proxy may save them in the order they ended."""
    async def ask(question: str, delay: float) -> None:
        await asyncio.sleep(delay / 10)  # sent in this order...
        await client.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "system", "content": SYSTEM},
                                           {"role": "user", "content": question}],
            extra_headers={"x-mock-delay": str(1.2 - delay)})  # ...answered in reverse

    await asyncio.gather(ask("Price of 7731-B?", 0.0), ask("Price of a 29in tube?", 0.4),
                         ask("Price of a chain?", 0.8))


ANTHROPIC_TOOLS = [
    {"name": "find_part", "description": "Find a part in the workshop's catalogue.",
     "input_schema": TOOLS[0]["function"]["parameters"]},
    {"name": "book_repair", "description": "Book a repair slot.",
     "input_schema": TOOLS[1]["function"]["parameters"],
     "cache_control": {"type": "ephemeral"}},
]


def anthropic_messages(client: anthropic.Anthropic) -> None:
    system = [{"type": "text", "text": SYSTEM},
              {"type": "text", "text": "Stock is checked nightly.",
               "cache_control": {"type": "ephemeral", "ttl": "1h"}}]
    messages: list[dict[str, Any]] = [
        {"role": "user", "content": [
            {"type": "text", "text": "Disc pads for a 2021 Trek Marlin? Danke schön 🚲"},
            {"type": "image", "source": {"type": "base64", "media_type": "image/png",
                                         "data": PNG}},
            {"type": "image", "source": {"type": "url",
                                         "url": "https://images.example.com/pads/worn.jpg"}}]}]
    client.messages.create(model="claude-sonnet-4-20250514", max_tokens=800, system=system,
                           tools=ANTHROPIC_TOOLS, messages=messages,
                           metadata={"user_id": "sess-anth-1"})
    messages += [
        {"role": "assistant", "content": [
            {"type": "text", "text": "Let me look."},
            {"type": "tool_use", "id": "toolu_01", "name": "find_part",
             "input": {"query": "disc pads", "fits": {"brand": "Trek", "year": 2021}}}]},
        {"role": "user", "content": [
            {"type": "tool_result", "tool_use_id": "toolu_01",
             "content": [{"type": "text", "text": '[{"part": "7731-B", "stock": 4}]'}],
             "cache_control": {"type": "ephemeral"}}]},
    ]
    client.messages.create(model="claude-sonnet-4-20250514", max_tokens=800, system=system,
                           tools=ANTHROPIC_TOOLS, tool_choice={"type": "auto"},
                           messages=messages)
    with client.messages.stream(model="claude-sonnet-4-20250514", max_tokens=800,
                                system=system, tools=ANTHROPIC_TOOLS,
                                messages=messages) as stream:
        for _ in stream:
            pass
    stream = client.messages.create(model="claude-3-5-haiku-20241022", max_tokens=200,
                                    system="Be brief.", stream=True,
                                    messages=[{"role": "user", "content": "Hours?"}])
    for _ in stream:
        pass
    # The beta client (its URL ends in ?beta=true), a PDF document and a tool choice.
    client.beta.messages.create(
        model="claude-sonnet-4-20250514", max_tokens=400, betas=["context-1m-2025-08-07"],
        system=system, tools=ANTHROPIC_TOOLS, tool_choice={"type": "tool", "name": "find_part"},
        messages=[{"role": "user", "content": [
            {"type": "document", "source": {"type": "base64", "media_type": "application/pdf",
                                            "data": PDF},
             "title": "invoice", "cache_control": {"type": "ephemeral"}},
            {"type": "text", "text": "Find the part on this invoice."}]}])
    MOCK.refuse_next["429-anth"] = 1
    client.messages.create(model="claude-sonnet-4-20250514", max_tokens=800, system=system,
                           messages=messages[:1], extra_headers={"x-mock-refuse": "429-anth"})
    client.messages.create(model="claude-sonnet-4-20250514", max_tokens=300,
                           thinking={"type": "enabled", "budget_tokens": 1024},
                           messages=[{"role": "user", "content": "Plan a full service."}],
                           extra_headers={"x-mock-gzip": "1"})
    # Not a call: counting tokens.
    client.messages.count_tokens(model="claude-sonnet-4-20250514", messages=messages[:1])


# --- the run -------------------------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_for(port: int) -> None:
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise SystemExit(f"nothing listens on 127.0.0.1:{port}")


async def _concurrently(base: str, log: Path) -> None:
    async with capture(httpx.AsyncClient(), log) as http:
        await openai_concurrent(openai.AsyncOpenAI(api_key=KEY, base_url=f"{base}/v1",
                                                   http_client=http))


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    har, log = OUT / "session.har", OUT / "capture.jsonl"
    for stale in (har, log):
        stale.unlink(missing_ok=True)
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    mock = f"http://127.0.0.1:{server.server_address[1]}"
    port = _free_port()
    proxy = subprocess.Popen([os.environ.get("MITMDUMP", "mitmdump"), "-q",
                              "--mode", f"reverse:{mock}",
                              "--listen-host", "127.0.0.1", "--listen-port", str(port),
                              "--set", f"hardump={har}"])
    try:
        _wait_for(port)
        base = f"http://127.0.0.1:{port}"
        with capture(httpx.Client(), log) as http:
            openai_client = openai.OpenAI(api_key=KEY, base_url=f"{base}/v1",
                                          http_client=http, max_retries=2)
            openai_chat(openai_client)
            openai_responses(openai_client)
        asyncio.run(_concurrently(base, log))
        with capture(httpx2.Client(), log) as http2:
            anthropic_messages(anthropic.Anthropic(
                api_key=KEY, base_url=base, http_client=http2, max_retries=2))
    finally:
        proxy.send_signal(signal.SIGINT)
        proxy.wait(timeout=60)
        server.shutdown()
    (OUT / "session.truth.jsonl").write_text(
        "".join(json.dumps(line) + "\n" for line in MOCK.truth), "utf-8")
    print(f"{len(MOCK.truth)} provider calls; wrote {har}, {log}, session.truth.jsonl "
          f"({sum(path.stat().st_size for path in OUT.iterdir()) >> 10} KiB)",
          file=sys.stderr)
    return 0 if har.exists() else 1


if __name__ == "__main__":
    os.environ.pop("OPENAI_BASE_URL", None)
    os.environ.pop("ANTHROPIC_BASE_URL", None)
    raise SystemExit(main())
