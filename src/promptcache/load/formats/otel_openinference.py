"""OpenInference (Arize Phoenix's conventions) on a span.

``openinference-instrumentation-openai`` / ``-anthropic`` write ``input.value``: the request
kwargs as a JSON string, which IS the body the SDK sent, so it is read as is. When it is
not a request body (absent with ``OPENINFERENCE_HIDE_INPUTS``, a framework's input such as
LangChain's serialized messages), the body is put together from the flattened attributes:
``llm.input_messages.N.message.role|content|name|tool_call_id``
(multi-part: ``...message.contents.M.message_content.type|text|image.image.url``, tool calls
``...message.tool_calls.K.tool_call.id|function.name|function.arguments``),
``llm.tools.N.tool.json_schema`` and ``llm.invocation_parameters`` (JSON strings).
Usage ``llm.token_count.prompt`` includes cache reads and writes for both providers (the
Anthropic instrumentation adds them to ``input_tokens``), ``...prompt_details.cache_read`` /
``.cache_write``. Session ``session.id``, user ``user.id``.
References: Arize-ai/openinference@spec/semantic_conventions.md ;
Arize-ai/openinference@python/instrumentation/openinference-instrumentation-anthropic/src/
openinference/instrumentation/anthropic/_wrappers.py (``_get_llm_token_counts``).

What it does not record: nothing the provider counts when ``input.value`` is there; images
longer than ``OPENINFERENCE_BASE64_IMAGE_MAX_LENGTH`` and hidden inputs are replaced by
``__REDACTED__`` (reported as missing).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from promptcache.load.formats.base import CHAT, MESSAGES, RESPONSES
from promptcache.load.formats.embedded import json_text
from promptcache.load.formats.otel_span import (
    SpanCall,
    dumps_like_python,
    indexed,
    int_attribute,
    is_anthropic,
    json_attribute,
    str_attribute,
    usage_including_cache,
)
from promptcache.load.formats.otlp import Span

_REQUEST_FIELDS = frozenset(
    {
        "model",
        "temperature",
        "top_p",
        "top_k",
        "max_tokens",
        "max_completion_tokens",
        "n",
        "stop",
        "stop_sequences",
        "seed",
        "frequency_penalty",
        "presence_penalty",
        "logit_bias",
        "logprobs",
        "top_logprobs",
        "user",
        "metadata",
        "response_format",
        "tool_choice",
        "parallel_tool_calls",
        "tools",
        "system",
        "thinking",
        "service_tier",
        "reasoning_effort",
        "prompt_cache_key",
        "store",
    }
)
"""Request fields of Chat Completions and Messages: a framework's invocation parameters
(LangChain's ``model_name``, ``_type``, ``stream``...) are not all sent, so only these are
kept in a rebuilt body."""
REDACTED = "__REDACTED__"
"""What OpenInference writes in place of hidden or oversized content."""


def claims(span: Span) -> bool:
    """An OpenInference LLM span."""
    return span.attributes.get("openinference.span.kind") == "LLM"


def rebuild(span: Span) -> SpanCall:
    """The body from ``input.value``, or from the flattened attributes."""
    attributes = span.attributes
    anthropic = is_anthropic(attributes, "llm.system", "llm.provider")
    whole = json_text(attributes.get("input.value"))
    missing: list[str] = []
    body_key: str | None = "input.value"
    if _is_request_body(whole):
        body: dict[str, Any] = whole
    else:
        body_key = None
        body = _flattened_body(attributes, anthropic)
        if not any(key.startswith("llm.tools.") for key in attributes) and _calls_tools(attributes):
            missing.append("tool definitions not logged (the conversation calls tools)")
    if _holds_redacted(body):
        missing.append("content redacted by OpenInference (__REDACTED__)")
    api = (
        MESSAGES if anthropic else RESPONSES if "input" in body and "messages" not in body else CHAT
    )
    return SpanCall(
        body=body,
        api=api,
        body_key=body_key,
        missing=tuple(missing),
        usage=usage_including_cache(
            int_attribute(attributes, "llm.token_count.prompt"),
            int_attribute(attributes, "llm.token_count.prompt_details.cache_read"),
            int_attribute(attributes, "llm.token_count.prompt_details.cache_write"),
        ),
        call_id=_response_id(attributes),
        served_model=str_attribute(attributes, "llm.response.model_name", "llm.model_name"),
        user=str_attribute(attributes, "user.id"),
    )


def _is_request_body(value: Any) -> bool:
    """Whether ``input.value`` is a provider request (what the SDK instrumentations write),
    not a framework's input (LangChain's LLM span writes its serialized messages there)."""
    if not isinstance(value, dict) or not isinstance(value.get("model"), str):
        return False
    messages = value.get("messages")
    if isinstance(messages, list):
        return all(isinstance(message, Mapping) for message in messages)
    return isinstance(value.get("input"), str | list)


def _response_id(attributes: Mapping[str, Any]) -> str | None:
    output = json_text(attributes.get("output.value"))
    return str(output["id"]) if isinstance(output, dict) and output.get("id") else None


def _calls_tools(attributes: Mapping[str, Any]) -> bool:
    return any(".tool_calls." in key or key.endswith(".tool_call_id") for key in attributes)


def _holds_redacted(value: Any) -> bool:
    if isinstance(value, str):
        return REDACTED in value
    if isinstance(value, Mapping):
        return any(_holds_redacted(item) for item in value.values())
    if isinstance(value, list):
        return any(_holds_redacted(item) for item in value)
    return False


def _flattened_body(attributes: Mapping[str, Any], anthropic: bool) -> dict[str, Any]:
    parameters = json_attribute(attributes, "llm.invocation_parameters", dict) or {}
    body: dict[str, Any] = {
        "model": attributes.get("llm.request.model_name")
        or parameters.get("model")
        or attributes.get("llm.model_name")
    }
    body.update({key: value for key, value in parameters.items() if key in _REQUEST_FIELDS})
    messages = [_message(fields) for fields in indexed(attributes, "llm.input_messages")]
    if anthropic:
        system = [message for message in messages if message["role"] == "system"]
        if system:
            body["system"] = [{"type": "text", "text": _plain_text(message)} for message in system]
        body["messages"] = [
            _anthropic_message(message) for message in messages if message["role"] != "system"
        ]
    else:
        body["messages"] = messages
    tools = [
        tool
        for index in range(len(indexed(attributes, "llm.tools")))
        if (tool := json_attribute(attributes, f"llm.tools.{index}.tool.json_schema", dict))
    ]
    if tools:
        body["tools"] = tools
    return body


def _message(fields: Mapping[str, Any]) -> dict[str, Any]:
    message: dict[str, Any] = {"role": fields.get("message.role") or "user"}
    contents = indexed(fields, "message.contents")
    if "message.content" in fields:
        # Always text as OpenInference writes it; anything else is kept as its JSON text.
        content = fields["message.content"]
        message["content"] = (
            content if content is None or isinstance(content, str) else dumps_like_python(content)
        )
    elif contents:
        message["content"] = [
            _content(part)
            for part in contents
            if part.get("message_content.type") in ("text", "image")
        ]
    else:
        message["content"] = None
    calls = indexed(fields, "message.tool_calls")
    if calls:
        message["tool_calls"] = [
            {
                "id": call.get("tool_call.id"),
                "type": "function",
                "function": {
                    "name": call.get("tool_call.function.name"),
                    "arguments": call.get("tool_call.function.arguments") or "{}",
                },
            }
            for call in calls
        ]
    for key in ("tool_call_id", "name"):
        if f"message.{key}" in fields:
            message[key] = fields[f"message.{key}"]
    return message


def _content(part: Mapping[str, Any]) -> dict[str, Any]:
    if part.get("message_content.type") == "image":
        return {
            "type": "image_url",
            "image_url": {"url": part.get("message_content.image.image.url")},
        }
    return {"type": "text", "text": part.get("message_content.text") or ""}


def _plain_text(message: Mapping[str, Any]) -> str:
    content = message.get("content")
    if isinstance(content, list):
        return "".join(str(part.get("text") or "") for part in content if isinstance(part, Mapping))
    return "" if content is None else str(content)


def _anthropic_message(message: Mapping[str, Any]) -> dict[str, Any]:
    """An OpenAI-shaped flattened message back in Messages API blocks."""
    if message["role"] == "tool":
        return {
            "role": "user",
            "content": [
                {
                    "type": "tool_result",
                    "tool_use_id": message.get("tool_call_id"),
                    "content": _plain_text(message),
                }
            ],
        }
    blocks: list[dict[str, Any]] = []
    content = message.get("content")
    parts: list[dict[str, Any]] = (
        content
        if isinstance(content, list)
        else ([] if content is None else [{"type": "text", "text": str(content)}])
    )
    for part in parts:
        if part["type"] == "image_url":
            blocks.append(_anthropic_image(str(part["image_url"]["url"] or "")))
        else:
            blocks.append({"type": "text", "text": part["text"]})
    for call in message.get("tool_calls") or ():
        arguments = json_text(call["function"]["arguments"], {})
        blocks.append(
            {
                "type": "tool_use",
                "id": call["id"],
                "name": call["function"]["name"],
                "input": arguments,
            }
        )
    return {"role": "assistant" if message["role"] == "assistant" else "user", "content": blocks}


def _anthropic_image(url: str) -> dict[str, Any]:
    if url.startswith("data:") and ";base64," in url:
        media_type, data = url[5:].split(";base64,", 1)
        return {
            "type": "image",
            "source": {"type": "base64", "media_type": media_type, "data": data},
        }
    return {"type": "image", "source": {"type": "url", "url": url}}
