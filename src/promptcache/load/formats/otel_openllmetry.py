"""OpenLLMetry's older flattened attributes (traceloop ``opentelemetry-instrumentation-openai``
/ ``-anthropic`` before they moved to ``gen_ai.input.messages``; still written by many
deployed versions and by Traceloop's SDK with legacy attributes).

``gen_ai.prompt.N.role|content|tool_call_id``, ``gen_ai.prompt.N.tool_calls.K.id|name|
arguments`` (a list content is logged as its JSON text; Anthropic's ``system`` is prompt 0
with role ``system``), tools as ``llm.request.functions.N.name|description|parameters``
(OpenAI) or ``...input_schema`` (Anthropic), JSON text; ``gen_ai.request.model|max_tokens|
temperature|top_p``, ``llm.frequency_penalty``, ``llm.presence_penalty``, ``llm.user``;
usage ``gen_ai.usage.prompt_tokens`` (OpenAI's prompt tokens; for Anthropic input plus cache
reads and writes), ``gen_ai.usage.cache_read_input_tokens``,
``gen_ai.usage.cache_creation_input_tokens``.
References: traceloop/openllmetry@packages/opentelemetry-instrumentation-openai/opentelemetry/
instrumentation/openai/shared/chat_wrappers.py (``_set_prompts``, ``_set_functions_attributes``)
and @packages/opentelemetry-instrumentation-anthropic/opentelemetry/instrumentation/anthropic/
span_utils.py (``aset_input_attributes``); @packages/opentelemetry-semantic-conventions-ai.

What it does not record: ``response_format``, ``tool_choice``, ``stop``, ``seed`` and
Anthropic ``metadata``; tool results' ``name``. ``response_format`` changes the prompt, so a
span whose output is JSON while the request named no tools is not flagged (no evidence).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from promptcache.load.formats.base import CHAT, MESSAGES
from promptcache.load.formats.otel_flat_messages import (
    anthropic_message,
    calls_tools,
    content_blocks,
    openai_message,
)
from promptcache.load.formats.otel_span import (
    SpanCall,
    breakpoints_missing,
    indexed,
    int_attribute,
    is_anthropic,
    json_attribute,
    str_attribute,
    usage_including_cache,
)
from promptcache.load.formats.otlp import Span

_OPENAI_PARAMETERS = {
    "gen_ai.request.max_tokens": "max_tokens",
    "gen_ai.request.temperature": "temperature",
    "gen_ai.request.top_p": "top_p",
    "llm.frequency_penalty": "frequency_penalty",
    "llm.presence_penalty": "presence_penalty",
    "llm.user": "user",
}
_ANTHROPIC_PARAMETERS = {
    "gen_ai.request.max_tokens": "max_tokens",
    "gen_ai.request.temperature": "temperature",
    "gen_ai.request.top_p": "top_p",
}


def claims(span: Span) -> bool:
    """A span with ``gen_ai.prompt.N.*`` or ``llm.request.functions.N.*`` attributes."""
    return any(
        key.startswith(("gen_ai.prompt.", "llm.request.functions.")) for key in span.attributes
    )


def rebuild(span: Span) -> SpanCall:
    """The body the flattened prompts and functions describe."""
    attributes = span.attributes
    anthropic = is_anthropic(attributes, "gen_ai.system", "gen_ai.provider.name")
    prompts = [_flat(prompt) for prompt in indexed(attributes, "gen_ai.prompt")]
    functions = indexed(attributes, "llm.request.functions")
    body: dict[str, Any] = {"model": attributes.get("gen_ai.request.model")}
    if anthropic:
        if prompts and prompts[0].get("role") == "system":
            body["system"] = content_blocks(prompts.pop(0).get("content"))
        body["messages"] = [anthropic_message(prompt) for prompt in prompts]
        names = _ANTHROPIC_PARAMETERS
    else:
        body["messages"] = [openai_message(prompt) for prompt in prompts]
        names = _OPENAI_PARAMETERS
    body.update(
        {name: attributes[key] for key, name in names.items() if attributes.get(key) is not None}
    )
    if functions:
        body["tools"] = [
            _tool(attributes, index, function, anthropic)
            for index, function in enumerate(functions)
        ]
    missing: list[str] = []
    if not functions and any(calls_tools(prompt) for prompt in prompts):
        missing.append("tool definitions not logged (the conversation calls tools)")
    cache_read = int_attribute(attributes, "gen_ai.usage.cache_read_input_tokens")
    cache_write = int_attribute(attributes, "gen_ai.usage.cache_creation_input_tokens")
    if anthropic:
        missing.extend(breakpoints_missing(body, cache_read, cache_write))
    return SpanCall(
        body=body,
        api=MESSAGES if anthropic else CHAT,
        missing=tuple(missing),
        usage=usage_including_cache(
            int_attribute(attributes, "gen_ai.usage.prompt_tokens", "gen_ai.usage.input_tokens"),
            cache_read,
            cache_write,
        ),
        call_id=str_attribute(attributes, "gen_ai.response.id"),
        served_model=str_attribute(attributes, "gen_ai.response.model"),
    )


def _flat(prompt: Mapping[str, Any]) -> dict[str, Any]:
    """One ``gen_ai.prompt.N`` as the flat message it was logged from."""
    message: dict[str, Any] = {"role": prompt.get("role"), "content": prompt.get("content")}
    calls = indexed(prompt, "tool_calls")
    if calls:
        message["tool_calls"] = calls
    if prompt.get("tool_call_id") is not None:
        message["tool_call_id"] = prompt["tool_call_id"]
    return message


def _tool(
    attributes: Mapping[str, Any], index: int, function: Mapping[str, Any], anthropic: bool
) -> dict[str, Any]:
    if anthropic:
        schema = json_attribute(attributes, f"llm.request.functions.{index}.input_schema", dict)
        return {
            "name": function.get("name"),
            "description": function.get("description"),
            "input_schema": schema,
        }
    parameters = json_attribute(attributes, f"llm.request.functions.{index}.parameters", dict)
    described = {
        "name": function.get("name"),
        "description": function.get("description"),
        "parameters": parameters,
    }
    return {
        "type": "function",
        "function": {key: value for key, value in described.items() if value is not None},
    }
