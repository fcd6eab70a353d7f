"""Messages logged flat, as provider-like objects instead of GenAI parts.

OpenLLMetry releases between the flattened ``gen_ai.prompt.N.*`` attributes and the parts
format wrote ``gen_ai.input.messages`` as a JSON list of ``{"role", "content", "tool_calls":
[{"id", "name", "arguments"}]}``, where ``content`` is the message's text, or the JSON text
of its content blocks (a list of text blocks only is logged as their concatenated text,
losing the block boundaries and their ``cache_control``), and ``gen_ai.system_instructions``
as the system prompt's text the same way. A message with ``parts`` is read by
:mod:`.otel_parts`; one without, here.
Reference: traceloop/openllmetry@packages/opentelemetry-instrumentation-anthropic/
opentelemetry/instrumentation/anthropic/span_utils.py (``aset_input_attributes``,
``_dump_content``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from promptcache.load.formats.embedded import json_text


def is_flat(message: Mapping[str, Any]) -> bool:
    """A logged message in the flat shape (no ``parts``, a ``content`` or ``tool_calls``)."""
    return "parts" not in message and ("content" in message or "tool_calls" in message)


def content_blocks(content: Any) -> Any:
    """A content logged as the JSON text of its blocks, decoded; any other content as is."""
    if isinstance(content, str) and content.startswith("["):
        decoded = json_text(content)
        if isinstance(decoded, list) and all(
            isinstance(block, Mapping) and "type" in block for block in decoded
        ):
            return decoded
    return content


def _calls(message: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    calls = message.get("tool_calls")
    return [call for call in calls if isinstance(call, Mapping)] if isinstance(calls, list) else []


def _function(call: Mapping[str, Any]) -> Mapping[str, Any]:
    """A tool call's name and arguments, logged flat or nested under ``function``."""
    function = call.get("function")
    return function if isinstance(function, Mapping) else call


def openai_message(message: Mapping[str, Any]) -> dict[str, Any]:
    """The Chat Completions message a flat logged message stands for."""
    rebuilt: dict[str, Any] = {
        "role": message.get("role") or "user",
        "content": content_blocks(message.get("content")),
    }
    calls = _calls(message)
    if calls:
        rebuilt["tool_calls"] = [
            {
                "id": call.get("id"),
                "type": "function",
                "function": {
                    "name": _function(call).get("name"),
                    "arguments": _function(call).get("arguments") or "{}",
                },
            }
            for call in calls
        ]
    if message.get("tool_call_id") is not None:
        rebuilt["tool_call_id"] = message["tool_call_id"]
    return rebuilt


def anthropic_message(message: Mapping[str, Any]) -> dict[str, Any]:
    """The Messages API message a flat logged message stands for: its blocks verbatim, the
    tool calls logged apart put back as ``tool_use`` blocks after them."""
    content = content_blocks(message.get("content"))
    uses = [
        {
            "type": "tool_use",
            "id": call.get("id"),
            "name": _function(call).get("name"),
            "input": json_text(_function(call).get("arguments"), {}),
        }
        for call in _calls(message)
    ]
    if uses:
        blocks = (
            content
            if isinstance(content, list)
            else ([] if content in (None, "") else [{"type": "text", "text": str(content)}])
        )
        content = [*blocks, *uses]
    role = "assistant" if message.get("role") == "assistant" else "user"
    return {"role": role, "content": "" if content is None else content}


def calls_tools(message: Mapping[str, Any]) -> bool:
    """Whether a flat message holds a tool call or result."""
    content = content_blocks(message.get("content"))
    return (
        bool(_calls(message))
        or message.get("role") == "tool"
        or (
            isinstance(content, list)
            and any(
                isinstance(block, Mapping) and block.get("type") == "tool_result"
                for block in content
            )
        )
    )
