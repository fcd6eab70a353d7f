"""A loopback stand-in for the OpenAI and Anthropic APIs, for the log generators beside it.

It answers ``/v1/chat/completions``, ``/v1/responses`` and ``/v1/messages`` with canned
results (usage included, streamed as server-sent events when the body asks), records every
request body it receives (the truth a log is compared with), and answers 429 to a body whose
text holds :data:`RATE_LIMIT`. Tracing endpoints (LangSmith's ``/runs/multipart``) are
recorded raw for the generator to decode. Usage comes from a prefix-cache simulation of the
bodies (4 characters make a token), like the shared samples': it is not a provider's.

Standard library only: the generators run it inside the scratch venv of the libraries.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

RATE_LIMIT = "PLEASE-ANSWER-429"
"""A body holding this text is answered 429 (and recorded with its status)."""


@dataclass
class Recorded:
    """What the mock received, in order."""

    calls: list[dict[str, Any]] = field(default_factory=list)
    """``{"provider", "request", "usage"}`` (``"status"`` too when refused), truth lines."""
    tracing: list[tuple[str, dict[str, str], bytes]] = field(default_factory=list)
    """(path, headers, raw body) of every other POST (a tracer's uploads)."""
    prefixes: list[str] = field(default_factory=list)


def _tokens(text: str) -> int:
    return max(1, len(text) // 4)


def _cached(recorded: Recorded, text: str) -> int:
    """The longest prefix shared with an earlier body, in whole 128-token blocks past 1024."""
    best = 0
    for earlier in recorded.prefixes:
        n = 0
        for a, b in zip(earlier, text, strict=False):
            if a != b:
                break
            n += 1
        best = max(best, n)
    recorded.prefixes.append(text)
    tokens = best // 4
    return 0 if tokens < 1024 else 1024 + (tokens - 1024) // 128 * 128


ANSWER = "Done: order 1042 ships Monday."
JSON_ANSWER = '{"title": "Dune", "author": "Frank Herbert"}'
"""What a structured-output call is answered, as a provider would: JSON text."""


def _answer(format_: Any) -> str:
    structured = isinstance(format_, dict) and format_.get("type") in ("json_schema",
                                                                       "json_object")
    return JSON_ANSWER if structured else ANSWER


def _chat(body: dict[str, Any], prompt: int, cached: int) -> tuple[dict[str, Any], dict[str, Any]]:
    usage = {"prompt_tokens": prompt, "completion_tokens": 9, "total_tokens": prompt + 9,
             "prompt_tokens_details": {"cached_tokens": cached, "audio_tokens": 0},
             "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0,
                                           "accepted_prediction_tokens": 0,
                                           "rejected_prediction_tokens": 0}}
    last = body["messages"][-1]
    message: dict[str, Any] = {"role": "assistant", "refusal": None,
                               "content": _answer(body.get("response_format"))}
    if body.get("tools") and last.get("role") == "user":
        tool = body["tools"][0]["function"]["name"]
        message = {"role": "assistant", "content": None, "refusal": None, "tool_calls": [
            {"id": f"call_{len(body['messages'])}", "type": "function",
             "function": {"name": tool, "arguments": '{"order_id": "1042"}'}}]}
    result = {"id": "chatcmpl-mock", "object": "chat.completion", "created": int(time.time()),
              "model": "gpt-4o-2024-08-06", "system_fingerprint": "fp_mock",
              "service_tier": "default",
              "choices": [{"index": 0, "message": message, "logprobs": None,
                           "finish_reason": "tool_calls" if "tool_calls" in message else "stop"}],
              "usage": usage}
    return result, usage


def _chat_stream(result: dict[str, Any], include_usage: bool) -> list[dict[str, Any]]:
    base = {key: result[key] for key in ("id", "created", "model", "system_fingerprint")}
    message = result["choices"][0]["message"]
    delta: dict[str, Any] = {"role": "assistant", "content": message["content"] or ""}
    if "tool_calls" in message:
        delta = {"role": "assistant", "content": None, "tool_calls": [
            {"index": 0, **call} for call in message["tool_calls"]]}
    chunks = [{**base, "object": "chat.completion.chunk", "choices": [
                  {"index": 0, "delta": delta, "finish_reason": None}]},
              {**base, "object": "chat.completion.chunk", "choices": [
                  {"index": 0, "delta": {}, "finish_reason":
                   result["choices"][0]["finish_reason"]}]}]
    if include_usage:
        chunks.append({**base, "object": "chat.completion.chunk", "choices": [],
                       "usage": result["usage"]})
    return chunks


def _responses(body: dict[str, Any], prompt: int,
               cached: int) -> tuple[dict[str, Any], dict[str, Any]]:
    usage = {"input_tokens": prompt, "input_tokens_details": {"cached_tokens": cached},
             "output_tokens": 9, "output_tokens_details": {"reasoning_tokens": 0},
             "total_tokens": prompt + 9}
    items = body["input"] if isinstance(body["input"], list) else []
    answered_tool = any(isinstance(i, dict) and i.get("type") == "function_call_output"
                        for i in items)
    if body.get("tools") and not answered_tool:
        output: list[dict[str, Any]] = [{
            "type": "function_call", "id": "fc_mock", "call_id": "call_mock",
            "name": body["tools"][0]["name"], "arguments": '{"order_id": "1042"}',
            "status": "completed"}]
    else:
        output = [{"type": "message", "id": "msg_mock", "status": "completed",
                   "role": "assistant", "content": [
                       {"type": "output_text", "annotations": [],
                        "text": _answer((body.get("text") or {}).get("format"))}]}]
    result = {"id": "resp_mock", "object": "response", "created_at": int(time.time()),
              "status": "completed", "model": "gpt-4o-2024-08-06", "output": output,
              "parallel_tool_calls": True, "tool_choice": "auto", "tools": [],
              "usage": usage, "error": None, "incomplete_details": None,
              "instructions": body.get("instructions"), "metadata": {},
              "temperature": 1.0, "top_p": 1.0,
              "text": body.get("text") or {"format": {"type": "text"}}}
    return result, usage


def _responses_stream(result: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    pending = {**result, "status": "in_progress", "output": [], "usage": None}
    events: list[tuple[str, dict[str, Any]]] = [
        ("response.created", {"type": "response.created", "sequence_number": 0,
                              "response": pending})]
    for n, item in enumerate(result["output"]):
        events.append(("response.output_item.added", {
            "type": "response.output_item.added", "sequence_number": len(events),
            "output_index": n, "item": item}))
        events.append(("response.output_item.done", {
            "type": "response.output_item.done", "sequence_number": len(events),
            "output_index": n, "item": item}))
    events.append(("response.completed", {"type": "response.completed",
                                          "sequence_number": len(events), "response": result}))
    return events


def _messages(body: dict[str, Any], prompt: int,
              cached: int) -> tuple[dict[str, Any], dict[str, Any]]:
    marked = "cache_control" in json.dumps(body)
    read = cached if marked else 0
    write = (prompt - read) // 2 if marked else 0
    usage = {"input_tokens": prompt - read - write, "cache_read_input_tokens": read,
             "cache_creation_input_tokens": write, "output_tokens": 9}
    last = body["messages"][-1]
    content: list[dict[str, Any]] = [{"type": "text", "text": ANSWER}]
    last_is_text = isinstance(last.get("content"), str) or not any(
        part.get("type") == "tool_result" for part in last["content"])
    if body.get("tools") and last["role"] == "user" and last_is_text:
        content = [{"type": "tool_use", "id": f"toolu_{len(body['messages'])}",
                    "name": body["tools"][0]["name"], "input": {"order_id": "1042"}}]
    result = {"id": "msg_mock", "type": "message", "role": "assistant",
              "model": "claude-sonnet-4-20250514", "content": content,
              "stop_reason": "tool_use" if content[0]["type"] == "tool_use" else "end_turn",
              "stop_sequence": None, "usage": usage}
    return result, usage


def _messages_stream(result: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    usage = result["usage"]
    start = {**result, "content": [], "stop_reason": None,
             "usage": {**usage, "output_tokens": 1}}
    events: list[tuple[str, dict[str, Any]]] = [
        ("message_start", {"type": "message_start", "message": start})]
    for n, block in enumerate(result["content"]):
        if block["type"] == "text":
            events += [("content_block_start", {"type": "content_block_start", "index": n,
                                                "content_block": {"type": "text", "text": ""}}),
                       ("content_block_delta", {"type": "content_block_delta", "index": n,
                                                "delta": {"type": "text_delta",
                                                          "text": block["text"]}})]
        else:
            events += [("content_block_start", {"type": "content_block_start", "index": n,
                                                "content_block": {**block, "input": {}}}),
                       ("content_block_delta", {"type": "content_block_delta", "index": n,
                                                "delta": {"type": "input_json_delta",
                                                          "partial_json": json.dumps(
                                                              block["input"])}})]
        events.append(("content_block_stop", {"type": "content_block_stop", "index": n}))
    events += [("message_delta", {"type": "message_delta",
                                  "delta": {"stop_reason": result["stop_reason"],
                                            "stop_sequence": None},
                                  "usage": {"output_tokens": usage["output_tokens"]}}),
               ("message_stop", {"type": "message_stop"})]
    return events


class _Handler(BaseHTTPRequestHandler):
    recorded: Recorded

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self._send(404, {"detail": "not found"})

    def do_PATCH(self) -> None:
        self.do_POST()

    def do_POST(self) -> None:
        raw = self.rfile.read(int(self.headers.get("content-length") or 0))
        path = self.path.split("?", 1)[0]
        if not path.startswith("/v1/") or path.rsplit("/", 1)[-1] not in (
                "completions", "responses", "messages"):
            self.recorded.tracing.append((path, dict(self.headers), raw))
            self._send(202, {})
            return
        body = json.loads(raw)
        provider = "anthropic" if path.endswith("/messages") else "openai"
        text = json.dumps(body, sort_keys=False)
        if RATE_LIMIT in text:
            self.recorded.calls.append({"provider": provider, "request": body, "usage": None,
                                        "status": 429})
            self._send(429, {"error": {"message": "Rate limit reached (mock)",
                                       "type": "rate_limit_error", "code": "rate_limit"}},
                       {"retry-after": "0"})
            return
        prompt = _tokens(text)
        cached = _cached(self.recorded, text)
        if path.endswith("/chat/completions"):
            result, usage = _chat(body, prompt, cached)
        elif path.endswith("/responses"):
            result, usage = _responses(body, prompt, cached)
        else:
            result, usage = _messages(body, prompt, cached)
        self.recorded.calls.append({"provider": provider, "request": body, "usage": usage})
        if not body.get("stream"):
            self._send(200, result)
        elif path.endswith("/chat/completions"):
            include = bool((body.get("stream_options") or {}).get("include_usage"))
            self._stream([(None, chunk) for chunk in _chat_stream(result, include)], done=True)
        elif path.endswith("/responses"):
            self._stream(list(_responses_stream(result)), done=False)
        else:
            self._stream(list(_messages_stream(result)), done=False)

    def _send(self, status: int, payload: dict[str, Any],
              headers: dict[str, str] | None = None) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)

    def _stream(self, events: list[tuple[str | None, dict[str, Any]]], *, done: bool) -> None:
        self.send_response(200)
        self.send_header("content-type", "text/event-stream")
        self.send_header("connection", "close")
        self.end_headers()
        for name, data in events:
            prefix = f"event: {name}\n" if name else ""
            self.wfile.write(f"{prefix}data: {json.dumps(data)}\n\n".encode())
        if done:
            self.wfile.write(b"data: [DONE]\n\n")
        self.wfile.flush()
        self.close_connection = True


def serve() -> tuple[ThreadingHTTPServer, Recorded, str]:
    """A running mock on a free loopback port, what it records, and its base URL."""
    recorded = Recorded()
    handler = type("Handler", (_Handler,), {"recorded": recorded})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, recorded, f"http://127.0.0.1:{server.server_address[1]}"


def write_case(folder: Path, log_name: str, log: list[dict[str, Any]],
               recorded: Recorded) -> None:
    """``folder/<log_name>.jsonl`` (the library's log, one record a line) and
    ``folder/<log_name>.truth.jsonl`` (the bodies received)."""
    folder.mkdir(parents=True, exist_ok=True)
    for path, rows in ((folder / f"{log_name}.jsonl", log),
                       (folder / f"{log_name.split('.')[0]}.truth.jsonl", recorded.calls)):
        with open(path, "w", encoding="utf-8") as out:
            for row in rows:
                out.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(f"{len(recorded.calls)} calls, {len(log)} log records -> {folder}")
