"""The Vercel AI SDK's own telemetry (``experimental_telemetry: { isEnabled: true }``).

The call to the provider is the ``ai.generateText.doGenerate`` / ``ai.streamText.doStream``
(``ai.generateObject.doGenerate``...) span: ``ai.prompt.messages`` (JSON text of the SDK's
provider-neutral prompt: ``system`` / ``user`` / ``assistant`` / ``tool`` messages with
``text``, ``file`` / ``image``, ``tool-call``, ``tool-result`` parts), ``ai.prompt.tools``
(a list of JSON texts, one per tool: ``{"type": "function", "name", "description",
"inputSchema"}``, ``parameters`` before v5), ``ai.prompt.toolChoice``, ``ai.model.provider``
(``openai.chat``, ``anthropic.messages``...), ``ai.model.id``, ``ai.settings.*``, usage
``ai.usage.inputTokens`` (``promptTokens`` before v5), ``ai.usage.cachedInputTokens``,
``ai.usage.inputTokenDetails.*`` (v6). The outer ``ai.generateText`` span holds no request.
The body is rebuilt as the provider package converts the prompt (``@ai-sdk/openai``
``convertToOpenAIChatMessages``, ``@ai-sdk/anthropic`` ``convertToAnthropicMessagesPrompt``):
a lone user text becomes a string, tool-call inputs JSON text without spaces (as
``JSON.stringify`` writes them), consecutive user and tool messages one Anthropic user turn.
References: vercel/ai@packages/ai/src/generate-text/generate-text.ts (``recordSpan`` attributes),
vercel/ai@packages/openai/src/chat/convert-to-openai-chat-messages.ts,
vercel/ai@packages/anthropic/src/convert-to-anthropic-messages-prompt.ts,
https://ai-sdk.dev/docs/ai-sdk-core/telemetry

What it records of caching: Anthropic ``cacheControl`` set in a message's or part's
``providerOptions`` is in the prompt, and becomes the block's ``cache_control``.
What it does not record: call-level provider options (OpenAI ``user``,
``parallelToolCalls``), ``generateObject``'s schema as ``response_format`` (reported missing
on ``ai.generateObject`` / ``ai.streamObject``); cache activity in an Anthropic usage whose
body holds no breakpoint is reported missing its breakpoints. Usage before v6 is the
provider's own meaning (Anthropic's ``inputTokens`` exclude cache reads: added back here);
v6's ``inputTokens`` include them (``inputTokenDetails`` present).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from promptcache.load.formats.base import CHAT, MESSAGES, RESPONSES, Usage
from promptcache.load.formats.embedded import json_text
from promptcache.load.formats.otel_span import (
    SpanCall,
    SpanProblem,
    breakpoints_missing,
    int_attribute,
    is_anthropic,
    json_attribute,
    str_attribute,
    usage_including_cache,
)
from promptcache.load.formats.otel_vercel_prompt import (
    anthropic_prompt,
    cache_control,
    openai_messages,
)
from promptcache.load.formats.otlp import Span

_SETTINGS = {
    "maxOutputTokens": "max_tokens",
    "maxTokens": "max_tokens",
    "temperature": "temperature",
    "topP": "top_p",
    "topK": "top_k",
    "frequencyPenalty": "frequency_penalty",
    "presencePenalty": "presence_penalty",
    "seed": "seed",
    "stopSequences": "stop",
}
_ANTHROPIC_SETTINGS = frozenset({"max_tokens", "temperature", "top_p", "top_k", "stop"})


def claims(span: Span) -> bool:
    """A provider call span of the AI SDK (it carries the prompt messages)."""
    return "ai.prompt.messages" in span.attributes


def rebuild(span: Span) -> SpanCall:
    """The provider body the SDK's prompt converts to."""
    attributes = span.attributes
    prompt = json_attribute(attributes, "ai.prompt.messages", list)
    provider = str(attributes.get("ai.model.provider") or "")
    anthropic = is_anthropic(attributes, "ai.model.provider")
    body: dict[str, Any] = {"model": attributes.get("ai.model.id")}
    if anthropic:
        body.update(anthropic_prompt(prompt or []))
    else:
        body["messages"] = openai_messages(prompt or [])
    for setting, name in _SETTINGS.items():
        value = attributes.get(f"ai.settings.{setting}")
        if value is not None and (not anthropic or name in _ANTHROPIC_SETTINGS):
            body["stop_sequences" if anthropic and name == "stop" else name] = value
    tools = [_tool(attributes, index, anthropic) for index in range(len(_tool_texts(attributes)))]
    if tools:
        body.update(
            _with_tool_choice(tools, json_text(attributes.get("ai.prompt.toolChoice")), anthropic)
        )
    usage = _usage(attributes, anthropic)
    missing: list[str] = [] if prompt is not None else ["input messages not logged"]
    if anthropic and usage is not None:
        missing.extend(breakpoints_missing(body, usage.cache_read_tokens, usage.cache_write_tokens))
    if str(attributes.get("ai.operationId") or "").startswith(
        ("ai.generateObject", "ai.streamObject")
    ):
        missing.append("response_format (the object schema) not logged")
    return SpanCall(
        body=body,
        api=MESSAGES if anthropic else RESPONSES if provider.endswith(".responses") else CHAT,
        usage=usage,
        missing=tuple(missing),
        call_id=str_attribute(attributes, "ai.response.id"),
        served_model=str_attribute(attributes, "ai.response.model"),
    )


def _usage(attributes: Mapping[str, Any], anthropic: bool) -> Usage | None:
    prompt = int_attribute(attributes, "ai.usage.inputTokens", "ai.usage.promptTokens")
    read = int_attribute(
        attributes, "ai.usage.inputTokenDetails.cacheReadTokens", "ai.usage.cachedInputTokens"
    )
    write = int_attribute(attributes, "ai.usage.inputTokenDetails.cacheWriteTokens")
    if prompt is None:
        return None
    if anthropic and "ai.usage.inputTokenDetails.noCacheTokens" not in attributes:
        # Before v6 the SDK passed Anthropic's input_tokens through: cache reads excluded.
        prompt += read or 0
    return usage_including_cache(prompt, read, write)


def _tool_texts(attributes: Mapping[str, Any]) -> list[Any]:
    tools = attributes.get("ai.prompt.tools")
    return tools if isinstance(tools, list) else []


def _tool(attributes: Mapping[str, Any], index: int, anthropic: bool) -> dict[str, Any]:
    tool = json_text(_tool_texts(attributes)[index])
    if not isinstance(tool, dict):
        raise SpanProblem("ai.prompt.tools", f"tool {index} is not a JSON object")
    schema = tool.get("inputSchema", tool.get("parameters"))
    if anthropic:
        return {
            key: value
            for key, value in (
                ("name", tool.get("name")),
                ("description", tool.get("description")),
                ("input_schema", schema),
                ("cache_control", cache_control(tool)),
            )
            if value is not None
        }
    function = {
        key: value
        for key, value in (
            ("name", tool.get("name")),
            ("description", tool.get("description")),
            ("parameters", schema),
        )
        if value is not None
    }
    return {"type": "function", "function": function}


def _with_tool_choice(tools: list[dict[str, Any]], choice: Any, anthropic: bool) -> dict[str, Any]:
    """``tools`` and ``tool_choice`` as the provider packages' ``prepareTools`` send them:
    OpenAI ``"auto"`` / ``"none"`` / ``"required"`` / a named function; Anthropic
    ``{"type": "auto" | "any" | "tool"}``, and no tools at all for ``none``."""
    kind = choice.get("type") if isinstance(choice, Mapping) else None
    name = choice.get("toolName") if isinstance(choice, Mapping) else None
    if not anthropic:
        if kind in ("auto", "none", "required"):
            return {"tools": tools, "tool_choice": kind}
        if kind == "tool":
            return {"tools": tools, "tool_choice": {"type": "function", "function": {"name": name}}}
        return {"tools": tools}
    if kind == "none":
        return {}
    anthropic_choice = {
        "auto": {"type": "auto"},
        "required": {"type": "any"},
        "tool": {"type": "tool", "name": name},
    }.get(str(kind))
    return {"tools": tools, **({"tool_choice": anthropic_choice} if anthropic_choice else {})}
