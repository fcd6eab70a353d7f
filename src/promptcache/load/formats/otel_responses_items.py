"""GenAI parts messages turned back into an OpenAI Responses request's ``input`` items.

A span of a ``responses.create`` call (its response id starts ``resp_``) logs the request's
``instructions`` as ``gen_ai.system_instructions`` and its ``input`` as
``gen_ai.input.messages``: each message becomes an input message (a lone text its string
``content``, several parts ``input_text`` / ``output_text`` / ``input_image`` items), each
tool call a ``function_call`` item and each tool response a ``function_call_output`` item.
Reference: https://platform.openai.com/docs/api-reference/responses/create ;
open-telemetry/opentelemetry-python-contrib@instrumentation-genai/
opentelemetry-instrumentation-openai-v2/src/opentelemetry/instrumentation/openai_v2/
response_extractors.py (``_extract_input_messages``: text only, items without a role
dropped).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from promptcache.load.formats.otel_parts import (
    TOOL_CALL_PARTS,
    Rebuilt,
    arguments_text,
    image_url,
    message_parts,
    part_text,
    response_text,
)

RESPONSE_ID_PREFIX = "resp_"
"""How a Responses API response id starts (Chat Completions ids start ``chatcmpl-``)."""


def input_items(messages: list[Any]) -> Rebuilt:
    """The ``input`` items the logged messages stand for."""
    rebuilt = Rebuilt()
    for message in messages:
        if not isinstance(message, Mapping):
            continue
        role = str(message.get("role") or "user")
        parts = message_parts(message)
        if not parts:
            rebuilt.lost.add("content of a message not logged")
        content = [
            part
            for part in parts
            if part.get("type") not in (*TOOL_CALL_PARTS, "tool_call_response")
        ]
        if content or not parts:
            rebuilt.messages.append({"role": role, "content": _content(role, content)})
        for part in parts:
            if part.get("type") in TOOL_CALL_PARTS:
                rebuilt.calls_tools = True
                rebuilt.messages.append(
                    {
                        "type": "function_call",
                        "call_id": part.get("id"),
                        "name": part.get("name"),
                        "arguments": arguments_text(part.get("arguments")),
                    }
                )
            elif part.get("type") == "tool_call_response":
                rebuilt.calls_tools = True
                rebuilt.messages.append(
                    {
                        "type": "function_call_output",
                        "call_id": part.get("id"),
                        "output": response_text(part.get("response")),
                    }
                )
    return rebuilt


def _content(role: str, parts: list[Mapping[str, Any]]) -> Any:
    if len(parts) == 1 and parts[0].get("type", "text") == "text":
        return part_text(parts[0])
    text_type = "output_text" if role == "assistant" else "input_text"
    items: list[dict[str, Any]] = []
    for part in parts:
        url = image_url(part)
        if url is None:
            items.append({"type": text_type, "text": part_text(part)})
        else:
            items.append({"type": "input_image", "image_url": url})
    return items


def responses_tools(definitions: list[Any]) -> list[Any]:
    """Responses tools are flat (``{"type": "function", "name", "parameters"}``): a
    definition logged in the Chat Completions shape is flattened."""
    tools: list[Any] = []
    for definition in definitions:
        function = definition.get("function") if isinstance(definition, Mapping) else None
        if isinstance(function, Mapping):
            tools.append({"type": definition.get("type") or "function", **function})
        else:
            tools.append(definition)
    return tools
