"""Make a LiteLLM standard-logging-payload log, and the bodies the providers received.

Run by hand (not collected by pytest), with the real libraries in a scratch venv outside
the repository (never the project's venv):

    python3 -m venv /tmp/litellm-libs
    /tmp/litellm-libs/bin/pip install litellm==1.110.2 openai==3.60.0 anthropic==2.17.0
    /tmp/litellm-libs/bin/python tests/input_formats/generate/litellm.py \
        tests/input_formats/cases/litellm/generated

It starts a loopback mock provider (127.0.0.1, a free port) that answers
``/v1/chat/completions``, ``/v1/responses`` and ``/v1/messages`` (JSON or SSE, with usage;
a 429 when a scenario asks for one) and records every body it receives, then drives
``litellm.completion`` (``openai/gpt-4o`` and ``anthropic/claude-sonnet-4-20250514``) and
``litellm.responses`` through varied scenarios, logging through a ``CustomLogger`` that writes
``kwargs["standard_logging_object"]`` one JSON object per line, for successes and failures
(``docs/formats/litellm.md``). It writes, in the folder given:

- ``standard_logging_payload.jsonl``: the log;
- ``standard_logging_payload.truth.jsonl``: one line per request the mock received, in order:
  ``{"provider", "path", "request", "usage", "scenario"}`` (``usage`` null for a 429).

No network beyond loopback; the keys are fakes. All content here is our own.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
import struct
import sys
import threading
import time
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # no fetch of the price map
# This script is named litellm.py: its folder must not shadow the library.
_HERE = Path(__file__).parent.resolve()
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != _HERE]

RECEIVED: list[dict[str, Any]] = []
"""Every body the mock received: ``{"provider", "path", "request", "usage"}``."""
NEXT: dict[str, Any] = {"reply": "text", "scenario": ""}
"""What the mock answers next: ``text``, ``tool_calls`` or ``error429``."""


def _png(width: int, height: int) -> bytes:
    rows = b"".join(b"\x00" + b"\x20\x80\xc0" * width for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data)))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


PNG_DATA_URL = "data:image/png;base64," + base64.b64encode(_png(6, 5)).decode()
IMAGE_URL = "https://images.example.com/catalog/teapot-blue.png"


def _prompt_tokens(body: dict[str, Any]) -> int:
    return max(1, len(json.dumps(body)) // 4)


# --- the mock provider -------------------------------------------------------------------

class _Mock(BaseHTTPRequestHandler):
    def log_message(self, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        # An image LiteLLM downloads to send it to Anthropic as base64.
        data = _png(3, 3)
        self.send_response(200)
        self.send_header("content-type", "image/png")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self) -> None:
        raw = self.rfile.read(int(self.headers.get("content-length") or 0))
        body = json.loads(raw)
        path = self.path.split("?")[0]
        provider = "anthropic" if path.endswith("/messages") else "openai"
        entry: dict[str, Any] = {"provider": provider, "path": path, "request": body,
                                 "usage": None, "scenario": NEXT["scenario"]}
        RECEIVED.append(entry)
        if NEXT["reply"] == "error429":
            self._json(429, {"error": {"message": "Rate limit reached (mock)",
                                       "type": "rate_limit_error",
                                       "code": "rate_limit_exceeded"}}
                       if provider == "openai" else
                       {"type": "error", "error": {"type": "rate_limit_error",
                                                   "message": "Rate limit reached (mock)"}})
            return
        tokens = _prompt_tokens(body)
        cached = (tokens // 2) // 128 * 128 if len(RECEIVED) % 2 == 0 else 0
        if path.endswith("/chat/completions"):
            self._chat(body, tokens, cached, entry)
        elif path.endswith("/responses"):
            self._responses(body, tokens, cached, entry)
        elif path.endswith("/messages"):
            self._messages(body, tokens, cached, entry)
        elif path.endswith("/embeddings"):
            entry["usage"] = {"prompt_tokens": 5, "total_tokens": 5}
            self._json(200, {"object": "list", "model": "text-embedding-3-small",
                             "data": [{"object": "embedding", "index": 0,
                                       "embedding": [0.1, 0.2, 0.3]}],
                             "usage": entry["usage"]})
        else:
            self._json(404, {"error": {"message": f"no route {path}"}})

    def _json(self, status: int, value: Any) -> None:
        data = json.dumps(value).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        if status == 429:
            self.send_header("retry-after", "0")
        self.end_headers()
        self.wfile.write(data)

    def _sse(self, events: list[tuple[str | None, Any]]) -> None:
        self.send_response(200)
        self.send_header("content-type", "text/event-stream")
        self.end_headers()
        for name, data in events:
            text = data if isinstance(data, str) else json.dumps(data)
            self.wfile.write(((f"event: {name}\n" if name else "") + f"data: {text}\n\n").encode())
        self.wfile.flush()

    def _chat(self, body: dict[str, Any], tokens: int, cached: int, entry: dict[str, Any]) -> None:
        usage = {"prompt_tokens": tokens, "completion_tokens": 9, "total_tokens": tokens + 9,
                 "prompt_tokens_details": {"cached_tokens": cached, "audio_tokens": 0},
                 "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0}}
        entry["usage"] = usage
        message: dict[str, Any] = {"role": "assistant", "content": "Here is what I found.",
                                   "refusal": None}
        finish = "stop"
        if NEXT["reply"] == "tool_calls":
            message = {"role": "assistant", "content": None, "refusal": None, "tool_calls": [
                {"id": "call_lookup_1", "type": "function",
                 "function": {"name": "lookup_order", "arguments": '{"order_id": "A-1001"}'}},
                {"id": "call_stock_2", "type": "function",
                 "function": {"name": "check_stock",
                              "arguments": '{"sku": "TP-BLUE", "stores": ["lyon", "nice"]}'}}]}
            finish = "tool_calls"
        head = {"id": f"chatcmpl-mock{len(RECEIVED)}", "created": int(time.time()),
                "model": "gpt-4o-2024-08-06", "system_fingerprint": "fp_mock"}
        if body.get("stream"):
            chunks: list[tuple[str | None, Any]] = [
                (None, {**head, "object": "chat.completion.chunk", "choices": [
                    {"index": 0, "delta": {"role": "assistant", "content": piece},
                     "finish_reason": None}]}) for piece in ("Here is ", "what I found.")]
            chunks.append((None, {**head, "object": "chat.completion.chunk", "choices": [
                {"index": 0, "delta": {}, "finish_reason": "stop"}]}))
            if (body.get("stream_options") or {}).get("include_usage"):
                chunks.append((None, {**head, "object": "chat.completion.chunk", "choices": [],
                                      "usage": usage}))
            chunks.append((None, "[DONE]"))
            self._sse(chunks)
            return
        self._json(200, {**head, "object": "chat.completion", "choices": [
            {"index": 0, "message": message, "finish_reason": finish, "logprobs": None}],
            "usage": usage})

    def _responses(self, body: dict[str, Any], tokens: int, cached: int,
                   entry: dict[str, Any]) -> None:
        usage = {"input_tokens": tokens, "input_tokens_details": {"cached_tokens": cached},
                 "output_tokens": 7, "output_tokens_details": {"reasoning_tokens": 0},
                 "total_tokens": tokens + 7}
        entry["usage"] = usage
        output: list[dict[str, Any]] = [
            {"type": "message", "id": "msg_mock", "status": "completed", "role": "assistant",
             "content": [{"type": "output_text", "text": "Your order ships Monday.",
                          "annotations": []}]}]
        if NEXT["reply"] == "tool_calls":
            output = [{"type": "function_call", "id": "fc_mock", "call_id": "call_resp_1",
                       "name": "lookup_order", "arguments": '{"order_id": "A-1001"}',
                       "status": "completed"}]
        response = {
            "id": f"resp_mock{len(RECEIVED)}", "object": "response", "created_at": int(time.time()),
            "status": "completed", "model": "gpt-4o-2024-08-06", "output": output,
            "parallel_tool_calls": True, "tool_choice": body.get("tool_choice", "auto"),
            "tools": body.get("tools", []), "instructions": body.get("instructions"),
            "temperature": body.get("temperature", 1.0), "top_p": 1.0, "error": None,
            "incomplete_details": None, "metadata": {}, "text": {"format": {"type": "text"}},
            "usage": usage}
        if body.get("stream"):
            self._sse([
                ("response.created", {"type": "response.created", "sequence_number": 0,
                                      "response": {**response, "status": "in_progress",
                                                   "output": [], "usage": None}}),
                ("response.completed", {"type": "response.completed", "sequence_number": 1,
                                        "response": response})])
            return
        self._json(200, response)

    def _messages(self, body: dict[str, Any], tokens: int, cached: int,
                  entry: dict[str, Any]) -> None:
        write = 0 if cached else tokens // 3
        fresh = tokens - cached - write
        usage = {"input_tokens": fresh, "cache_read_input_tokens": cached,
                 "cache_creation_input_tokens": write, "output_tokens": 11}
        entry["usage"] = usage
        content: list[dict[str, Any]] = [{"type": "text", "text": "Here is what I found."}]
        stop = "end_turn"
        forced = (body.get("tool_choice") or {}).get("name")
        if forced:
            content = [{"type": "tool_use", "id": "toolu_json_1", "name": forced,
                        "input": {"answer": "yes", "confidence": 0.9}}]
            stop = "tool_use"
        elif NEXT["reply"] == "tool_calls":
            content = [{"type": "text", "text": "Let me check."},
                       {"type": "tool_use", "id": "toolu_01Lookup", "name": "lookup_order",
                        "input": {"order_id": "A-1001"}},
                       {"type": "tool_use", "id": "toolu_02Stock", "name": "check_stock",
                        "input": {"sku": "TP-BLUE", "stores": ["lyon", "nice"]}}]
            stop = "tool_use"
        message = {"id": f"msg_mock{len(RECEIVED)}", "type": "message", "role": "assistant",
                   "model": body.get("model"), "content": content, "stop_reason": stop,
                   "stop_sequence": None, "usage": usage}
        if body.get("stream"):
            start = {**message, "content": [], "stop_reason": None,
                     "usage": {**usage, "output_tokens": 1}}
            self._sse([
                ("message_start", {"type": "message_start", "message": start}),
                ("content_block_start", {"type": "content_block_start", "index": 0,
                                         "content_block": {"type": "text", "text": ""}}),
                ("content_block_delta", {"type": "content_block_delta", "index": 0,
                                         "delta": {"type": "text_delta",
                                                   "text": "Here is what I found."}}),
                ("content_block_stop", {"type": "content_block_stop", "index": 0}),
                ("message_delta", {"type": "message_delta",
                                   "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                                   "usage": {"output_tokens": 11}}),
                ("message_stop", {"type": "message_stop"})])
            return
        self._json(200, message)


# --- the scenarios -----------------------------------------------------------------------

SYSTEM = ("You are the support assistant of Teapot & Co, a small online shop for tea ware. "
          "Answer briefly, cite order numbers, never promise refunds without checking the "
          "order first. Stores: Lyon, Nice, Lille. ") * 6
TOOLS: list[dict[str, Any]] = [
    {"type": "function", "function": {
        "name": "lookup_order", "description": "Find an order by its id.",
        "parameters": {"type": "object", "properties": {
            "order_id": {"type": "string", "pattern": "^[A-Z]-\\d{4}$"},
            "include": {"type": "array", "items": {"type": "string",
                                                   "enum": ["items", "shipping", "payments"]}}},
            "required": ["order_id"], "additionalProperties": False}}},
    {"type": "function", "function": {
        "name": "check_stock", "description": "Stock of a product in stores.",
        "parameters": {"type": "object", "properties": {
            "sku": {"type": "string"},
            "stores": {"type": "array", "items": {"type": "string"}},
            "filters": {"type": "object", "properties": {
                "min_quantity": {"type": "integer", "minimum": 0},
                "colour": {"type": "object", "properties": {
                    "name": {"type": "string"}, "hex": {"type": "string"}}}}}},
            "required": ["sku"]}}},
    {"type": "function", "function": {
        "name": "open_ticket", "description": "Open a support ticket.",
        "parameters": {"type": "object", "properties": {
            "subject": {"type": "string"}, "priority": {"type": "string",
                                                        "enum": ["low", "high"]}},
            "required": ["subject", "priority"]}}},
]
VERDICT_FORMAT = {"type": "json_schema", "json_schema": {
    "name": "refund_verdict", "strict": True, "schema": {
        "type": "object", "properties": {
            "answer": {"type": "string", "enum": ["yes", "no"]},
            "confidence": {"type": "number"},
            "reasons": {"type": "array", "items": {"type": "object", "properties": {
                "code": {"type": "string"}, "detail": {"type": "string"}},
                "required": ["code", "detail"], "additionalProperties": False}}},
        "required": ["answer", "confidence", "reasons"], "additionalProperties": False}}}
TOOL_RESULT_ORDER = json.dumps({"order_id": "A-1001", "status": "shipped",
                                "items": [{"sku": "TP-BLUE", "qty": 1}]})
TOOL_RESULT_STOCK = json.dumps({"lyon": 3, "nice": 0})


def _scenario(name: str, reply: str = "text") -> None:
    NEXT["scenario"], NEXT["reply"] = name, reply


def _as_message(response: Any) -> dict[str, Any]:
    """The assistant message of a response, as a caller appends it back (a dict)."""
    message = response.choices[0].message
    dumped: dict[str, Any] = message.model_dump(exclude_none=True)
    return {key: value for key, value in dumped.items()
            if key in ("role", "content", "tool_calls")}


def run_completion_scenarios(litellm: Any, model: str, api_base: str, session: str) -> None:
    common = {"api_base": api_base, "api_key": "sk-test-000",
              "litellm_session_id": session}
    # 1. Multi-turn with several tools, parallel tool calls, tool results.
    _scenario("tools-multi-turn", "tool_calls")
    messages: list[Any] = [{"role": "system", "content": SYSTEM},
                           {"role": "user", "content": "Where is my order A-1001, and is the "
                                                       "blue teapot in stock in Lyon or Nice?"}]
    first = litellm.completion(model=model, messages=messages, tools=TOOLS, temperature=0.2,
                               max_tokens=400, user="customer-77", **common)
    messages.append(_as_message(first))
    messages.append({"role": "tool", "tool_call_id": "call_lookup_1" if "openai" in model
                     else first.choices[0].message.tool_calls[0].id, "content": TOOL_RESULT_ORDER})
    messages.append({"role": "tool", "tool_call_id": "call_stock_2" if "openai" in model
                     else first.choices[0].message.tool_calls[1].id, "content": TOOL_RESULT_STOCK})
    _scenario("tools-multi-turn")
    second = litellm.completion(model=model, messages=messages, tools=TOOLS, temperature=0.2,
                                max_tokens=400, user="customer-77", tool_choice="auto", **common)
    messages.append(_as_message(second))
    messages.append({"role": "user", "content": "Open a ticket: the lid was chipped."})
    litellm.completion(model=model, messages=messages, tools=TOOLS, temperature=0.2,
                       max_tokens=400, user="customer-77", tool_choice="required",
                       parallel_tool_calls=False, **common)
    # 2. response_format json_schema, with tools beside it.
    _scenario("response-format")
    litellm.completion(model=model, messages=[
        {"role": "system", "content": SYSTEM},
        {"role": "user", "content": "Order A-1001 arrived broken. Am I owed a refund?"}],
        response_format=VERDICT_FORMAT, tools=TOOLS[:1], max_tokens=300, **common)
    # 3. Content parts: text, an image as a data URL, an image by https URL.
    _scenario("content-parts")
    litellm.completion(model=model, messages=[
        {"role": "system", "content": SYSTEM},
        {"role": "user", "content": [
            {"type": "text",
             "text": "Is this the teapot from my order? Compare with the shop photo."},
            {"type": "image_url", "image_url": {"url": PNG_DATA_URL}},
            {"type": "image_url", "image_url": {"url": IMAGE_URL, "detail": "low"}}]}],
        max_tokens=300, **common)
    # 4. Streaming with usage.
    _scenario("streaming")
    stream = litellm.completion(model=model, messages=[
        {"role": "system", "content": SYSTEM},
        {"role": "user", "content": "Which stores are open on Sunday?"}],
        stream=True, stream_options={"include_usage": True}, max_tokens=200, stop=["\n\n"],
        **common)
    for _ in stream:
        pass
    # 5. A 429 answer (no retries: one request).
    _scenario("rate-limited", "error429")
    with contextlib.suppress(Exception):  # the failure is what this scenario logs
        litellm.completion(model=model, messages=[
            {"role": "system", "content": SYSTEM},
            {"role": "user", "content": "Ping during a rate limit."}],
            max_tokens=50, num_retries=0, max_retries=0, **common)
    _scenario("")


def run_returned_message_scenarios(litellm: Any, model: str, api_base: str,
                                  session: str) -> None:
    """The caller appends LiteLLM's own response message (an object, not a dict), names its
    tool results, and uses the developer role and json_object."""
    common = {"api_base": api_base, "api_key": "sk-test-000", "litellm_session_id": session}
    _scenario("returned-message", "tool_calls")
    messages: list[Any] = [{"role": "developer", "content": "Answer in French."},
                           {"role": "user", "content": "Where is order A-1001?"}]
    first = litellm.completion(model=model, messages=messages, tools=TOOLS, max_tokens=250,
                               **common)
    messages.append(first.choices[0].message)
    for call in first.choices[0].message.tool_calls:
        messages.append({"role": "tool", "tool_call_id": call.id, "name": call.function.name,
                         "content": TOOL_RESULT_ORDER})
    _scenario("returned-message")
    second = litellm.completion(model=model, messages=messages, tools=TOOLS, max_tokens=250,
                                **common)
    messages.append(second.choices[0].message)
    messages.append({"role": "user", "content": "Reply as JSON with a field answer."})
    litellm.completion(model=model, messages=messages, tools=TOOLS, max_tokens=250,
                       response_format={"type": "json_object"}, **common)
    _scenario("")


def run_parameter_scenarios(litellm: Any, model: str, api_base: str, session: str) -> None:
    """Less common parameters and message shapes, one call each."""
    common = {"api_base": api_base, "api_key": "sk-test-000", "litellm_session_id": session}
    anthropic = model.startswith("anthropic/")
    _scenario("parameters")
    extra: dict[str, Any] = ({"thinking": {"type": "enabled", "budget_tokens": 1024}}
                             if anthropic else {"prompt_cache_key": "support-v1",
                                                "max_completion_tokens": 320})
    litellm.completion(model=model, messages=[
        {"role": "system", "content": SYSTEM, "cache_control": {"type": "ephemeral"}},
        {"role": "system", "content": "The customer is a VIP."},
        {"role": "user", "name": "camille", "content": "Check A-1001 please."},
        {"role": "assistant", "content": [{"type": "text", "text": "Looking it up. "}],
         "tool_calls": [{"id": "call:weird/1", "type": "function", "function": {
             "name": "lookup_order", "arguments": '{"order_id": "A-1001"}'}}]},
        {"role": "tool", "tool_call_id": "call:weird/1", "content": [
            {"type": "text", "text": TOOL_RESULT_ORDER},
            {"type": "text", "text": "(cached copy)"}]},
        {"role": "user", "content": "Thanks. Anything else to know?"}],
        tools=TOOLS, tool_choice={"type": "function", "function": {"name": "open_ticket"}},
        stop="END", user="camille@example.com", max_tokens=2048, **extra, **common)
    _scenario("")


def run_messages_passthrough(litellm: Any, model: str, api_base: str, session: str) -> None:
    """``litellm.anthropic.messages.create``: an Anthropic body given as is."""
    from litellm.anthropic_interface import messages as anthropic_messages

    _scenario("anthropic-messages-passthrough")
    asyncio.run(anthropic_messages.acreate(
        model=model, max_tokens=300, api_base=api_base, api_key="sk-test-000",
        system=SYSTEM, litellm_session_id=session,
        messages=[{"role": "user", "content": [
            {"type": "text", "text": "Is order A-1001 late?",
             "cache_control": {"type": "ephemeral"}}]}],
        tools=[{"name": "lookup_order", "description": "Find an order by its id.",
                "input_schema": TOOLS[0]["function"]["parameters"]}]))
    _scenario("")


def run_edge_scenarios(litellm: Any, model: str, api_base: str, session: str,
                       mock: str) -> None:
    """Calls the log reads partly or skips: an embedding, an async call, an image LiteLLM
    downloads, a late system message, reasoning_effort. (A LiteLLM cache hit is not made
    here: litellm 1.110.2's cache path imports its proxy, whose extras this venv lacks.)"""
    common = {"api_base": api_base, "api_key": "sk-test-000", "litellm_session_id": session}
    anthropic = model.startswith("anthropic/")
    _scenario("async-tools")

    async def ask() -> None:
        await litellm.acompletion(model=model, messages=[
            {"role": "system", "content": SYSTEM},
            {"role": "user", "content": "Stock of TP-BLUE in Lille?"}],
            tools=TOOLS, max_tokens=200, **common)
        await asyncio.sleep(1)  # the async success callback runs on this loop: let it

    asyncio.run(ask())
    _scenario("refused-image-url")
    with contextlib.suppress(Exception):  # LiteLLM refuses a loopback URL: nothing is sent
        litellm.completion(model=model, messages=[
            {"role": "user", "content": [
                {"type": "text", "text": "Blocked photo:"},
                {"type": "image_url", "image_url": {"url": f"{mock}/camera/blocked.png"}}]}],
            max_tokens=100, **common)
    litellm.user_url_allowed_hosts = [mock.split("//", 1)[1]]
    _scenario("downloaded-image-and-late-system")
    litellm.completion(model=model, messages=[
        {"role": "system", "content": SYSTEM},
        {"role": "user", "content": [
            {"type": "text", "text": "Photo from our warehouse camera:"},
            {"type": "image_url", "image_url": {"url": f"{mock}/camera/shelf-7.png"}}]},
        {"role": "assistant", "content": "I see the shelf."},
        {"role": "system", "content": "Reminder: be concise."},
        {"role": "user", "content": "Is the teapot there?"}],
        max_tokens=100, **common)
    litellm.user_url_allowed_hosts = []
    if anthropic:
        _scenario("reasoning-effort")
        litellm.completion(model=model, messages=[
            {"role": "user", "content": "Plan the restock for three stores."}],
            reasoning_effort="low", max_tokens=3000, **common)
    else:
        _scenario("embedding")
        litellm.embedding(model="openai/text-embedding-3-small", input=["blue teapot"],
                          **common)
    _scenario("")


def run_anthropic_only_scenarios(litellm: Any, model: str, api_base: str, session: str) -> None:
    common = {"api_base": api_base, "api_key": "sk-test-000",
              "litellm_session_id": session}
    # System blocks with cache_control, a cached tool result with list content, an image in
    # a tool result, a base64 image and an image URL in a user turn.
    _scenario("anthropic-cache-control")
    litellm.completion(model=model, messages=[
        {"role": "system", "content": [
            {"type": "text", "text": SYSTEM, "cache_control": {"type": "ephemeral"}},
            {"type": "text", "text": "Today the Nice store is closed."}]},
        {"role": "user", "content": [
            {"type": "text", "text": "Here is the photo of the damage.",
             "cache_control": {"type": "ephemeral"}},
            {"type": "image_url", "image_url": PNG_DATA_URL}]},
        {"role": "assistant", "content": "I will look up the order.", "tool_calls": [
            {"id": "toolu_01Lookup", "type": "function",
             "function": {"name": "lookup_order", "arguments": '{"order_id": "A-1001"}'}}]},
        {"role": "tool", "tool_call_id": "toolu_01Lookup", "content": [
            {"type": "text", "text": TOOL_RESULT_ORDER, "cache_control": {"type": "ephemeral"}}]},
        {"role": "user", "content": [{"type": "text", "text": "And the catalogue photo:"},
                                     {"type": "image_url", "image_url": {"url": IMAGE_URL}}]}],
        tools=TOOLS, max_tokens=500, temperature=0.0, top_p=0.9, user="customer-77", **common)
    _scenario("")


def run_responses_scenarios(litellm: Any, model: str, api_base: str, session: str) -> None:
    common = {"api_base": api_base, "api_key": "sk-test-000",
              "litellm_session_id": session}
    responses_tools = [{"type": "function", "name": tool["function"]["name"],
                        "description": tool["function"]["description"],
                        "parameters": tool["function"]["parameters"]} for tool in TOOLS]
    _scenario("responses-tools", "tool_calls")
    litellm.responses(model=model, input=[
        {"role": "user", "content": [
            {"type": "input_text", "text": "Where is order A-1001?"},
            {"type": "input_image", "image_url": IMAGE_URL, "detail": "low"}]}],
        instructions=SYSTEM, tools=responses_tools, max_output_tokens=300, temperature=0.2,
        **common)
    _scenario("responses-tool-output")
    litellm.responses(model=model, input=[
        {"role": "user", "content": "Where is order A-1001?"},
        {"type": "function_call", "call_id": "call_resp_1", "name": "lookup_order",
         "arguments": '{"order_id": "A-1001"}'},
        {"type": "function_call_output", "call_id": "call_resp_1", "output": TOOL_RESULT_ORDER}],
        instructions=SYSTEM, tools=responses_tools, max_output_tokens=300, temperature=0.2,
        **common)
    _scenario("responses-streaming")
    for _ in litellm.responses(model=model, input="Is the Lille store open today?",
                               instructions=SYSTEM, stream=True, **common):
        pass
    _scenario("responses-string-input")
    litellm.responses(model=model, input="Summarise our return policy in one line.",
                      instructions=SYSTEM, **common)
    _scenario("")


def main(argv: list[str]) -> int:
    out = Path(argv[0] if argv else ".")
    out.mkdir(parents=True, exist_ok=True)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Mock)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"

    import litellm
    from litellm.integrations.custom_logger import CustomLogger

    log_path = out / "standard_logging_payload.jsonl"
    log_path.write_text("")
    lock = threading.Lock()

    class JsonlLog(CustomLogger):  # type: ignore[misc]
        def _write(self, kwargs: dict[str, Any]) -> None:
            payload = kwargs.get("standard_logging_object")
            if payload is None:
                return
            payload = dict(payload)
            # LiteLLM's static price entry (~9 KB a row): not what this log is about.
            info = payload.get("model_map_information")
            if isinstance(info, dict):
                payload["model_map_information"] = {**info, "model_map_value": None}
            with lock, log_path.open("a") as log:
                log.write(json.dumps(payload, default=str) + "\n")

        def log_success_event(self, kwargs: Any, response_obj: Any, start_time: Any,
                              end_time: Any) -> None:
            self._write(kwargs)

        def log_failure_event(self, kwargs: Any, response_obj: Any, start_time: Any,
                              end_time: Any) -> None:
            self._write(kwargs)

        async def async_log_success_event(self, kwargs: Any, response_obj: Any,
                                          start_time: Any, end_time: Any) -> None:
            self._write(kwargs)

    litellm.callbacks = [JsonlLog()]
    litellm.disable_streaming_logging = False
    run_completion_scenarios(litellm, "openai/gpt-4o", f"{base}/v1", "sess-openai-1")
    run_returned_message_scenarios(litellm, "openai/gpt-4o", f"{base}/v1", "sess-openai-2")
    run_responses_scenarios(litellm, "openai/gpt-4o", f"{base}/v1", "sess-responses-1")
    run_parameter_scenarios(litellm, "openai/gpt-4o", f"{base}/v1", "sess-openai-3")
    run_edge_scenarios(litellm, "openai/gpt-4o", f"{base}/v1", "sess-openai-4", base)
    run_completion_scenarios(litellm, "anthropic/claude-sonnet-4-20250514", base,
                             "sess-anthropic-1")
    run_returned_message_scenarios(litellm, "anthropic/claude-sonnet-4-20250514", base,
                                  "sess-anthropic-3")
    run_anthropic_only_scenarios(litellm, "anthropic/claude-sonnet-4-20250514", base,
                                 "sess-anthropic-2")
    run_responses_scenarios(litellm, "anthropic/claude-sonnet-4-20250514", base,
                            "sess-anthropic-responses-1")
    run_parameter_scenarios(litellm, "anthropic/claude-sonnet-4-20250514", base,
                            "sess-anthropic-4")
    run_messages_passthrough(litellm, "anthropic/claude-sonnet-4-20250514", base,
                             "sess-anthropic-5")
    run_edge_scenarios(litellm, "anthropic/claude-sonnet-4-20250514", base,
                       "sess-anthropic-6", base)
    time.sleep(2)  # LiteLLM logs success from a thread pool: let it finish
    server.shutdown()
    with (out / "standard_logging_payload.truth.jsonl").open("w") as truth:
        for entry in RECEIVED:
            truth.write(json.dumps(entry) + "\n")
    print(f"{len(RECEIVED)} requests received; "
          f"{sum(1 for _ in log_path.open())} records logged", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
