"""Make OpenTelemetry GenAI logs with the real instrumentations, and the bodies they stood for.

Run by hand (never by pytest), in a scratch venv OUTSIDE the project's, with the versions the
shared samples were made with (``../shared/samples/formats/README.md``)::

    python3 -m venv /tmp/otel-libs
    /tmp/otel-libs/bin/pip install openai==3.60.0 anthropic==2.17.0 \
        opentelemetry-sdk==1.45.2 opentelemetry-exporter-otlp-proto-common==1.45.2 \
        openinference-instrumentation-openai==0.1.66 \
        openinference-instrumentation-anthropic==3.1.0 \
        opentelemetry-instrumentation-openai==0.62.4 \
        opentelemetry-instrumentation-anthropic==0.62.4 \
        opentelemetry-instrumentation-openai-v2==2.4b0 opentelemetry-util-genai==1.1b0 httpx
    /tmp/otel-libs/bin/python tests/input_formats/generate/otel.py          # every dialect
    /tmp/otel-libs/bin/python tests/input_formats/generate/otel.py traceloop_openai

Each instrumentation runs in a process of its own (they patch the same SDK methods) and
writes ``tests/input_formats/cases/otel/generated/<name>/traces.otlp.jsonl`` (one OTLP/JSON
``ExportTraceServiceRequest`` per session, encoded as the collector's file exporter does:
hex ids, enums as integers, int64 as strings) and ``traces.truth.jsonl`` (one line per
request the mock received, in order: ``{"provider", "endpoint", "request", "usage"}``;
``usage`` is null for a refused request).

The provider is a loopback mock (``http.server`` on 127.0.0.1, a free port) answering
``/v1/chat/completions``, ``/v1/responses`` and ``/v1/messages``, streamed or not, with a
usage of its own making (4 characters a token, a prefix cache over the bodies seen). A
request whose model ends ``-ratelimited`` is answered 429. Keys are fakes; nothing leaves
the machine. The prompts, tools and images below are ours, written for these logs.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

OUT = Path(__file__).resolve().parents[1] / "cases" / "otel" / "generated"
DIALECTS = (
    "openinference_openai",
    "openinference_anthropic",
    "traceloop_openai",
    "traceloop_anthropic",
    "openai_v2_latest",
)
# A 1x1 PNG: an image part without shipping a picture.
PNG = base64.b64encode(
    bytes.fromhex(
        "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
        "1f15c4890000000d49444154789c6360f8cfc0f01f0005000201e2ef8a3a0000000049454e44ae426082"
    )
).decode()
IMAGE_URL = "https://images.example.test/receipt-2291.png"


# ---------------------------------------------------------------- the mock provider


class Mock:
    """The loopback provider: records each body, answers with a canned result."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self._seen: list[str] = []
        self._lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def _cached(self, text: str) -> int:
        best = 0
        for earlier in self._seen:
            common = 0
            for left, right in zip(earlier, text, strict=False):
                if left != right:
                    break
                common += 1
            best = max(best, common)
        self._seen.append(text)
        return (best // 4) // 64 * 64

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        mock = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers["content-length"]))
                body = json.loads(raw)
                provider = "anthropic" if self.path.endswith("/messages") else "openai"
                with mock._lock:
                    line: dict[str, Any] = {
                        "provider": provider,
                        "endpoint": self.path,
                        "request": body,
                        "usage": None,
                    }
                    mock.received.append(line)
                    if str(body.get("model", "")).endswith("-ratelimited"):
                        self._send(429, _error(provider))
                        return
                    prompt = len(raw) // 4
                    cached = mock._cached(raw.decode())
                if self.path.endswith("/embeddings"):
                    line["usage"] = {"prompt_tokens": prompt, "total_tokens": prompt}
                    self._send(200, _embeddings(body, line["usage"]))
                elif self.path.endswith("/chat/completions"):
                    line["usage"] = _chat_usage(prompt, cached)
                    self._answer(
                        line,
                        _chat(body, line["usage"]),
                        "chatcmpl-gen",
                        lambda result: _chat_chunks(result, body),
                    )
                elif self.path.endswith("/responses"):
                    line["usage"] = _responses_usage(prompt, cached)
                    self._answer(line, _response(body, line["usage"]), "resp_gen", _response_events)
                else:
                    line["usage"] = _messages_usage(prompt, cached, body)
                    self._answer(line, _message(body, line["usage"]), "msg_gen", _message_events)

            def _answer(
                self,
                line: dict[str, Any],
                result: dict[str, Any],
                id_prefix: str,
                events: Callable[[dict[str, Any]], list[dict[str, Any]]],
            ) -> None:
                # A response id of its own per request: the truth line names it, so that
                # a test pairs each logged call with the request it stands for.
                result["id"] = line["response_id"] = f"{id_prefix}{len(mock.received):04d}"
                if line["request"].get("stream"):
                    chat = id_prefix.startswith("chatcmpl")
                    self._stream(events(result), done=chat)
                else:
                    self._send(200, result)

            def _send(self, status: int, value: Any) -> None:
                data = json.dumps(value).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.send_header("request-id", f"req_{len(mock.received):04d}")
                self.end_headers()
                self.wfile.write(data)

            def _stream(self, events: list[dict[str, Any]], done: bool) -> None:
                self.send_response(200)
                self.send_header("content-type", "text/event-stream")
                self.end_headers()
                for event in events:
                    kind = event.get("type")
                    prefix = f"event: {kind}\n" if kind and not done else ""
                    self.wfile.write(f"{prefix}data: {json.dumps(event)}\n\n".encode())
                if done:
                    self.wfile.write(b"data: [DONE]\n\n")
                self.wfile.flush()

        return Handler


def _error(provider: str) -> dict[str, Any]:
    if provider == "anthropic":
        return {"type": "error", "error": {"type": "rate_limit_error", "message": "slow down"}}
    return {"error": {"message": "Rate limit reached", "type": "requests", "code": "rate_limit"}}


def _embeddings(body: dict[str, Any], usage: dict[str, Any]) -> dict[str, Any]:
    texts = body["input"] if isinstance(body["input"], list) else [body["input"]]
    return {
        "object": "list",
        "model": body["model"],
        "data": [
            {"object": "embedding", "index": index, "embedding": [0.25, -0.5, 0.125]}
            for index in range(len(texts))
        ],
        "usage": usage,
    }


def _chat_usage(prompt: int, cached: int) -> dict[str, Any]:
    return {
        "prompt_tokens": prompt,
        "completion_tokens": 12,
        "total_tokens": prompt + 12,
        "prompt_tokens_details": {"cached_tokens": cached, "audio_tokens": 0},
        "completion_tokens_details": {"reasoning_tokens": 0},
    }


def _responses_usage(prompt: int, cached: int) -> dict[str, Any]:
    return {
        "input_tokens": prompt,
        "input_tokens_details": {"cached_tokens": cached},
        "output_tokens": 12,
        "output_tokens_details": {"reasoning_tokens": 0},
        "total_tokens": prompt + 12,
    }


def _messages_usage(prompt: int, cached: int, body: dict[str, Any]) -> dict[str, Any]:
    # Anthropic caches only up to a breakpoint: no cache_control, no cache activity.
    marked = "cache_control" in json.dumps(body)
    read = cached if marked else 0
    write = (prompt - read) // 2 if marked else 0
    return {
        "input_tokens": prompt - read - write,
        "cache_read_input_tokens": read,
        "cache_creation_input_tokens": write,
        "output_tokens": 12,
    }


def _wants_tool(body: dict[str, Any]) -> str | None:
    """The tool to call when the last turn is the user's and tools were given."""
    tools = body.get("tools") or []
    if not tools or body.get("_no_tool"):
        return None
    last = (body.get("messages") or body.get("input") or [None])[-1]
    if isinstance(body.get("input"), str):
        last = {"role": "user"}
    if not isinstance(last, dict) or last.get("role") != "user":
        return None
    if isinstance(last.get("content"), list) and any(
        isinstance(block, dict) and block.get("type") == "tool_result" for block in last["content"]
    ):
        return None
    tool = tools[0]
    return str(tool.get("name") or tool.get("function", {}).get("name"))


def _chat(body: dict[str, Any], usage: dict[str, Any]) -> dict[str, Any]:
    tool = _wants_tool(body)
    wants_json = (body.get("response_format") or {}).get("type", "text") != "text"
    message: dict[str, Any] = {
        "role": "assistant",
        "content": None
        if tool
        else '{"category": "other", "urgent": false}'
        if wants_json
        else "Done: order 2291 ships Monday.",
    }
    if tool:
        message["tool_calls"] = [
            {
                "id": "call_m0ck",
                "type": "function",
                "function": {"name": tool, "arguments": '{"order_id": "2291"}'},
            }
        ]
    return {
        "id": f"chatcmpl-mock{len(json.dumps(body)) % 9973}",
        "object": "chat.completion",
        "created": 1796400000,
        "model": f"{body['model']}-2024-08-06",
        "choices": [
            {
                "index": 0,
                "message": message,
                "finish_reason": "tool_calls" if tool else "stop",
                "logprobs": None,
            }
        ],
        "usage": usage,
        "system_fingerprint": "fp_mock",
    }


def _chat_chunks(result: dict[str, Any], body: dict[str, Any]) -> list[dict[str, Any]]:
    base = {key: result[key] for key in ("id", "created", "model", "system_fingerprint")}
    base["object"] = "chat.completion.chunk"
    message = result["choices"][0]["message"]
    chunks = [
        {
            **base,
            "choices": [
                {"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": None}
            ],
        }
    ]
    if message.get("tool_calls"):
        call = message["tool_calls"][0]
        chunks.append(
            {
                **base,
                "choices": [
                    {
                        "index": 0,
                        "delta": {"tool_calls": [{"index": 0, **call}]},
                        "finish_reason": None,
                    }
                ],
            }
        )
    else:
        for word in message["content"].split(" "):
            chunks.append(
                {
                    **base,
                    "choices": [
                        {"index": 0, "delta": {"content": word + " "}, "finish_reason": None}
                    ],
                }
            )
    chunks.append(
        {
            **base,
            "choices": [
                {"index": 0, "delta": {}, "finish_reason": result["choices"][0]["finish_reason"]}
            ],
        }
    )
    if (body.get("stream_options") or {}).get("include_usage"):
        chunks.append({**base, "choices": [], "usage": result["usage"]})
    return chunks


def _response(body: dict[str, Any], usage: dict[str, Any]) -> dict[str, Any]:
    tool = _wants_tool(body)
    structured = ((body.get("text") or {}).get("format") or {}).get("type") == "json_schema"
    text = '{"category": "other"}' if structured else "Refund issued."
    if tool:
        output: list[dict[str, Any]] = [
            {
                "type": "function_call",
                "id": "fc_m0ck",
                "call_id": "call_r0ck",
                "name": tool,
                "arguments": '{"order_id": "2291"}',
                "status": "completed",
            }
        ]
    else:
        output = [
            {
                "type": "message",
                "id": "msg_m0ck",
                "role": "assistant",
                "status": "completed",
                "content": [{"type": "output_text", "text": text, "annotations": []}],
            }
        ]
    return {
        "id": f"resp_mock{len(json.dumps(body)) % 9973:04d}",
        "object": "response",
        "created_at": 1796400000,
        "status": "completed",
        "model": f"{body['model']}-2024-08-06",
        "output": output,
        "parallel_tool_calls": True,
        "tool_choice": "auto",
        "tools": body.get("tools") or [],
        "instructions": body.get("instructions"),
        "temperature": body.get("temperature"),
        "top_p": 1.0,
        "max_output_tokens": body.get("max_output_tokens"),
        "text": {"format": {"type": "text"}},
        "usage": usage,
        "error": None,
        "incomplete_details": None,
        "metadata": {},
    }


def _response_events(result: dict[str, Any]) -> list[dict[str, Any]]:
    started = {**result, "status": "in_progress", "output": [], "usage": None}
    events: list[dict[str, Any]] = [{"type": "response.created", "response": started}]
    for index, item in enumerate(result["output"]):
        events.append({"type": "response.output_item.added", "output_index": index, "item": item})
        events.append({"type": "response.output_item.done", "output_index": index, "item": item})
    events.append({"type": "response.completed", "response": result})
    return [{**event, "sequence_number": number} for number, event in enumerate(events)]


def _message(body: dict[str, Any], usage: dict[str, Any]) -> dict[str, Any]:
    tool = _wants_tool(body)
    content: list[dict[str, Any]] = (
        [{"type": "tool_use", "id": "toolu_m0ck", "name": tool, "input": {"order_id": "2291"}}]
        if tool
        else [{"type": "text", "text": "Your replacement is on its way."}]
    )
    return {
        "id": f"msg_mock{len(json.dumps(body)) % 9973:04d}",
        "type": "message",
        "role": "assistant",
        "model": body["model"],
        "content": content,
        "stop_reason": "tool_use" if tool else "end_turn",
        "stop_sequence": None,
        "usage": usage,
    }


def _message_events(result: dict[str, Any]) -> list[dict[str, Any]]:
    start = {
        **result,
        "content": [],
        "stop_reason": None,
        "usage": {**result["usage"], "output_tokens": 1},
    }
    events: list[dict[str, Any]] = [{"type": "message_start", "message": start}]
    for index, block in enumerate(result["content"]):
        if block["type"] == "text":
            events.append(
                {
                    "type": "content_block_start",
                    "index": index,
                    "content_block": {"type": "text", "text": ""},
                }
            )
            events.append(
                {
                    "type": "content_block_delta",
                    "index": index,
                    "delta": {"type": "text_delta", "text": block["text"]},
                }
            )
        else:
            events.append(
                {
                    "type": "content_block_start",
                    "index": index,
                    "content_block": {**block, "input": {}},
                }
            )
            events.append(
                {
                    "type": "content_block_delta",
                    "index": index,
                    "delta": {
                        "type": "input_json_delta",
                        "partial_json": json.dumps(block["input"]),
                    },
                }
            )
        events.append({"type": "content_block_stop", "index": index})
    events.append(
        {
            "type": "message_delta",
            "delta": {"stop_reason": result["stop_reason"], "stop_sequence": None},
            "usage": {"output_tokens": result["usage"]["output_tokens"]},
        }
    )
    events.append({"type": "message_stop"})
    return events


# ---------------------------------------------------------------- the content

SYSTEM = (
    "You are Juniper, the returns assistant of Hollow Pine Outfitters (camping gear).\n"
    "Rules: confirm the order id before any refund; never promise delivery dates; "
    "quote the returns policy verbatim when asked; escalate damaged stoves to a human.\n"
    + "Policy: items may be returned within 60 days with the receipt. "
    * 4
)
LOOKUP = {
    "name": "lookup_order",
    "description": "Find an order by id and return its lines, status and shipping address.",
    "parameters": {
        "type": "object",
        "properties": {
            "order_id": {"type": "string", "pattern": "^[0-9]{4}$"},
            "include": {
                "type": "array",
                "items": {"type": "string", "enum": ["lines", "address", "payments"]},
            },
        },
        "required": ["order_id"],
        "additionalProperties": False,
    },
}
REFUND = {
    "name": "issue_refund",
    "description": "Refund some lines of an order to the original payment method.",
    "parameters": {
        "type": "object",
        "properties": {
            "order_id": {"type": "string"},
            "lines": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "sku": {"type": "string"},
                        "quantity": {"type": "integer", "minimum": 1},
                        "reason": {
                            "type": "string",
                            "enum": ["damaged", "wrong_item", "changed_mind"],
                        },
                    },
                    "required": ["sku", "quantity"],
                },
            },
            "note": {"type": ["string", "null"]},
        },
        "required": ["order_id", "lines"],
    },
}
LABEL = {
    "name": "print_return_label",
    "description": "Create a prepaid return label.",
    "parameters": {
        "type": "object",
        "properties": {
            "carrier": {"type": "string", "enum": ["ups", "usps"]},
            "address": {
                "type": "object",
                "properties": {"street": {"type": "string"}, "zip": {"type": "string"}},
            },
        },
    },
}


def chat_tools() -> list[dict[str, Any]]:
    return [{"type": "function", "function": tool} for tool in (LOOKUP, REFUND, LABEL)]


def flat_tools() -> list[dict[str, Any]]:
    return [{"type": "function", **tool} for tool in (LOOKUP, REFUND, LABEL)]


def anthropic_tools(marked: bool) -> list[dict[str, Any]]:
    tools: list[dict[str, Any]] = [
        {
            "name": tool["name"],
            "description": tool["description"],
            "input_schema": tool["parameters"],
        }
        for tool in (LOOKUP, REFUND, LABEL)
    ]
    if marked:
        tools[-1]["cache_control"] = {"type": "ephemeral"}
    return tools


def openai_scenarios(client: Any) -> list[tuple[str, Callable[[], None]]]:
    model = "gpt-4o"

    def tool_turns() -> None:
        history: list[dict[str, Any]] = [
            {"role": "system", "content": SYSTEM},
            {
                "role": "user",
                "content": "Order 2291 arrived with a cracked stove. Refund it please.",
            },
        ]

        def send(**extra: Any) -> None:
            client.chat.completions.create(
                model=model,
                messages=history,
                tools=chat_tools(),
                temperature=0.3,
                max_tokens=400,
                user="cust-118",
                **extra,
            )

        send()
        history += [
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": "call_a1",
                        "type": "function",
                        "function": {
                            "name": "lookup_order",
                            "arguments": '{"order_id": "2291", "include": ["lines"]}',
                        },
                    },
                    {
                        "id": "call_a2",
                        "type": "function",
                        "function": {
                            "name": "print_return_label",
                            "arguments": '{"carrier": "ups"}',
                        },
                    },
                ],
            },
            {
                "role": "tool",
                "tool_call_id": "call_a1",
                "content": '{"lines": [{"sku": "STV-2", "qty": 1, "price": 89.5}]}',
            },
            {"role": "tool", "tool_call_id": "call_a2", "content": "label LBL-77 created"},
        ]
        send(tool_choice="auto", parallel_tool_calls=True)
        history += [
            {"role": "assistant", "content": "I found the stove (STV-2). Shall I refund 89.50?"},
            {"role": "user", "content": "Yes, and note it was damaged in transit."},
        ]
        send(tool_choice={"type": "function", "function": {"name": "issue_refund"}}, seed=7)

    def structured() -> None:
        client.chat.completions.create(
            model=model,
            messages=[
                {"role": "developer", "content": "Classify the customer's message."},
                {"role": "user", "content": "The tent poles snapped on day two."},
            ],
            response_format={
                "type": "json_schema",
                "json_schema": {
                    "name": "triage",
                    "strict": True,
                    "schema": {
                        "type": "object",
                        "properties": {
                            "category": {"type": "string", "enum": ["damage", "late", "other"]},
                            "urgent": {"type": "boolean"},
                        },
                        "required": ["category", "urgent"],
                        "additionalProperties": False,
                    },
                },
            },
            max_tokens=100,
        )
        client.chat.completions.create(
            model=model,
            messages=[
                {"role": "system", "content": "Reply in JSON."},
                {"role": "user", "content": "Is order 2291 refundable?"},
            ],
            response_format={"type": "json_object"},
            max_tokens=100,
            stop=["\n\n"],
        )

    def images() -> None:
        client.chat.completions.create(
            model=model,
            messages=[
                {"role": "system", "content": SYSTEM},
                {
                    "role": "user",
                    "content": [
                        {"type": "text", "text": "Here is the damage and the receipt."},
                        {
                            "type": "image_url",
                            "image_url": {"url": f"data:image/png;base64,{PNG}", "detail": "low"},
                        },
                        {"type": "image_url", "image_url": {"url": IMAGE_URL}},
                    ],
                },
            ],
            max_tokens=300,
        )
        client.chat.completions.create(
            model=model,
            messages=[
                {
                    "role": "user",
                    "content": [
                        {"type": "text", "text": "First part."},
                        {"type": "text", "text": "Second part."},
                    ],
                },
            ],
            max_tokens=50,
        )

    def streaming() -> None:
        def consume(question: str, **extra: Any) -> None:
            stream = client.chat.completions.create(
                model=model,
                stream=True,
                stream_options={"include_usage": True},
                messages=[
                    {"role": "system", "content": SYSTEM},
                    {"role": "user", "content": question},
                ],
                **extra,
            )
            for _ in stream:
                pass

        consume("Where is order 2291?", tools=chat_tools(), temperature=0.1)
        consume("Thanks, that is all.", max_tokens=60)

    def responses() -> None:
        client.responses.create(
            model=model,
            input="What is your returns window?",
            instructions=SYSTEM,
            max_output_tokens=200,
        )
        client.responses.create(
            model=model,
            instructions=SYSTEM,
            tools=flat_tools(),
            temperature=0.2,
            input=[
                {"role": "user", "content": "Refund the stove from order 2291."},
                {
                    "type": "function_call",
                    "call_id": "call_r1",
                    "name": "lookup_order",
                    "arguments": '{"order_id": "2291"}',
                },
                {
                    "type": "function_call_output",
                    "call_id": "call_r1",
                    "output": '{"lines": [{"sku": "STV-2", "qty": 1}]}',
                },
            ],
        )
        client.responses.create(
            model=model,
            input=[
                {"role": "system", "content": "Describe what you see."},
                {
                    "role": "user",
                    "content": [
                        {"type": "input_text", "text": "Is this stove damaged?"},
                        {"type": "input_image", "image_url": f"data:image/png;base64,{PNG}"},
                    ],
                },
            ],
        )
        stream = client.responses.create(
            model=model, input="Say goodbye.", instructions="Be brief.", stream=True
        )
        for _ in stream:
            pass

    def more() -> None:
        from pydantic import BaseModel

        class Triage(BaseModel):
            category: str
            urgent: bool

        # parse() sends the model's JSON schema as response_format.
        client.chat.completions.parse(
            model=model,
            messages=[
                {"role": "system", "content": "Triage the message.", "name": "triage_bot"},
                {"role": "user", "content": "My lantern flickers.", "name": "dana"},
            ],
            response_format=Triage,
            max_completion_tokens=80,
        )
        client.chat.completions.create(
            model=model,
            messages=[
                {"role": "user", "content": "Check order 2291 and 2292."},
                {
                    "role": "assistant",
                    "content": "Checking both now.",
                    "tool_calls": [
                        {
                            "id": "call_b1",
                            "type": "function",
                            "function": {
                                "name": "lookup_order",
                                "arguments": '{"order_id":"2291"}',
                            },
                        }
                    ],
                },
                {
                    "role": "tool",
                    "tool_call_id": "call_b1",
                    "content": [{"type": "text", "text": "shipped"}],
                },
            ],
            tools=chat_tools()[:1],
            n=1,
        )
        client.responses.create(
            model=model,
            input=[{"role": "user", "content": "Classify: the zipper broke."}],
            text={
                "format": {
                    "type": "json_schema",
                    "name": "triage",
                    "schema": {
                        "type": "object",
                        "properties": {"category": {"type": "string"}},
                        "required": ["category"],
                        "additionalProperties": False,
                    },
                    "strict": True,
                }
            },
        )
        with client.responses.stream(
            model=model, input="One word: thanks?", instructions="Answer in one word."
        ) as events:
            for _ in events:
                pass

    def embeddings() -> None:
        # Not a prompt to cache: read as a skipped call, never a chat call.
        client.embeddings.create(
            model="text-embedding-3-small", input=["cracked stove", "late delivery"]
        )

    def refused() -> None:
        try:
            client.chat.completions.create(
                model="gpt-4o-ratelimited",
                messages=[{"role": "user", "content": "Are you there?"}],
                max_tokens=20,
            )
        except Exception as error:  # the 429 the mock answers
            print("  expected:", type(error).__name__)

    return [
        ("tool_turns", tool_turns),
        ("structured", structured),
        ("images", images),
        ("streaming", streaming),
        ("responses", responses),
        ("more", more),
        ("embeddings", embeddings),
        ("refused", refused),
    ]


def anthropic_scenarios(client: Any) -> list[tuple[str, Callable[[], None]]]:
    model = "claude-sonnet-4-20250514"
    system_blocks = [
        {"type": "text", "text": SYSTEM, "cache_control": {"type": "ephemeral"}},
        {"type": "text", "text": "Today the warehouse in Reno is closed."},
    ]

    def tool_turns() -> None:
        history: list[dict[str, Any]] = [
            {"role": "user", "content": "My stove from order 2291 is cracked."},
        ]

        def send(**extra: Any) -> None:
            client.messages.create(
                model=model,
                system=system_blocks,
                messages=history,
                tools=anthropic_tools(True),
                max_tokens=500,
                **extra,
            )

        send(metadata={"user_id": "cust-118"})
        history += [
            {
                "role": "assistant",
                "content": [
                    {"type": "text", "text": "Let me look that up."},
                    {
                        "type": "tool_use",
                        "id": "toolu_a1",
                        "name": "lookup_order",
                        "input": {"order_id": "2291", "include": ["lines"]},
                    },
                    {
                        "type": "tool_use",
                        "id": "toolu_a2",
                        "name": "print_return_label",
                        "input": {"carrier": "usps", "address": {"zip": "89501"}},
                    },
                ],
            },
            {
                "role": "user",
                "content": [
                    {
                        "type": "tool_result",
                        "tool_use_id": "toolu_a1",
                        "content": '{"lines": [{"sku": "STV-2"}]}',
                    },
                    {
                        "type": "tool_result",
                        "tool_use_id": "toolu_a2",
                        "is_error": True,
                        "content": [{"type": "text", "text": "carrier unavailable"}],
                    },
                ],
            },
        ]
        send(tool_choice={"type": "auto"})
        history += [
            {"role": "assistant", "content": "USPS is down; shall I refund instead?"},
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "Yes please.", "cache_control": {"type": "ephemeral"}}
                ],
            },
        ]
        send()

    def images() -> None:
        client.messages.create(
            model=model,
            max_tokens=300,
            system=SYSTEM,
            cache_control={"type": "ephemeral"},
            messages=[
                {
                    "role": "user",
                    "content": [
                        {"type": "text", "text": "Photo of the damage:"},
                        {
                            "type": "image",
                            "source": {"type": "base64", "media_type": "image/png", "data": PNG},
                        },
                        {"type": "image", "source": {"type": "url", "url": IMAGE_URL}},
                    ],
                }
            ],
        )

    def streaming() -> None:
        stream = client.messages.create(
            model=model,
            max_tokens=200,
            stream=True,
            system=system_blocks,
            messages=[{"role": "user", "content": "Where is my order 2291?"}],
            tools=anthropic_tools(False),
        )
        for _ in stream:
            pass
        with client.messages.stream(
            model=model,
            max_tokens=200,
            system="Be brief.",
            messages=[
                {"role": "user", "content": "Thanks!"},
                {"role": "assistant", "content": "You're welcome."},
                {"role": "user", "content": "Bye."},
            ],
            stop_sequences=["END"],
        ) as events:
            for _ in events:
                pass

    def more() -> None:
        client.messages.create(
            model=model,
            max_tokens=2000,
            thinking={"type": "enabled", "budget_tokens": 1024},
            system=[{"type": "text", "text": "You read receipts."}],
            messages=[
                {
                    "role": "user",
                    "content": [
                        {
                            "type": "document",
                            "source": {
                                "type": "text",
                                "media_type": "text/plain",
                                "data": "Receipt 2291: stove 89.50, fuel 7.00",
                            },
                            "cache_control": {"type": "ephemeral"},
                        },
                        {"type": "text", "text": "What did the fuel cost?"},
                    ],
                },
            ],
        )
        client.messages.create(
            model=model,
            max_tokens=300,
            tools=anthropic_tools(False)[:1],
            tool_choice={"type": "tool", "name": "lookup_order"},
            messages=[
                {"role": "user", "content": "Look up 2291."},
                {
                    "role": "assistant",
                    "content": [
                        {
                            "type": "tool_use",
                            "id": "toolu_b1",
                            "name": "lookup_order",
                            "input": {"order_id": "2291"},
                        },
                    ],
                },
                {
                    "role": "user",
                    "content": [
                        {
                            "type": "tool_result",
                            "tool_use_id": "toolu_b1",
                            "content": [
                                {"type": "text", "text": "Photo of the parcel:"},
                                {
                                    "type": "image",
                                    "source": {
                                        "type": "base64",
                                        "media_type": "image/png",
                                        "data": PNG,
                                    },
                                },
                            ],
                        },
                        {"type": "text", "text": "Is it damaged?"},
                    ],
                },
            ],
        )

    def refused() -> None:
        try:
            client.messages.create(
                model=f"{model}-ratelimited",
                max_tokens=20,
                messages=[{"role": "user", "content": "Are you there?"}],
            )
        except Exception as error:
            print("  expected:", type(error).__name__)

    return [
        ("tool_turns", tool_turns),
        ("images", images),
        ("streaming", streaming),
        ("more", more),
        ("refused", refused),
    ]


# ---------------------------------------------------------------- tracing and export


def instrument(dialect: str, provider: Any) -> None:
    if dialect == "openinference_openai":
        from openinference.instrumentation.openai import OpenAIInstrumentor
    elif dialect == "openinference_anthropic":
        from openinference.instrumentation.anthropic import (
            AnthropicInstrumentor as OpenAIInstrumentor,
        )
    elif dialect == "traceloop_openai":
        from opentelemetry.instrumentation.openai import OpenAIInstrumentor
    elif dialect == "traceloop_anthropic":
        from opentelemetry.instrumentation.anthropic import (
            AnthropicInstrumentor as OpenAIInstrumentor,
        )
    else:
        from opentelemetry.instrumentation.openai_v2 import OpenAIInstrumentor
    OpenAIInstrumentor().instrument(tracer_provider=provider)


def otlp_json(spans: Any) -> dict[str, Any]:
    """The spans as the collector's file exporter writes them."""
    from google.protobuf.json_format import MessageToDict
    from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans

    value = MessageToDict(encode_spans(spans), use_integers_for_enums=True)

    def fix(node: Any) -> Any:
        if isinstance(node, dict):
            return {
                key: (
                    base64.b64decode(item).hex()
                    if key in ("traceId", "spanId", "parentSpanId")
                    else fix(item)
                )
                for key, item in node.items()
            }
        if isinstance(node, list):
            return [fix(item) for item in node]
        return node

    return fix(value)


def run(dialect: str) -> None:
    os.environ["OTEL_SEMCONV_STABILITY_OPT_IN"] = "gen_ai_latest_experimental"
    os.environ["OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"] = "span_only"
    os.environ["TRACELOOP_TRACE_CONTENT"] = "true"
    from opentelemetry import trace
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    trace.set_tracer_provider(provider)  # the Anthropic SDK traces itself through it
    instrument(dialect, provider)
    mock = Mock()
    if dialect.endswith("anthropic"):
        import anthropic

        client: Any = anthropic.Anthropic(
            base_url=mock.url, api_key="sk-ant-test-000", max_retries=0
        )
        scenarios = anthropic_scenarios(client)
    else:
        import openai

        client = openai.OpenAI(base_url=f"{mock.url}/v1", api_key="sk-test-000", max_retries=0)
        scenarios = openai_scenarios(client)
    tracer = trace.get_tracer("support_agent")
    folder = OUT / dialect
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "traces.otlp.jsonl").open("w") as log:
        for name, scenario in scenarios:
            with tracer.start_as_current_span("support_agent.session") as root:
                root.set_attribute("session.id", f"gen-{dialect}-{name}")
                scenario()
            log.write(
                json.dumps(otlp_json(exporter.get_finished_spans()), separators=(",", ":")) + "\n"
            )
            exporter.clear()
    with (folder / "traces.truth.jsonl").open("w") as truth:
        for line in mock.received:
            truth.write(json.dumps(line, separators=(",", ":")) + "\n")
    print(f"{dialect}: {len(scenarios)} scenarios, {len(mock.received)} requests")
    mock.server.shutdown()


def main(argv: list[str]) -> int:
    if argv:
        run(argv[0])
        return 0
    for dialect in DIALECTS:
        subprocess.run([sys.executable, __file__, dialect], check=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
