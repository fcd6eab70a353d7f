"""The Vercel AI SDK's provider-neutral prompt (``ai.prompt.messages``) converted as its
provider packages convert it before sending.

The prompt is the SDK's ``LanguageModelV2/V3Prompt``: ``system`` messages (text content),
``user`` (``text`` and ``file`` parts; ``image`` parts before v5), ``assistant`` (``text``,
``tool-call`` with ``input``, ``args`` before v5), ``tool`` (``tool-result`` with an
``output`` of type ``text``, ``json``, ``error-text``, ``error-json``, ``content`` or
``execution-denied``; ``result`` before v5). Messages and parts carry their
``providerOptions``: Anthropic's ``cacheControl`` there becomes the block's ``cache_control``.
References: vercel/ai@packages/openai/src/chat/convert-to-openai-chat-messages.ts,
vercel/ai@packages/anthropic/src/convert-to-anthropic-messages-prompt.ts (``groupIntoBlocks``:
consecutive user and tool messages are one user turn, consecutive assistant messages one
assistant turn; ``CacheControlValidator``: a part's cache control, else its message's for
the last part).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any


def js_json(value: Any) -> str:
    """JSON text as ``JSON.stringify`` writes it (no spaces, non-ASCII kept)."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _parts(message: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    content = message.get("content")
    if isinstance(content, str):
        return [{"type": "text", "text": content}]
    if not isinstance(content, list):
        return []
    return [part for part in content if isinstance(part, Mapping)]


def _options(value: Mapping[str, Any], provider: str) -> Mapping[str, Any]:
    options = value.get("providerOptions")
    chosen = options.get(provider) if isinstance(options, Mapping) else None
    return chosen if isinstance(chosen, Mapping) else {}


def cache_control(value: Mapping[str, Any]) -> Any:
    """The Anthropic ``cacheControl`` a message, part or tool sets in its ``providerOptions``."""
    options = _options(value, "anthropic")
    return options.get("cacheControl", options.get("cache_control"))


def _output_text(output: Mapping[str, Any]) -> str:
    kind, value = output.get("type"), output.get("value")
    if kind in ("text", "error-text") and isinstance(value, str):
        return value
    if kind == "execution-denied":
        return str(output.get("reason") or "Tool execution denied.")
    return js_json(value)


def _tool_output(part: Mapping[str, Any]) -> str:
    output = part.get("output")
    if isinstance(output, Mapping) and "type" in output:
        return _output_text(output)
    result = part.get("result", output)
    return result if isinstance(result, str) else js_json(result)


def _image(part: Mapping[str, Any]) -> tuple[str, str] | None:
    """(media type, base64 data or URL) of an image part: ``file`` (v5 on), ``image``
    (v4)."""
    data = part.get("data", part.get("image"))
    if isinstance(data, Mapping):  # v7 (LanguageModelV4): {"type": "data" | "url", ...}
        data = data.get("data", data.get("url"))
    media = str(part.get("mediaType", part.get("mimeType")) or "image/jpeg")
    if (
        part.get("type") in ("file", "image")
        and isinstance(data, str)
        and media.startswith("image/")
    ):
        return ("image/jpeg" if media == "image/*" else media), data
    return None


def _is_url(data: str) -> bool:
    return data.startswith(("http://", "https://"))


def openai_messages(prompt: list[Any]) -> list[dict[str, Any]]:
    """Chat Completions messages (``convertToOpenAIChatMessages``)."""
    messages: list[dict[str, Any]] = []
    for message in prompt:
        if not isinstance(message, Mapping):
            continue
        role, parts = message.get("role"), _parts(message)
        if role == "system":
            messages.append({"role": "system", "content": message.get("content")})
        elif role == "user":
            if len(parts) == 1 and parts[0].get("type") == "text":
                messages.append({"role": "user", "content": parts[0].get("text")})
            else:
                messages.append({"role": "user", "content": [_openai_part(part) for part in parts]})
        elif role == "assistant":
            messages.append(_openai_assistant(parts))
        elif role == "tool":
            messages.extend(
                {
                    "role": "tool",
                    "tool_call_id": part.get("toolCallId"),
                    "content": _tool_output(part),
                }
                for part in parts
                if part.get("type") == "tool-result"
            )
    return messages


def _openai_assistant(parts: list[Mapping[str, Any]]) -> dict[str, Any]:
    text = "".join(str(part.get("text") or "") for part in parts if part.get("type") == "text")
    calls = [
        {
            "id": part.get("toolCallId"),
            "type": "function",
            "function": {
                "name": part.get("toolName"),
                "arguments": js_json(part.get("input", part.get("args"))),
            },
        }
        for part in parts
        if part.get("type") == "tool-call"
    ]
    return {"role": "assistant", "content": text, **({"tool_calls": calls} if calls else {})}


def _openai_part(part: Mapping[str, Any]) -> dict[str, Any]:
    image = _image(part)
    if image is None:
        return {"type": "text", "text": part.get("text")}
    media, data = image
    image_url: dict[str, Any] = {
        "url": data if _is_url(data) or data.startswith("data:") else f"data:{media};base64,{data}"
    }
    detail = _options(part, "openai").get("imageDetail")
    if detail is not None:
        image_url["detail"] = detail
    return {"type": "image_url", "image_url": image_url}


def anthropic_prompt(prompt: list[Any]) -> dict[str, Any]:
    """``system`` and ``messages`` (``convertToAnthropicMessagesPrompt``)."""
    system: list[dict[str, Any]] = []
    messages: list[dict[str, Any]] = []
    for message in prompt:
        if not isinstance(message, Mapping):
            continue
        if message.get("role") == "system":
            system.append(
                _withcache_control(
                    {"type": "text", "text": message.get("content")}, cache_control(message)
                )
            )
            continue
        role = "assistant" if message.get("role") == "assistant" else "user"
        blocks = _anthropic_blocks(message)
        if messages and messages[-1]["role"] == role:
            messages[-1]["content"].extend(blocks)
        else:
            messages.append({"role": role, "content": blocks})
    return {**({"system": system} if system else {}), "messages": messages}


def _anthropic_blocks(message: Mapping[str, Any]) -> list[dict[str, Any]]:
    parts = _parts(message)
    blocks = []
    for index, part in enumerate(parts):
        cache = cache_control(part)
        if cache is None and index == len(parts) - 1:
            cache = cache_control(message)
        block = _anthropic_block(part)
        if block is not None:
            blocks.append(_withcache_control(block, cache))
    return blocks


def _withcache_control(block: dict[str, Any], cache: Any) -> dict[str, Any]:
    return block if cache is None else {**block, "cache_control": cache}


def _anthropic_block(part: Mapping[str, Any]) -> dict[str, Any] | None:
    kind = part.get("type")
    if kind == "tool-call":
        return {
            "type": "tool_use",
            "id": part.get("toolCallId"),
            "name": part.get("toolName"),
            "input": part.get("input", part.get("args")),
        }
    if kind == "tool-result":
        return _anthropic_tool_result(part)
    image = _image(part)
    if image is not None:
        media, data = image
        if _is_url(data):
            return {"type": "image", "source": {"type": "url", "url": data}}
        return {"type": "image", "source": {"type": "base64", "media_type": media, "data": data}}
    if kind == "text" or kind is None:
        return {"type": "text", "text": part.get("text")}
    return None


def _anthropic_tool_result(part: Mapping[str, Any]) -> dict[str, Any]:
    output = part.get("output")
    content: Any = _tool_output(part)
    if isinstance(output, Mapping) and output.get("type") == "content":
        content = [
            _anthropic_result_part(item)
            for item in output.get("value") or ()
            if isinstance(item, Mapping)
        ]
    block: dict[str, Any] = {
        "type": "tool_result",
        "tool_use_id": part.get("toolCallId"),
        "content": content,
    }
    if isinstance(output, Mapping) and output.get("type") in ("error-text", "error-json"):
        block["is_error"] = True
    return block


def _anthropic_result_part(item: Mapping[str, Any]) -> dict[str, Any]:
    if item.get("type") == "image-data":
        return {
            "type": "image",
            "source": {
                "type": "base64",
                "media_type": item.get("mediaType"),
                "data": item.get("data"),
            },
        }
    if item.get("type") == "image-url":
        return {"type": "image", "source": {"type": "url", "url": item.get("url")}}
    return {"type": "text", "text": item.get("text")}
