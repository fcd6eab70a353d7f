"""The current OpenTelemetry GenAI semantic conventions on a span.

Written by OpenLLMetry (traceloop's ``opentelemetry-instrumentation-openai`` /
``-anthropic`` 0.4x and later) and by the official ``opentelemetry-instrumentation-openai-v2``
with ``OTEL_SEMCONV_STABILITY_OPT_IN=gen_ai_latest_experimental``: ``gen_ai.input.messages``
(parts, see :mod:`.otel_parts`; OpenLLMetry's flat messages, :mod:`.otel_flat_messages`),
``gen_ai.system_instructions``, ``gen_ai.tool.definitions``, ``gen_ai.request.*`` (model,
temperature, max_tokens, top_p...), ``gen_ai.user``, usage ``gen_ai.usage.input_tokens``
(cache reads and writes included, as the conventions say),
``gen_ai.usage.cache_read.input_tokens``, ``gen_ai.usage.cache_creation.input_tokens``.
The provider (``gen_ai.provider.name``, formerly ``gen_ai.system``) gives the API: Anthropic
Messages, else OpenAI Responses when the response id starts ``resp_``
(:mod:`.otel_responses_items`), else Chat Completions.
References: https://opentelemetry.io/docs/specs/semconv/gen-ai/gen-ai-spans/ ;
open-telemetry/opentelemetry-python-contrib@util/opentelemetry-util-genai (span attributes);
traceloop/openllmetry@packages/opentelemetry-instrumentation-openai/opentelemetry/
instrumentation/openai/shared/chat_wrappers.py.

What it does not record, by writer: the official OpenAI instrumentation never logs tool
definitions, ``user`` or ``response_format`` (only ``gen_ai.output.type``), nor cached tokens
before its later releases, and drops the content of a message with an image (and, for
Responses, the input items without a role); OpenLLMetry logs the schema of a ``json_schema``
response format but not its name or ``strict`` flag, drops ``gen_ai.input.messages``
altogether when a message holds an image (0.62.4), and keeps no Anthropic ``cache_control``
breakpoints nor ``metadata``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from promptcache.load.formats.base import CHAT, MESSAGES, RESPONSES
from promptcache.load.formats.embedded import json_text
from promptcache.load.formats.otel_parts import (
    anthropic_messages,
    anthropic_system,
    openai_chat_messages,
    openai_chat_tools,
    system_text,
)
from promptcache.load.formats.otel_responses_items import (
    RESPONSE_ID_PREFIX,
    input_items,
    responses_tools,
)
from promptcache.load.formats.otel_span import (
    SpanCall,
    breakpoints_missing,
    int_attribute,
    is_anthropic,
    json_attribute,
    str_attribute,
    usage_including_cache,
)
from promptcache.load.formats.otlp import Span

_MARKERS = (
    "gen_ai.input.messages",
    "gen_ai.system_instructions",
    "gen_ai.tool.definitions",
    "gen_ai.request.model",
)
_OPENLLMETRY_OPENAI = "opentelemetry.instrumentation.openai."
"""OpenLLMetry's OpenAI scope (``...openai.v1``); the official one is ``...openai_v2``."""
_TOOLLESS_WRITERS = ("opentelemetry.instrumentation.openai_v2", "opentelemetry.util.genai")
"""The official instrumentation's scopes: they never log tool definitions nor cached tokens,
so the absence of either says nothing about the request."""
_OPENAI_PARAMETERS = {
    "gen_ai.request.max_tokens": "max_tokens",
    "gen_ai.request.temperature": "temperature",
    "gen_ai.request.top_p": "top_p",
    "gen_ai.request.frequency_penalty": "frequency_penalty",
    "gen_ai.request.presence_penalty": "presence_penalty",
    "gen_ai.request.seed": "seed",
    "gen_ai.request.stop_sequences": "stop",
    "gen_ai.request.choice.count": "n",
}
_RESPONSES_PARAMETERS = {
    "gen_ai.request.max_tokens": "max_output_tokens",
    "gen_ai.request.temperature": "temperature",
    "gen_ai.request.top_p": "top_p",
}
_JSON_OBJECT = {"type": "json_object"}
"""JSON mode's ``response_format``, whole."""
_ANTHROPIC_PARAMETERS = {
    "gen_ai.request.max_tokens": "max_tokens",
    "gen_ai.request.temperature": "temperature",
    "gen_ai.request.top_p": "top_p",
    "gen_ai.request.top_k": "top_k",
    "gen_ai.request.stop_sequences": "stop_sequences",
}


def claims(span: Span) -> bool:
    """An LLM call span of the current conventions (its operation is chat, or it names a
    model or messages)."""
    attributes = span.attributes
    return any(key in attributes for key in _MARKERS) and attributes.get(
        "gen_ai.operation.name", "chat"
    ) in ("chat", "text_completion")


def rebuild(span: Span) -> SpanCall:
    """The request body the span's attributes describe."""
    attributes = span.attributes
    messages = json_attribute(attributes, "gen_ai.input.messages", list)
    definitions = json_attribute(attributes, "gen_ai.tool.definitions", list)
    missing: list[str] = []
    if messages is None:
        missing.append("input messages not logged")
    response_id = str_attribute(attributes, "gen_ai.response.id") or ""
    if is_anthropic(attributes, "gen_ai.provider.name", "gen_ai.system"):
        body, calls_tools, lost = _anthropic_body(attributes, messages, definitions)
        api = MESSAGES
    elif response_id.startswith(RESPONSE_ID_PREFIX):
        openllmetry = span.scope.startswith(_OPENLLMETRY_OPENAI)
        if openllmetry:
            attributes, messages = _openllmetry_instructions(attributes, messages)
        body, calls_tools, lost = _responses_body(attributes, messages, definitions, missing)
        if openllmetry and len(body["input"]) == 1 and _is_user_text(body["input"][0]):
            # A string input is logged as one user text: the SDK's users send the string.
            body["input"] = body["input"][0]["content"]
        api = RESPONSES
        if span.scope.startswith(_TOOLLESS_WRITERS):
            missing.append(f"function call items never logged by {span.scope}")
    else:
        body, calls_tools, lost = _openai_body(attributes, messages, definitions, missing)
        api = CHAT
    missing.extend(sorted(lost))
    if attributes.get("gen_ai.is_streaming") is True:
        # OpenLLMetry says whether the call streamed; stream_options it does not log.
        body["stream"] = True
    output = str(attributes.get("gen_ai.output.messages") or "")
    finish = attributes.get("gen_ai.response.finish_reasons")
    calls_tools = (
        calls_tools
        or '"tool_call"' in output
        or (isinstance(finish, list) and any(str(reason).startswith("tool") for reason in finish))
    )
    if definitions is None:
        if calls_tools:
            missing.append("tool definitions not logged (the conversation calls tools)")
        elif span.scope.startswith(_TOOLLESS_WRITERS):
            missing.append(f"tool definitions never logged by {span.scope}")
    cache_read = int_attribute(
        attributes, "gen_ai.usage.cache_read.input_tokens", "gen_ai.usage.cache_read_input_tokens"
    )
    if cache_read is None and span.scope.startswith(_TOOLLESS_WRITERS):
        missing.append("cached tokens not logged")
    cache_write = int_attribute(
        attributes,
        "gen_ai.usage.cache_creation.input_tokens",
        "gen_ai.usage.cache_write.input_tokens",
        "gen_ai.usage.cache_creation_input_tokens",
    )
    if api == MESSAGES:
        missing.extend(breakpoints_missing(body, cache_read, cache_write))
    return SpanCall(
        body=body,
        api=api,
        missing=tuple(missing),
        usage=usage_including_cache(
            int_attribute(attributes, "gen_ai.usage.input_tokens", "gen_ai.usage.prompt_tokens"),
            cache_read,
            cache_write,
        ),
        call_id=str_attribute(attributes, "gen_ai.response.id"),
        served_model=str_attribute(attributes, "gen_ai.response.model"),
    )


def _parameters(attributes: Mapping[str, Any], names: Mapping[str, str]) -> dict[str, Any]:
    return {name: attributes[key] for key, name in names.items() if attributes.get(key) is not None}


def _end_user(attributes: Mapping[str, Any]) -> dict[str, Any]:
    """OpenAI's ``user`` field, which OpenLLMetry logs as ``gen_ai.user``."""
    user = str_attribute(attributes, "gen_ai.user", "gen_ai.openai.request.user")
    return {} if user is None else {"user": user}


def _openai_body(
    attributes: Mapping[str, Any],
    messages: list[Any] | None,
    definitions: list[Any] | None,
    missing: list[str],
) -> tuple[dict[str, Any], bool, set[str]]:
    body: dict[str, Any] = {"model": attributes.get("gen_ai.request.model")}
    rebuilt = openai_chat_messages(messages or [])
    body["messages"] = rebuilt.messages
    instructions = attributes.get("gen_ai.system_instructions")
    if instructions is not None and not any(
        message.get("role") in ("system", "developer") for message in rebuilt.messages
    ):
        body["messages"] = [
            {"role": "system", "content": system_text(instructions)},
            *rebuilt.messages,
        ]
    body.update(_parameters(attributes, _OPENAI_PARAMETERS))
    if definitions:
        body["tools"] = openai_chat_tools(definitions)
    body.update(_end_user(attributes))
    schema = json_text(attributes.get("gen_ai.request.structured_output_schema"))
    if schema == _JSON_OBJECT:
        # OpenLLMetry logs a response_format without a schema as the format itself.
        body["response_format"] = dict(_JSON_OBJECT)
    elif schema is not None:
        body["response_format"] = {"type": "json_schema", "json_schema": {"schema": schema}}
        missing.append("response_format name and strict flag not logged")
    elif attributes.get("gen_ai.output.type") == "json":
        missing.append("response_format not logged (the output type is json)")
    return body, rebuilt.calls_tools, rebuilt.lost


def _openllmetry_instructions(
    attributes: Mapping[str, Any], messages: list[Any] | None
) -> tuple[Mapping[str, Any], list[Any] | None]:
    """OpenLLMetry logs a Responses call's ``instructions`` as the first input message
    (role ``system``, one text part): taken back apart, as the SDK's users write them. (A
    system message given in ``input`` itself reads the same, and is then read as the
    instructions: the prompt is the same.)"""
    if not messages or "gen_ai.system_instructions" in attributes:
        return attributes, messages
    first = messages[0]
    text = _lone_text(first.get("parts")) if isinstance(first, Mapping) else None
    if text is None or first.get("role") != "system":
        return attributes, messages
    return {**attributes, "gen_ai.system_instructions": text}, messages[1:]


def _lone_text(parts: Any) -> str | None:
    """The text of a message made of one text part, else None."""
    if not (isinstance(parts, list) and len(parts) == 1 and isinstance(parts[0], Mapping)):
        return None
    content = parts[0].get("content")
    return content if parts[0].get("type") == "text" and isinstance(content, str) else None


def _is_user_text(item: Mapping[str, Any]) -> bool:
    return set(item) == {"role", "content"} and item["role"] == "user" and isinstance(
        item["content"], str
    )


def _responses_body(
    attributes: Mapping[str, Any],
    messages: list[Any] | None,
    definitions: list[Any] | None,
    missing: list[str],
) -> tuple[dict[str, Any], bool, set[str]]:
    body: dict[str, Any] = {"model": attributes.get("gen_ai.request.model")}
    instructions = attributes.get("gen_ai.system_instructions")
    if instructions is not None:
        body["instructions"] = system_text(instructions)
    rebuilt = input_items(messages or [])
    body["input"] = rebuilt.messages
    body.update(_parameters(attributes, _RESPONSES_PARAMETERS))
    if definitions:
        body["tools"] = responses_tools(definitions)
    body.update(_end_user(attributes))
    if attributes.get("gen_ai.output.type") == "json":
        missing.append("text.format not logged (the output type is json)")
    return body, rebuilt.calls_tools, rebuilt.lost


def _anthropic_body(
    attributes: Mapping[str, Any], messages: list[Any] | None, definitions: list[Any] | None
) -> tuple[dict[str, Any], bool, set[str]]:
    body: dict[str, Any] = {"model": attributes.get("gen_ai.request.model")}
    rebuilt = anthropic_messages(messages or [])
    body["messages"] = rebuilt.messages
    instructions = attributes.get("gen_ai.system_instructions")
    if instructions is not None:
        body["system"] = anthropic_system(instructions)
    body.update(_parameters(attributes, _ANTHROPIC_PARAMETERS))
    if definitions:
        body["tools"] = definitions
    schema = json_text(attributes.get("gen_ai.request.structured_output_schema"))
    if schema is not None:
        body["output_format"] = {"type": "json_schema", "schema": schema}
    return body, rebuilt.calls_tools, rebuilt.lost
