"""The Anthropic Messages body LiteLLM sends for an OpenAI-format ``completion()`` call.

LiteLLM logs the request as the caller gave it (OpenAI messages, OpenAI tools); the body the
provider received is LiteLLM's translation of it. This module redoes that translation as
litellm 1.110.2 does it, so the audit sees the prompt Anthropic cached:

- the leading run of system (and developer) messages becomes ``system`` text blocks, each
  keeping its ``cache_control``; empty system text is skipped;
- consecutive user and tool messages merge into one user turn, consecutive assistant
  messages into one assistant turn; a string becomes a text block (the message's
  ``cache_control`` moves onto it), ``image_url`` a base64 (or https URL) ``image`` block,
  a tool message a ``tool_result``, an assistant's ``tool_calls`` ``tool_use`` blocks with
  their arguments parsed; the last assistant turn's text loses its trailing whitespace;
- OpenAI function tools become ``{"name", "input_schema", "type": "custom",
  "description"}`` (the schema keeps only the keys Anthropic accepts);
- ``response_format`` with a schema becomes the ``json_tool_call`` tool, put before the
  caller's tools, and a ``tool_choice`` forcing it (models without native structured output;
  with thinking on, not forced but described; a caller's ``tool_choice`` replaces it);
- ``user`` becomes ``metadata.user_id`` (not for an e-mail or phone number), ``stop``
  ``stop_sequences``, ``tool_choice`` / ``parallel_tool_calls`` Anthropic's ``tool_choice``;
- empty text becomes LiteLLM's placeholder (or is dropped from an assistant turn with tool
  calls); tool calls without tools bring LiteLLM's ``dummy_tool``.

Sources (BerriAI/litellm, the 1.110.2 wheel): ``litellm/llms/anthropic/chat/transformation.py``
(``transform_request``, ``map_openai_params``, ``_map_tool_helper``, ``_map_tool_choice``,
``translate_system_message``, ``_create_json_tool_call_for_response_format``, ``_valid_user_id``),
``litellm/litellm_core_utils/prompt_templates/factory.py`` (``anthropic_messages_pt``,
``convert_to_anthropic_tool_result``, ``convert_to_anthropic_tool_invoke``,
``create_anthropic_image_param``, ``sanitize_anthropic_tool_use_id``),
``litellm/litellm_core_utils/prompt_templates/common_utils.py``
(``sanitize_input_schema_for_anthropic``).

What LiteLLM does that cannot be redone from a log (an image it downloaded, a reasoning
budget it chose, output schemas it rewrote, how it fills a turn without content) is not
guessed: the call is marked with what is missing.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from promptcache.load.formats.embedded import json_text

JSON_TOOL_NAME = "json_tool_call"
"""LiteLLM's ``RESPONSE_FORMAT_TOOL_NAME``: the tool a ``response_format`` schema becomes."""

_UNFORCED_TOOL_DESCRIPTION = (
    "When you are ready to answer, call this tool with your final answer as its input. "
    "Do not reply in plain text.")
"""LiteLLM's ``RESPONSE_FORMAT_UNFORCED_TOOL_DESCRIPTION``: the json tool's description when
thinking is on, since a thinking model cannot be forced to call a tool."""
_SCHEMA_KEYS = ("type", "properties", "additionalProperties", "required", "$defs", "strict")
"""The input-schema keys Anthropic accepts (LiteLLM's ``AnthropicInputSchema``)."""
_TOOL_USE_ID_INVALID = re.compile(r"[^a-zA-Z0-9_-]")
_TOOL_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,128}$")
_EMAIL = re.compile(r"^[a-zA-Z0-9._%+-]+@[a-zA-Z0-9.-]+\.[a-zA-Z]{2,}$")
_PHONE = re.compile(r"^\+?[\d\s\(\)-]{7,}$")
_NATIVE_OUTPUT_MODEL = re.compile(
    r"claude-(?:(?:opus|sonnet|haiku)-(?:4-[5-9]|[5-9])|fable|mythos)")
"""Models LiteLLM's model map flags ``supports_native_structured_output``: for them a
``response_format`` schema is sent as ``output_format``, not as the ``json_tool_call`` tool."""
_USER_TURN_ROLES = frozenset({"user", "tool", "function"})
_NOT_AN_OBJECT = "a content part that is not an object"
_EMPTY_TEXT_PLACEHOLDER = "[System: Empty message content sanitised to satisfy protocol]"
"""What LiteLLM sends instead of empty text (``_EMPTY_TEXT_PLACEHOLDER`` in factory.py)."""
_DATA_URL = re.compile(r"^data:([^;,]+);base64,(.*)$", re.DOTALL)


class Unreadable(Exception):
    """A part of the logged request that LiteLLM itself could not have sent."""

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = path
        self.problem = problem


@dataclass(slots=True)
class _Conversion:
    messages_path: str
    missing: list[str] = field(default_factory=list)

    def lacks(self, what: str) -> None:
        if what not in self.missing:
            self.missing.append(what)


def anthropic_body(model: str, messages: Any, params: Mapping[str, Any],
                   messages_path: str) -> tuple[dict[str, Any], tuple[str, ...]]:
    """The body LiteLLM sent to Anthropic for ``messages`` and the logged OpenAI
    ``params``, and what of it the log could not say. Raises :class:`Unreadable` (with the
    JSON path under ``messages_path``) for a message LiteLLM would have refused."""
    conversion = _Conversion(messages_path)
    if not isinstance(messages, list):
        raise Unreadable(messages_path, "the messages are not a list")
    system, rest = _system_blocks(messages, conversion)
    body: dict[str, Any] = {"model": model, "messages": list(_turns(rest, conversion))}
    body.update(_params(model, params, conversion))
    if "tools" not in body and any(message.get("tool_calls") or message["role"] == "tool"
                                   for _, message in rest):
        # Anthropic refuses tool_use blocks without tools: LiteLLM adds its dummy tool
        # (``add_dummy_tool`` in litellm/utils.py).
        body["tools"] = [{"name": "dummy_tool",
                          "input_schema": {"type": "object", "properties": {}},
                          "type": "custom", "description": "This is a dummy tool call"}]
    if system:
        body["system"] = system
    return body, tuple(conversion.missing)


def _system_blocks(messages: list[Any], conversion: _Conversion
                   ) -> tuple[list[dict[str, Any]], list[tuple[int, dict[str, Any]]]]:
    """The leading system run as system blocks, and the other messages with their index."""
    blocks: list[dict[str, Any]] = []
    rest: list[tuple[int, dict[str, Any]]] = []
    leading = True
    for index, message in enumerate(messages):
        if not isinstance(message, Mapping) or not isinstance(message.get("role"), str):
            raise Unreadable(f"{conversion.messages_path}[{index}]", "a message without a role")
        is_system = message["role"] in ("system", "developer")
        if leading and is_system:
            blocks.extend(_system_message_blocks(message))
            continue
        leading = False
        if is_system:
            # LiteLLM places a later system message by model (kept in place, or merged): not
            # rebuilt, and its text would be counted in the wrong place.
            conversion.lacks("a system message after the first turn (placed by LiteLLM per model)")
            continue
        rest.append((index, dict(message)))
    return blocks, rest


def _system_message_blocks(message: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    content = message.get("content")
    if isinstance(content, str):
        if content:
            yield _with_cache_control({"type": "text", "text": content}, message)
        return
    for part in content if isinstance(content, list) else ():
        if not isinstance(part, Mapping) or (part.get("type") == "text" and not part.get("text")):
            continue
        yield _with_cache_control({"type": part.get("type"), "text": part.get("text")}, part)


def _turns(messages: Sequence[tuple[int, dict[str, Any]]],
           conversion: _Conversion) -> Iterator[dict[str, Any]]:
    """Messages merged into alternating user and assistant turns, as ``anthropic_messages_pt``."""
    turns: list[dict[str, Any]] = []
    for index, message in messages:
        role = "user" if message["role"] in _USER_TURN_ROLES else "assistant"
        if message["role"] not in _USER_TURN_ROLES and message["role"] != "assistant":
            raise Unreadable(f"{conversion.messages_path}[{index}].role",
                             f"role {message['role']!r} is not one LiteLLM sends to Anthropic")
        path = f"{conversion.messages_path}[{index}]"
        blocks = (list(_user_blocks(message, path, conversion)) if role == "user"
                  else list(_assistant_blocks(message, path, conversion)))
        if turns and turns[-1]["role"] == role:
            turns[-1]["content"].extend(blocks)
        elif blocks:
            turns.append({"role": role, "content": blocks})
    if turns and turns[-1]["role"] == "assistant":
        for block in turns[-1]["content"]:
            if block.get("type") == "text" and isinstance(block.get("text"), str):
                block["text"] = block["text"].rstrip()
    return iter(turns)


def _user_blocks(message: Mapping[str, Any], path: str,
                 conversion: _Conversion) -> Iterator[dict[str, Any]]:
    if message["role"] == "function":
        conversion.lacks("a function-role message (LiteLLM gives it a random tool_use_id)")
        return
    if message["role"] == "tool":
        yield _tool_result(message, path, conversion)
        return
    content = message.get("content")
    if isinstance(content, str):
        yield _with_cache_control({"type": "text", "text": _or_placeholder(content)}, message)
    elif isinstance(content, list) and content:
        for number, part in enumerate(content):
            yield from _user_part(part, f"{path}.content[{number}]", conversion)
    else:
        conversion.lacks("a user message without content (LiteLLM fills it per turn)")


def _user_part(part: Any, path: str, conversion: _Conversion) -> Iterator[dict[str, Any]]:
    if not isinstance(part, Mapping):
        raise Unreadable(path, _NOT_AN_OBJECT)
    kind = part.get("type")
    if kind == "text":
        yield _with_cache_control({"type": "text", "text": _or_placeholder(part.get("text"))}, part)
    elif kind == "image_url":
        image = _image_block(part.get("image_url"), f"{path}.image_url", conversion)
        if image is not None:
            yield _with_cache_control(image, part)
    else:
        conversion.lacks(f"a {kind!r} content part (LiteLLM's conversion of it is not rebuilt)")


def _image_block(image_url: Any, path: str, conversion: _Conversion) -> dict[str, Any] | None:
    url = image_url.get("url") if isinstance(image_url, Mapping) else image_url
    explicit = image_url.get("format") if isinstance(image_url, Mapping) else None
    if not isinstance(url, str):
        raise Unreadable(path, "an image_url without a url")
    if url.startswith("https://"):
        return {"type": "image", "source": {"type": "url", "url": url}}
    if url.startswith("http://"):
        conversion.lacks("an image LiteLLM downloaded from an http:// URL and sent as base64")
        return None
    data_url = _DATA_URL.match(url)
    if data_url is None:
        raise Unreadable(path, "an image url that is neither a data: URL nor an http(s) URL")
    media_type, data = data_url.groups()
    if isinstance(explicit, str) and explicit:
        media_type = explicit
    elif media_type == "application/pdf":
        return {"type": "document",
                "source": {"type": "base64", "media_type": media_type, "data": data}}
    return {"type": "image", "source": {"type": "base64", "media_type": media_type, "data": data}}


def _tool_result(message: Mapping[str, Any], path: str, conversion: _Conversion) -> dict[str, Any]:
    tool_call_id = message.get("tool_call_id")
    if not isinstance(tool_call_id, str):
        raise Unreadable(f"{path}.tool_call_id", "a tool message without a tool_call_id")
    content = message.get("content")
    result_content: str | list[dict[str, Any]] = ""
    if isinstance(content, str):
        result_content = content
    elif isinstance(content, list):
        result_content = []
        for number, part in enumerate(content):
            part_path = f"{path}.content[{number}]"
            if not isinstance(part, Mapping):
                raise Unreadable(part_path, _NOT_AN_OBJECT)
            if part.get("type") == "text":
                text: dict[str, Any] = {"type": "text", "text": part.get("text")}
                if part.get("cache_control") is not None:
                    text["cache_control"] = part["cache_control"]
                result_content.append(text)
            elif part.get("type") == "image_url":
                image = _image_block(part.get("image_url"), f"{part_path}.image_url", conversion)
                if image is not None:
                    result_content.append(_with_cache_control(image, part))
            else:
                conversion.lacks(f"a {part.get('type')!r} part in a tool result (not rebuilt)")
    result: dict[str, Any] = {"type": "tool_result", "tool_use_id": _tool_use_id(tool_call_id),
                              "content": result_content}
    if message.get("cache_control") is not None:
        result["cache_control"] = message["cache_control"]
    return result


def _assistant_blocks(message: Mapping[str, Any], path: str,
                      conversion: _Conversion) -> Iterator[dict[str, Any]]:
    provider_fields = message.get("provider_specific_fields")
    # LiteLLM's own response messages carry {"citations": None, "thinking_blocks": None}
    # when there were none: only a field with something in it is sent back.
    if message.get("thinking_blocks") or (isinstance(provider_fields, Mapping) and any(
            provider_fields.values())):
        conversion.lacks("an assistant turn's thinking or server-tool blocks (not rebuilt)")
    if message.get("function_call") is not None:
        conversion.lacks("an assistant function_call (LiteLLM gives it a random tool_use id)")
    content = message.get("content")
    tool_calls = message.get("tool_calls")
    parts = content if isinstance(content, list) else []
    # Empty text is dropped from a turn that carries something else, replaced by LiteLLM's
    # placeholder in one that does not (``_sanitize_empty_text_content``).
    drop_empty = bool(tool_calls) or any(
        isinstance(part, Mapping) and part.get("type") != "text" for part in parts)
    if isinstance(content, str):
        if content.strip() or not drop_empty:
            yield _with_cache_control({"type": "text", "text": _or_placeholder(content)}, message)
    elif content is None and not tool_calls:
        conversion.lacks("an assistant message without content (LiteLLM sends no turn for it)")
    for number, part in enumerate(parts):
        if not isinstance(part, Mapping):
            raise Unreadable(f"{path}.content[{number}]", _NOT_AN_OBJECT)
        if part.get("type") != "text":
            conversion.lacks(f"a {part.get('type')!r} part in an assistant turn (not rebuilt)")
        elif _or_placeholder(part.get("text")) != _EMPTY_TEXT_PLACEHOLDER or not drop_empty:
            yield _with_cache_control(
                {"type": "text", "text": _or_placeholder(part.get("text"))}, part)
    for number, call in enumerate(tool_calls if isinstance(tool_calls, list) else ()):
        yield _tool_use(call, f"{path}.tool_calls[{number}]")


def _or_placeholder(text: Any) -> str:
    """``text``, or LiteLLM's placeholder for text Anthropic would refuse as empty."""
    return text if isinstance(text, str) and text.strip() else _EMPTY_TEXT_PLACEHOLDER


def _tool_use(call: Any, path: str) -> dict[str, Any]:
    function = call.get("function") if isinstance(call, Mapping) else None
    if not isinstance(function, Mapping) or not isinstance(call.get("id"), str):
        raise Unreadable(path, "a tool call without an id and a function")
    arguments = function.get("arguments")
    tool_input: Any = {}
    if isinstance(arguments, str) and arguments.strip():
        tool_input = json_text(arguments, _NOT_JSON)
        if tool_input is _NOT_JSON:
            raise Unreadable(f"{path}.function.arguments", "the arguments are not JSON")
    block: dict[str, Any] = {"type": "tool_use", "id": _tool_use_id(call["id"]),
                             "name": function.get("name"), "input": tool_input}
    return _with_cache_control(block, call)


_NOT_JSON = object()


def _tool_use_id(tool_call_id: str) -> str:
    # Anthropic requires ^[a-zA-Z0-9_-]+$; LiteLLM replaces every other character by "_".
    return _TOOL_USE_ID_INVALID.sub("_", tool_call_id) or "tool_use_id"


def _with_cache_control(block: dict[str, Any], source: Mapping[str, Any]) -> dict[str, Any]:
    if isinstance(source.get("cache_control"), Mapping):
        block["cache_control"] = dict(source["cache_control"])
    return block


def _params(model: str, params: Mapping[str, Any], conversion: _Conversion) -> dict[str, Any]:
    """The logged OpenAI parameters as Anthropic's, in the order LiteLLM adds them."""
    mapped: dict[str, Any] = {}
    for name in ("temperature", "top_p", "top_k"):
        if params.get(name) is not None:
            mapped[name] = params[name]
    max_tokens = params.get("max_tokens", params.get("max_completion_tokens"))
    if max_tokens is not None:
        mapped["max_tokens"] = max_tokens
    stop = params.get("stop")
    if isinstance(stop, str) or (isinstance(stop, list) and stop):
        mapped["stop_sequences"] = [stop] if isinstance(stop, str) else list(stop)
    if params.get("stream") is True:
        mapped["stream"] = True
    user = params.get("user")
    if isinstance(user, str) and not _EMAIL.match(user) and not _PHONE.match(user):
        mapped["metadata"] = {"user_id": user}
    if params.get("thinking") is not None:
        mapped["thinking"] = params["thinking"]
    if params.get("reasoning_effort") is not None:
        conversion.lacks("the thinking budget LiteLLM derives from reasoning_effort")
    tools: list[dict[str, Any]] = []
    json_tool = _json_tool(model, params, conversion)
    if json_tool is not None:
        if "description" not in json_tool:  # forced: LiteLLM makes the model call it
            mapped["tool_choice"] = {"name": JSON_TOOL_NAME, "type": "tool"}
        tools.append(json_tool)
    # LiteLLM maps response_format before tool_choice: a tool_choice given replaces the one
    # forcing the json tool (completion()'s parameter order, kept by map_openai_params).
    choice = _tool_choice(params.get("tool_choice"), params.get("parallel_tool_calls"))
    if choice is not None:
        mapped["tool_choice"] = choice
    logged_tools = params.get("tools")
    for tool in logged_tools if isinstance(logged_tools, list) else ():
        converted = _tool(tool, conversion)
        if converted is not None:
            tools.append(converted)
    if tools:
        mapped["tools"] = tools
    return mapped


def _json_tool(model: str, params: Mapping[str, Any],
               conversion: _Conversion) -> dict[str, Any] | None:
    """The tool a ``response_format`` schema becomes (none for ``json_object``, which has
    no schema); forced unless thinking is on, when it carries LiteLLM's description instead."""
    response_format = params.get("response_format")
    if not isinstance(response_format, Mapping):
        return None
    schema = _response_schema(response_format)
    if schema is None:
        return None
    if _NATIVE_OUTPUT_MODEL.search(model):
        conversion.lacks("the output_format LiteLLM sends for response_format (not rebuilt)")
        return None
    if params.get("reasoning_effort") is not None:
        conversion.lacks("how LiteLLM sends response_format with reasoning_effort (not rebuilt)")
        return None
    tool: dict[str, Any] = {"name": JSON_TOOL_NAME, "input_schema": {"type": "object", **schema}}
    if _thinking_on(params.get("thinking")):
        tool["description"] = _UNFORCED_TOOL_DESCRIPTION
    return tool


def _thinking_on(thinking: Any) -> bool:
    return thinking is True or (isinstance(thinking, Mapping)
                                and thinking.get("type") in ("enabled", "adaptive"))


def _response_schema(response_format: Mapping[str, Any]) -> dict[str, Any] | None:
    if isinstance(response_format.get("response_schema"), Mapping):
        return dict(response_format["response_schema"])
    json_schema = response_format.get("json_schema")
    if isinstance(json_schema, Mapping) and isinstance(json_schema.get("schema"), Mapping):
        return dict(json_schema["schema"])
    return None


def _tool_choice(choice: Any, parallel: Any) -> dict[str, Any] | None:
    mapped: dict[str, Any] | None = None
    if choice in ("auto", "required", "none"):
        mapped = {"type": {"auto": "auto", "required": "any", "none": "none"}[choice]}
    elif isinstance(choice, Mapping):
        function = choice.get("function")
        if isinstance(function, Mapping) and function.get("name") is not None:
            mapped = {"type": "tool", "name": function["name"]}
        elif choice.get("type") in ("auto", "required", "any", "none"):
            mapped = {"type": "any" if choice["type"] in ("required", "any") else choice["type"]}
    if isinstance(parallel, bool) and choice != "none":
        if mapped is None:
            mapped = {"type": "auto"}
        mapped["disable_parallel_tool_use"] = not parallel
    return mapped


def _tool(tool: Any, conversion: _Conversion) -> dict[str, Any] | None:
    if isinstance(tool, Mapping) and "input_schema" in tool:
        return dict(tool)  # already Anthropic's: LiteLLM passes it through
    function = tool.get("function") if isinstance(tool, Mapping) else None
    if not isinstance(tool, Mapping) or tool.get("type") not in ("function", "custom") \
            or not isinstance(function, Mapping):
        kind = tool.get("type") if isinstance(tool, Mapping) else None
        conversion.lacks(f"a {kind!r} tool (LiteLLM's conversion of it is not rebuilt)")
        return None
    name = function.get("name")
    if not isinstance(name, str) or not _TOOL_NAME.match(name):
        conversion.lacks("a tool name LiteLLM rewrites for Anthropic")
    parameters = function.get("parameters")
    if isinstance(parameters, Mapping) and "definitions" in parameters:
        conversion.lacks("a tool schema's legacy definitions (LiteLLM inlines them)")
    converted: dict[str, Any] = {"name": name,
                                 "input_schema": _input_schema(parameters),
                                 "type": "custom"}
    if function.get("description") is not None:
        converted["description"] = function["description"]
    cache_control = tool.get("cache_control", function.get("cache_control"))
    if isinstance(cache_control, Mapping):
        converted["cache_control"] = dict(cache_control)
    return converted


def _input_schema(parameters: Any) -> dict[str, Any]:
    schema = dict(parameters) if isinstance(parameters, Mapping) else {}
    if schema.get("type") != "object":
        schema["type"] = "object"
    schema.setdefault("properties", {})
    return {key: value for key, value in schema.items() if key in _SCHEMA_KEYS}
