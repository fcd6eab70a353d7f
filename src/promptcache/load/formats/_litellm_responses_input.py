"""A Responses API ``input``, as LiteLLM logs it, turned into the chat messages LiteLLM
made of it for a provider without a Responses API (``litellm.responses()`` to an
``anthropic/...`` model goes through ``completion()``).

LiteLLM logs such a call's ``messages`` as the Responses input items (a string input as one
user message) and its ``model_parameters`` as the chat parameters it derived (``tools`` as
OpenAI chat tools, ``max_tokens``); the ``instructions`` are in neither. This module redoes
the item conversion for the items a chat prompt is made of: messages (string content,
``input_text`` / ``output_text`` / ``input_image`` parts), ``function_call`` (consecutive
calls join one assistant turn) and ``function_call_output``. Any other item is reported, not
guessed.

Source (litellm 1.110.2): ``litellm/responses/litellm_completion_transformation/
transformation.py`` (``transform_responses_api_request_to_chat_completion_request``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

_TEXT_PARTS = frozenset({"input_text", "output_text", "text"})


@dataclass(slots=True)
class ChatMessages:
    """The chat messages of a Responses input, and what of the input they leave out."""

    messages: list[dict[str, Any]] = field(default_factory=list)
    lacks: list[str] = field(default_factory=list)


def chat_messages(items: Any) -> ChatMessages:
    """The chat messages LiteLLM made of the logged Responses input ``items``."""
    converted = ChatMessages()
    if isinstance(items, str):
        items = [{"role": "user", "content": items}]
    for item in items if isinstance(items, list) else ():
        kind = item.get("type", "message") if isinstance(item, Mapping) else None
        if kind == "message" and isinstance(item.get("role"), str):
            converted.messages.append(_message(item, converted))
        elif kind == "function_call":
            _add_tool_call(converted.messages, item)
        elif kind == "function_call_output":
            converted.messages.append({"role": "tool", "tool_call_id": item.get("call_id"),
                                       "content": item.get("output")})
        else:
            _lack(converted, f"a {kind!r} Responses input item (LiteLLM's conversion of it "
                             "is not rebuilt)")
    return converted


def _message(item: Mapping[str, Any], converted: ChatMessages) -> dict[str, Any]:
    content = item.get("content")
    if isinstance(content, list):
        content = list(_parts(content, converted))
    message: dict[str, Any] = {"role": item["role"], "content": content}
    return message


def _parts(parts: list[Any], converted: ChatMessages) -> Iterator[dict[str, Any]]:
    for part in parts:
        kind = part.get("type") if isinstance(part, Mapping) else None
        if kind in _TEXT_PARTS:
            yield {"type": "text", "text": part.get("text")}
        elif kind == "input_image" and isinstance(part.get("image_url"), str):
            image: dict[str, Any] = {"url": part["image_url"]}
            if part.get("detail") is not None:
                image["detail"] = part["detail"]
            yield {"type": "image_url", "image_url": image}
        else:
            _lack(converted, f"a {kind!r} Responses content part (LiteLLM's conversion of it "
                             "is not rebuilt)")


def _add_tool_call(messages: list[dict[str, Any]], item: Mapping[str, Any]) -> None:
    call = {"id": item.get("call_id"), "type": "function",
            "function": {"name": item.get("name"), "arguments": item.get("arguments")}}
    last = messages[-1] if messages else None
    if last is not None and last["role"] == "assistant" and "tool_calls" in last:
        last["tool_calls"].append(call)
    else:
        messages.append({"role": "assistant", "content": None, "tool_calls": [call]})


def _lack(converted: ChatMessages, what: str) -> None:
    if what not in converted.lacks:
        converted.lacks.append(what)
