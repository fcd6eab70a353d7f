"""A Chat Completions body sent to a Claude model, read as the Messages body Claude received.

Users reach Claude through OpenAI-compatible gateways (LiteLLM's ``completion()`` and proxy,
OpenRouter, Portkey, Helicone, the Vercel AI SDK): the log holds the Chat Completions body the
application sent, and the gateway sends Anthropic its translation. The prompt Claude counts
and caches is the translation's, so :func:`to_messages` redoes it, the way LiteLLM does
(:func:`promptcache.load.formats._litellm_anthropic.anthropic_body`, which follows
``litellm/llms/anthropic/chat/transformation.py`` and ``anthropic_messages_pt`` in
``litellm/litellm_core_utils/prompt_templates/factory.py``): leading system messages become
``system`` blocks, assistant ``tool_calls`` ``tool_use`` blocks, ``tool`` messages
``tool_result`` blocks merged with the user turn around them, function tools Anthropic tools
with ``input_schema``, ``tool_choice`` Anthropic's, ``image_url`` parts image blocks, and every
``cache_control`` stays on the block it marks. Before that, LiteLLM's
``cache_control_injection_points`` (when the body carries them) mark the messages they name, as
``AnthropicCacheControlHook`` does (``litellm/integrations/anthropic_cache_control_hook.py``).

Findings must point into the body the user logged, so the translation keeps
:attr:`Translation.origins`: for each path of the translated body, the path of the chat body it
came from (``$.system[0]`` -> ``$.messages[0].content``); :func:`original_path` maps any
segment path back.

Where gateways are known to differ, the segment says so with an estimate
(:data:`MERGED_TURN_ESTIMATE`, :data:`JSON_TOOL_ESTIMATE`) rather than silently: LiteLLM is
one gateway's reading of the OpenAI format.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from copy import deepcopy
from dataclasses import dataclass, replace
from typing import Any

from promptcache.catalog import facts_for
from promptcache.load.formats._litellm_anthropic import JSON_TOOL_NAME, anthropic_body
from promptcache.load.formats.base import CHAT
from promptcache.model import Estimate, Segment, SegmentKind

__all__ = ["JSON_TOOL_ESTIMATE", "MERGED_TURN_ESTIMATE", "Translation", "chat_sent_to_claude",
           "gateway_segments", "original_path", "to_messages"]

MERGED_TURN_ESTIMATE = Estimate(
    "chat messages merged into one Claude turn as LiteLLM does (another gateway may send each "
    "as its own turn)", 0, None)
"""A translated turn made of several chat messages (tool results with the user message after
them): LiteLLM merges them (``anthropic_messages_pt``); a gateway that does not sends
consecutive same-role turns, which Anthropic does not count as one. The 8 shared records that
have such turns (pydantic-ai test_anthropic_model_retrying_after_empty_response #0, three
test_anthropic_mid_conversation_system #0, test_cross_provider_capability_replay #1-#4)
recorded 1-2 tokens more than the same messages merged and 1-2 fewer than separate turns at 3
a marker (the last four miss by 9-13 either way): each merged message is bounded by one marker
more (:func:`gateway_segments`)."""
JSON_TOOL_ESTIMATE = Estimate(
    "response_format sent as LiteLLM's json_tool_call tool (another gateway may send it as "
    "output_format)", 0, None)
"""The tool LiteLLM makes of a ``response_format`` schema
(``_create_json_tool_call_for_response_format``): other gateways map structured output their
own way."""
DUMMY_TOOL_NAME = "dummy_tool"
"""The tool LiteLLM adds when the history has tool calls and the body no tools
(``add_dummy_tool`` in ``litellm/utils.py``)."""
_CHAT_ONLY_ROLES = frozenset({"tool", "developer", "function"})
_CHAT_ONLY_PARTS = frozenset({"image_url", "input_audio", "file"})
_CHAT_ONLY_FIELDS = frozenset({
    "response_format", "parallel_tool_calls", "max_completion_tokens", "reasoning_effort",
    "n", "seed", "logprobs", "frequency_penalty", "presence_penalty", "stop", "user",
    "stream_options", "cache_control_injection_points"})
"""Top-level fields of Chat Completions (or LiteLLM's) that the Messages API does not take
(its request reference: ``stop_sequences``, ``metadata.user_id``, an object ``tool_choice``)."""
_GATEWAY_KEYS = ("cache_control_injection_points",)
"""LiteLLM's own request keys: read here, never sent to Anthropic."""
_MAX_BREAKPOINTS = 4
"""Anthropic's limit on ``cache_control`` blocks, which LiteLLM's injection respects
(``MAX_CACHE_CONTROL_BLOCKS`` in its hook)."""


@dataclass(frozen=True, slots=True)
class Translation:
    """The Messages body a gateway sends for a chat body, and where its parts came from."""

    body: dict[str, Any]
    """The Anthropic Messages request body."""
    origins: dict[str, str]
    """Translated JSON path -> the chat body's path the part was made from."""
    missing: tuple[str, ...]
    """What of the translation the chat body cannot tell (the call's count is partial)."""
    merged: dict[str, int]
    """Translated turn path -> how many chat messages LiteLLM merged into it (2 or more)."""


def chat_sent_to_claude(body: Mapping[str, Any], model: str, api: str | None) -> bool:
    """Whether ``body`` is a Chat Completions body sent to ``model``, a Claude model (the
    body's, or the one the response names when the body names a gateway alias).

    ``api`` is the API the log names (a ``/chat/completions`` URL...) or the body's fields
    tell (:func:`promptcache.load.apis.api_of`): when it says chat, the body is chat.
    Otherwise (unknown, or Anthropic's, which the fields say of any ``claude`` model) only a
    body with something Anthropic's API does not have is taken as chat: a ``tool``,
    ``developer`` or ``function`` message, ``tool_calls``, a function tool, an ``image_url``
    part, null content, a string ``tool_choice``, a field of :data:`_CHAT_ONLY_FIELDS`. The
    Messages API itself takes ``system`` messages mid-conversation (the pydantic-ai
    mid_conversation_system cassettes), so a system message alone proves nothing, and a body
    both APIs read alike is read as Anthropic's.
    """
    if facts_for(model).provider != "anthropic":
        return False
    if api == CHAT:
        return True
    if "system" in body:
        return False
    if any(key in body for key in _CHAT_ONLY_FIELDS) or isinstance(body.get("tool_choice"), str):
        return True
    messages = body.get("messages")
    tools = body.get("tools")
    return (isinstance(messages, list) and any(_chat_only(message) for message in messages)) \
        or (isinstance(tools, list) and any(isinstance(tool, Mapping)
                                             and isinstance(tool.get("function"), Mapping)
                                             for tool in tools))


def _chat_only(message: Any) -> bool:
    if not isinstance(message, Mapping):
        return False
    content = message.get("content")
    return (message.get("role") in _CHAT_ONLY_ROLES or "tool_calls" in message
            or content is None
            or (isinstance(content, list) and any(
                isinstance(part, Mapping) and part.get("type") in _CHAT_ONLY_PARTS
                for part in content)))


def to_messages(body: Mapping[str, Any], base_path: str) -> Translation:
    """The Messages body LiteLLM sends for the chat ``body`` found at ``base_path``.

    Raises :class:`~promptcache.load.formats._litellm_anthropic.Unreadable` (with the chat
    body's path) for a message no gateway could send."""
    model = str(body.get("model") or "")
    params = {key: value for key, value in body.items()
              if key not in ("model", "messages", *_GATEWAY_KEYS)}
    messages = body.get("messages")
    messages = _injected(messages, body.get("cache_control_injection_points")) \
        if isinstance(messages, list) else messages
    translated, missing = anthropic_body(model, messages, params, f"{base_path}.messages")
    control = body.get("cache_control")
    if isinstance(control, Mapping):
        # Automatic caching. OpenRouter's reference (AnthropicCacheControlDirective,
        # openrouter.ai/docs/client-sdks/typescript/models/anthropiccachecontroldirective):
        # "set at the top level, the system automatically applies cache breakpoints to the
        # last cacheable block", Anthropic's own top-level field, kept as it is.
        translated["cache_control"] = dict(control)
    origins: dict[str, str] = {"$": base_path}
    merged: dict[str, int] = {}
    if isinstance(messages, list):
        origins.update(_message_origins(messages, translated, base_path, merged))
    origins.update(_tool_origins(body, translated, base_path))
    return Translation(translated, origins, missing, merged)


def gateway_segments(segments: Sequence[Segment], translation: Translation,
                     per_message: int) -> tuple[Segment, ...]:
    """``segments`` of the translated body with the chat body's paths, and the estimates of
    the parts another gateway may send differently: a merged turn's frame may cost a marker
    (``per_message`` tokens) per merged message more; LiteLLM's json tool is unbounded."""
    mapped: list[Segment] = []
    for segment in segments:
        estimate = None
        merged = translation.merged.get(segment.path, 0)
        if segment.kind is SegmentKind.MESSAGE_FRAME and merged:
            estimate = replace(MERGED_TURN_ESTIMATE, low=segment.fixed_tokens,
                               high=segment.fixed_tokens + per_message * (merged - 1))
        elif segment.kind is SegmentKind.TOOL and segment.key == JSON_TOOL_NAME:
            estimate = JSON_TOOL_ESTIMATE
        path = original_path(segment.path, translation.origins)
        if estimate is None:
            mapped.append(replace(segment, path=path))
        else:
            mapped.append(replace(segment, path=path, estimated=True, estimate=estimate))
    return tuple(mapped)


def original_path(path: str, origins: Mapping[str, str]) -> str:
    """The chat body's path for the translated body's ``path``: its own origin, else its
    longest mapped ancestor's with the rest appended (a tool result's inner parts)."""
    if path in origins:
        return origins[path]
    cut = len(path)
    while cut > 0:
        cut = max(path.rfind(".", 0, cut), path.rfind("[", 0, cut))
        if cut <= 0:
            break
        ancestor = path[:cut]
        if ancestor in origins:
            return origins[ancestor] + path[cut:]
    return path


def _injected(messages: list[Any], points: Any) -> list[Any]:
    """``messages`` with LiteLLM's message injection points applied (``index`` first, else
    every message of ``role``), never over a message already marked and never past 4 marks
    (``_apply_message_injections``); other locations (Bedrock's ``tool_config``) do not
    concern Anthropic's body."""
    if not isinstance(points, list) or not points:
        return messages
    marked = [deepcopy(message) for message in messages]
    used = sum(_marks(message) for message in marked)
    for point in points:
        if not isinstance(point, Mapping) or point.get("location") != "message":
            continue
        control = point.get("control") or {"type": "ephemeral"}
        for index in _targets(point, marked):
            if used >= _MAX_BREAKPOINTS:
                return marked
            if _marks(marked[index]):
                continue
            _mark(marked[index], control)
            used += 1
    return marked


def _targets(point: Mapping[str, Any], messages: Sequence[Any]) -> list[int]:
    index = point.get("index")
    if isinstance(index, str):  # LiteLLM reads "-1" as -1 and ignores what is not a number
        index = int(index) if re.fullmatch(r"-?\d+", index.strip()) else None
    if isinstance(index, int) and not isinstance(index, bool):
        index = index + len(messages) if index < 0 else index
        return [index] if 0 <= index < len(messages) else []
    role = point.get("role")
    if role is None:
        return []
    return [number for number, message in enumerate(messages)
            if isinstance(message, Mapping) and message.get("role") == role]


def _marks(message: Any) -> int:
    if not isinstance(message, Mapping):
        return 0
    content = message.get("content")
    parts = content if isinstance(content, list) else []
    return (message.get("cache_control") is not None) + sum(
        isinstance(part, Mapping) and part.get("cache_control") is not None for part in parts)


def _mark(message: Any, control: Any) -> None:
    """A string content is marked on the message, a list on its last part (LiteLLM's
    ``_safe_insert_cache_control_in_message``)."""
    if not isinstance(message, dict):
        return
    content = message.get("content")
    if isinstance(content, str):
        message["cache_control"] = control
    elif isinstance(content, list) and content and isinstance(content[-1], dict):
        content[-1]["cache_control"] = control


# -- where each translated part came from ---------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Source:
    """A piece of a chat message that becomes at most one Anthropic block."""

    path: str
    message: str
    kinds: frozenset[str]
    text: str | None = None


_TEXT = frozenset({"text"})
_MEDIA = frozenset({"image", "document"})


def _message_origins(messages: Sequence[Any], translated: Mapping[str, Any], base_path: str,
                     merged: dict[str, int]) -> Iterator[tuple[str, str]]:
    """Translated system and message paths -> the chat messages' paths. The translation
    keeps the order of the chat messages' pieces and drops some (empty assistant text beside
    tool calls, parts it cannot send): each block is matched to the next piece that can have
    made it."""
    system_sources, turn_sources = _sources(messages, f"{base_path}.messages")
    system = translated.get("system")
    if isinstance(system, list) and system_sources:
        yield "$.system", system_sources[0].message
        yield from _matched([("$.system", system)], system_sources, {})
    turns = translated.get("messages")
    if isinstance(turns, list):
        yield from _matched([(f"$.messages[{number}]", turn.get("content"))
                             for number, turn in enumerate(turns)], turn_sources, merged)


def _matched(containers: Sequence[tuple[str, Any]], sources: Sequence[_Source],
             merged: dict[str, int]) -> Iterator[tuple[str, str]]:
    position = 0
    for container, blocks in containers:
        first: str | None = None
        messages: set[str] = set()
        for number, block in enumerate(blocks if isinstance(blocks, list) else ()):
            found = _next_match(block, sources, position)
            if found is None:
                continue
            position = found + 1
            source = sources[found]
            first = first or source.message
            messages.add(source.message)
            path = f"{container}[{number}]" if container == "$.system" \
                else f"{container}.content[{number}]"
            yield path, source.path
        if first is not None and container != "$.system":
            yield container, first
            if len(messages) > 1:
                merged[container] = len(messages)


def _next_match(block: Any, sources: Sequence[_Source], start: int) -> int | None:
    """The first source from ``start`` that can have made ``block``: of its type and, for
    text, of its text (the last assistant turn's is sent right-stripped); empty text becomes
    LiteLLM's placeholder, or is dropped, so it matches text no later source has."""
    if not isinstance(block, Mapping):
        return None
    kind, text = block.get("type"), block.get("text")
    for index in range(start, len(sources)):
        source = sources[index]
        if kind not in source.kinds:
            continue
        if source.text is None or text in (source.text, source.text.rstrip()):
            return index
        if not source.text.strip() and not any(
                later.text == text for later in sources[index + 1:]):
            return index
    return None


def _sources(messages: Sequence[Any], path: str) -> tuple[list[_Source], list[_Source]]:
    """The pieces of the leading system messages, and those of the conversation after."""
    system: list[_Source] = []
    turns: list[_Source] = []
    leading = True
    for index, message in enumerate(messages):
        if not isinstance(message, Mapping):
            continue
        message_path = f"{path}[{index}]"
        is_system = message.get("role") in ("system", "developer")
        if leading and is_system:
            system += _content_sources(message, message_path, _TEXT)
            continue
        leading = False
        if is_system:
            continue  # LiteLLM places a later system message per model: not translated
        if message.get("role") in ("tool", "function"):
            turns.append(_Source(f"{message_path}.content", message_path,
                                 frozenset({"tool_result"})))
            continue
        turns += _content_sources(message, message_path, _TEXT | _MEDIA)
        calls = message.get("tool_calls")
        turns += (_Source(f"{message_path}.tool_calls[{number}]", message_path,
                          frozenset({"tool_use"}))
                  for number in range(len(calls) if isinstance(calls, list) else 0))
    return system, turns


def _content_sources(message: Mapping[str, Any], path: str,
                     kinds: frozenset[str]) -> list[_Source]:
    content = message.get("content")
    if isinstance(content, str):
        return [_Source(f"{path}.content", path, _TEXT, content)]
    if not isinstance(content, list):
        return []
    sources = []
    for number, part in enumerate(content):
        if not isinstance(part, Mapping):
            continue
        text = part.get("text")
        part_kinds = _TEXT if part.get("type") == "text" else kinds - _TEXT
        sources.append(_Source(f"{path}.content[{number}]", path, part_kinds,
                               text if isinstance(text, str) else None))
    return sources


def _tool_origins(body: Mapping[str, Any], translated: Mapping[str, Any],
                  base_path: str) -> Iterator[tuple[str, str]]:
    """Translated tool paths -> the chat tools' paths (by name); LiteLLM's json tool comes
    from ``response_format``, its dummy tool from the history's tool calls."""
    tools = translated.get("tools")
    if not isinstance(tools, list) or not tools:
        return
    logged = body.get("tools")
    by_name = {_tool_name(tool): f"{base_path}.tools[{number}]"
               for number, tool in enumerate(logged if isinstance(logged, list) else ())}
    origins = [_tool_origin(tool, by_name, base_path) for tool in tools]
    yield "$.tools", f"{base_path}.tools" if by_name else origins[0]
    for number, origin in enumerate(origins):
        yield f"$.tools[{number}]", origin


def _tool_origin(tool: Any, by_name: Mapping[str, str], base_path: str) -> str:
    name = tool.get("name") if isinstance(tool, Mapping) else None
    if name == JSON_TOOL_NAME and name not in by_name:
        return f"{base_path}.response_format"
    if name == DUMMY_TOOL_NAME and name not in by_name:
        return f"{base_path}.messages"
    return by_name.get(name if isinstance(name, str) else "", f"{base_path}.tools")


def _tool_name(tool: Any) -> str:
    if not isinstance(tool, Mapping):
        return ""
    function = tool.get("function")
    name = function.get("name") if isinstance(function, Mapping) else tool.get("name")
    return name if isinstance(name, str) else ""
