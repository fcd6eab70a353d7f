"""GenAI "parts" messages (``gen_ai.input.messages``, ``gen_ai.system_instructions``,
``gen_ai.tool.definitions``) turned back into the provider's request shape.

The parts format is the current GenAI semantic conventions' provider-neutral message:
``{"role", "parts": [{"type": "text", "content"} | {"type": "tool_call", "id", "name",
"arguments"} | {"type": "tool_call_response", "id", "response"} | {"type": "blob",
"modality", "mime_type", "content"} | {"type": "uri", "modality", "uri"}...]}``.
Reference: https://opentelemetry.io/docs/specs/semconv/gen-ai/gen-ai-input-messages.json
(open-telemetry/semantic-conventions@docs/gen-ai/gen-ai-input-messages.json).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from promptcache.load.formats import otel_flat_messages
from promptcache.load.formats.embedded import json_text
from promptcache.load.formats.otel_span import dumps_like_python

TOOL_CALL_PARTS = ("tool_call", "function_call")
"""Part types that carry a model's tool call."""


@dataclass
class Rebuilt:
    """Messages rebuilt for one provider, and what the parts could not say."""

    messages: list[dict[str, Any]] = field(default_factory=list)
    lost: set[str] = field(default_factory=set)
    """Short phrases for content the log dropped (a message logged with no parts)."""
    calls_tools: bool = False
    """Whether the conversation holds a tool call or result (so the request had tools)."""


def message_parts(message: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """A logged message's parts (the well-formed ones)."""
    parts = message.get("parts")
    return [part for part in parts if isinstance(part, Mapping)] if isinstance(parts, list) else []


def part_text(part: Mapping[str, Any]) -> str:
    """A text part's content."""
    content = part.get("content")
    return content if isinstance(content, str) else "" if content is None else str(content)


def arguments_text(arguments: Any) -> str:
    """Tool-call arguments as the JSON text sent (the log decoded them)."""
    return (
        arguments
        if isinstance(arguments, str)
        else dumps_like_python({} if arguments is None else arguments)
    )


def response_text(response: Any) -> str:
    """A tool response as the text sent."""
    return response if isinstance(response, str) else dumps_like_python(response)


def response_content(response: Any) -> Any:
    """A tool response as the content sent: content blocks (``[{"type": "text", ...}]``), as
    the instrumentations log a list of blocks, are kept; anything else is its text."""
    if (
        isinstance(response, list)
        and response
        and all(
            isinstance(block, Mapping) and isinstance(block.get("type"), str) for block in response
        )
    ):
        return response
    return response_text(response)


def image_url(part: Mapping[str, Any]) -> str | None:
    """The URL (a data URL for a blob) of an image part; None for other parts."""
    if part.get("type") == "uri" and isinstance(part.get("uri"), str):
        return str(part["uri"])
    if part.get("type") == "blob" and isinstance(part.get("content"), str):
        return f"data:{part.get('mime_type') or 'image/png'};base64,{part['content']}"
    return None


def openai_chat_messages(messages: list[Any]) -> Rebuilt:
    """Chat Completions messages: a lone text part becomes the string content the SDKs send,
    tool calls become ``tool_calls`` (arguments as JSON text), each tool response its own
    ``tool`` message."""
    rebuilt = Rebuilt()
    for message in messages:
        if not isinstance(message, Mapping):
            continue
        if otel_flat_messages.is_flat(message):
            rebuilt.messages.append(otel_flat_messages.openai_message(message))
            rebuilt.calls_tools |= otel_flat_messages.calls_tools(message)
            continue
        role = str(message.get("role") or "user")
        parts = message_parts(message)
        if not parts:
            rebuilt.lost.add("content of a message not logged")
            rebuilt.messages.append({"role": role, "content": ""})
            continue
        responses = [part for part in parts if part.get("type") == "tool_call_response"]
        for part in responses:
            rebuilt.calls_tools = True
            rebuilt.messages.append(
                {
                    "role": "tool",
                    "tool_call_id": part.get("id"),
                    "content": response_content(part.get("response")),
                }
            )
        others = [part for part in parts if part.get("type") != "tool_call_response"]
        if others or not responses:
            rebuilt.messages.append(_openai_message(role, others, rebuilt))
    return rebuilt


def _openai_message(role: str, parts: list[Mapping[str, Any]], rebuilt: Rebuilt) -> dict[str, Any]:
    calls = [part for part in parts if part.get("type") in TOOL_CALL_PARTS]
    content_parts = [part for part in parts if part.get("type") not in TOOL_CALL_PARTS]
    message: dict[str, Any] = {"role": role}
    if len(content_parts) == 1 and content_parts[0].get("type", "text") == "text":
        message["content"] = part_text(content_parts[0])
    elif content_parts:
        message["content"] = [_openai_content(part, rebuilt) for part in content_parts]
    else:
        message["content"] = None
    if calls:
        rebuilt.calls_tools = True
        message["tool_calls"] = [
            {
                "id": part.get("id"),
                "type": "function",
                "function": {
                    "name": part.get("name"),
                    "arguments": arguments_text(part.get("arguments")),
                },
            }
            for part in calls
        ]
    return message


def _openai_content(part: Mapping[str, Any], rebuilt: Rebuilt) -> dict[str, Any]:
    url = image_url(part)
    if url is not None:
        return {"type": "image_url", "image_url": {"url": url}}
    if part.get("type", "text") != "text":
        rebuilt.lost.add(f"a '{part.get('type')}' part logged without its content")
    return {"type": "text", "text": part_text(part)}


def anthropic_messages(messages: list[Any]) -> Rebuilt:
    """Messages API messages: content as blocks (text, image, tool_use, tool_result)."""
    rebuilt = Rebuilt()
    for message in messages:
        if not isinstance(message, Mapping):
            continue
        if otel_flat_messages.is_flat(message):
            rebuilt.messages.append(otel_flat_messages.anthropic_message(message))
            rebuilt.calls_tools |= otel_flat_messages.calls_tools(message)
            continue
        role = "assistant" if message.get("role") == "assistant" else "user"
        parts = message_parts(message)
        if not parts:
            rebuilt.lost.add("content of a message not logged")
        blocks = [_anthropic_block(part, rebuilt) for part in parts]
        rebuilt.messages.append({"role": role, "content": blocks})
    return rebuilt


def _anthropic_block(part: Mapping[str, Any], rebuilt: Rebuilt) -> dict[str, Any]:
    kind = part.get("type", "text")
    if kind in TOOL_CALL_PARTS:
        rebuilt.calls_tools = True
        arguments = part.get("arguments")
        return {
            "type": "tool_use",
            "id": part.get("id"),
            "name": part.get("name"),
            "input": arguments if isinstance(arguments, Mapping) else {},
        }
    if kind == "tool_call_response":
        rebuilt.calls_tools = True
        return {
            "type": "tool_result",
            "tool_use_id": part.get("id"),
            "content": response_content(part.get("response")),
        }
    if kind == "blob" and isinstance(part.get("content"), str):
        return {
            "type": "image",
            "source": {
                "type": "base64",
                "media_type": part.get("mime_type"),
                "data": part["content"],
            },
        }
    if kind == "uri" and isinstance(part.get("uri"), str):
        return {"type": "image", "source": {"type": "url", "url": part["uri"]}}
    if kind != "text":
        rebuilt.lost.add(f"a '{kind}' part logged without its content")
    return {"type": "text", "text": part_text(part)}


def anthropic_system(instructions: Any) -> Any:
    """``system`` from ``gen_ai.system_instructions``: text blocks, one per logged part;
    Anthropic blocks logged verbatim are kept; a system prompt logged as plain text (some
    OpenLLMetry releases) is that text."""
    decoded = json_text(instructions, instructions)
    if not isinstance(decoded, list):
        return decoded
    return [
        dict(part)
        if "text" in part and "content" not in part
        else {"type": "text", "text": part_text(part)}
        for part in decoded
        if isinstance(part, Mapping)
    ]


def system_text(instructions: Any) -> str:
    """The system instructions as one text (for a Chat Completions system message)."""
    system = anthropic_system(instructions)
    if isinstance(system, list):
        return "".join(str(block.get("text") or "") for block in system)
    return "" if system is None else str(system)


def openai_chat_tools(definitions: list[Any]) -> list[Any]:
    """Chat Completions tools: a definition logged flat (``{"type", "name", "parameters"}``,
    as OpenLLMetry writes them) is wrapped back into ``{"type": "function", "function"}``."""
    tools: list[Any] = []
    for definition in definitions:
        if (
            isinstance(definition, Mapping)
            and "function" not in definition
            and "name" in definition
        ):
            function = {key: value for key, value in definition.items() if key != "type"}
            tools.append({"type": definition.get("type") or "function", "function": function})
        else:
            tools.append(definition)
    return tools
