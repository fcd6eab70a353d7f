"""An OpenAI Responses API request body as the segments of the prompt the model reads.

:func:`responses_segments` is the Responses counterpart of
:func:`promptcache.normalize.openai_chat.chat_segments`, with the same conventions and the
same invariant::

    sum(segment.fixed_tokens + count(segment.text)) == usage.input_tokens

Order (the provider's caching order): the tool definitions (one ``TOOL`` segment per tool,
``key`` = its name), the structured-output schema (``text.format``), ``instructions``, the
``input`` items, the reply priming.

Underneath, a Responses request is rendered into the same chat format as a Chat Completions
request, so the pieces are shared: tool definitions (:func:`render_function`,
:func:`tool_block_parts`), the schema section (:func:`render_response_format`), images
(:func:`image_tokens`), and the model families (``chatml``/``harmony``) of the chat module.
What differs was fitted on shared/data/openai-responses-cassettes.jsonl (286 requests with
the API's ``usage.input_tokens``; tests/test_openai_responses_tokens.py replays them all):

* harmony models (o-series, gpt-5*) do not bill the 84-token hidden preamble that Chat
  Completions bills with tools: the tools block costs its text plus 2 (every gpt-5* request
  with function tools). Chatml models (gpt-4o, gpt-4.1) always give the tools a system
  message of their own, never merged into the caller's, 6 tokens cheaper than the chat
  standalone block (14 records; with a system message in ``input``, 4 records).
* a function call and its output cost one token less each on chatml than in Chat
  Completions (``header_extra`` 0).
* on harmony, an assistant text message costs 2 more than other messages (its
  ``<|channel|>final`` marker); reasoning items before the last user message are dropped by
  the API (they cost nothing); later ones are billed in full, but their text is encrypted:
  their cost is estimated from the ciphertext's length.
* a tool's ``parameters.description`` is rendered as harmony does, a comment between
  ``(_: `` and the object's ``{`` (6 records, 13 tokens each for a 13-token comment).
* an ``additional_tools`` input item (tools announced mid-conversation) costs exactly a
  Chat Completions harmony tools block, preamble included.

Not renderable offline, so marked ``estimated`` (the record's count is then unsupported):
built-in tools (web search, file search, code interpreter, image generation, MCP, tool
search...) whose hidden prompts and server-side results are billed as input; their call and
output items; ``previous_response_id``, ``conversation`` and ``prompt`` (earlier context
stored server-side); files; compaction items; reasoning items kept in the current turn.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

import orjson

from promptcache.catalog import ModelFacts
from promptcache.model import ImageRef, Segment, SegmentKind

# Private helpers of the chat normalizer, shared on purpose: the model-family choice and the
# short description of an image source must agree between the two APIs.
from promptcache.normalize.openai_chat import (
    _format_for,
    _source_hint,
)
from promptcache.tokens.functions import (
    TOOLS_HEADER,
    comment_lines,
    render_function,
    render_response_format,
    tool_block_parts,
)
from promptcache.tokens.images import data_url_dimensions, image_tokens

__all__ = ["responses_segments"]


@dataclass(frozen=True, slots=True)
class _Format:
    """How one family of models frames a Responses conversation (numbers in tokens)."""

    name: str
    frame: int
    """Around every message: start, role, separator, end."""
    priming: int
    """Appended to start the reply."""
    header_extra: int
    """On a function call or output message, beyond its frame and the names in its header."""
    assistant_extra: int
    """On an assistant text message, beyond its frame."""
    tools_overhead: int
    """The top-level tools block, beyond its header and footer text."""
    tools_header: str
    """Text before the first tool."""
    image_extra: int
    """Around each image, beyond the image's own tokens."""
    estimated: bool = False
    """Framing not checked against recorded usage for this family."""


_CHATML: Final = _Format(name="chatml", frame=4, priming=3, header_extra=0, assistant_extra=0,
                         tools_overhead=-3, tools_header=TOOLS_HEADER, image_extra=0)
_HARMONY: Final = _Format(name="harmony", frame=4, priming=2, header_extra=4,
                          assistant_extra=2, tools_overhead=2,
                          tools_header=TOOLS_HEADER + "\n", image_extra=2)
# gpt-4 / gpt-3.5-turbo: Chat Completions' cookbook figures; no recorded Responses request.
_CL100K: Final = _Format(name="cl100k", frame=3, priming=3, header_extra=0, assistant_extra=0,
                         tools_overhead=-3, tools_header=TOOLS_HEADER, image_extra=0,
                         estimated=True)
_FORMATS: Final = {"chatml": _CHATML, "harmony": _HARMONY, "cl100k": _CL100K}

_ADDITIONAL_TOOLS_OVERHEAD: Final = 84
"""An ``additional_tools`` item on harmony: the chat harmony tools block's hidden preamble."""
_PARALLEL: Final = "multi_tool_use.parallel"
_FILE_GUESS_TOKENS: Final = 512
"""Best-effort cost of a file part (as the chat normalizer guesses it)."""
_REASONING_CHARS_PER_TOKEN: Final = 4.0
"""Encrypted reasoning: ciphertext characters per billed token, a rough fit (estimate only)."""
_TOOL_MEMO_SIZE: Final = 256
_FUNCTION_TYPES: Final = frozenset({"function"})
_TEXT_PARTS: Final = frozenset({"input_text", "output_text", "text", "summary_text"})
_MESSAGE_ROLES: Final = frozenset({"system", "developer", "user", "assistant"})
_SERVER_CONTEXT: Final = ("previous_response_id", "conversation", "prompt")
"""Top-level fields that pull earlier context, stored server-side, into the prompt."""

_ToolsKey = tuple[bytes, str, str]
_tools_memo: OrderedDict[_ToolsKey, tuple[Segment, ...]] = OrderedDict()


def responses_segments(body: Mapping[str, Any], base_path: str,
                       facts: ModelFacts) -> tuple[Segment, ...]:
    """The prompt of a Responses API request body as ordered segments (see module doc).

    Never raises on schema-valid input: unknown item types, built-in tools and server-side
    context are rendered as well as possible and the segments concerned marked ``estimated``.
    """
    model = body.get("model")
    model_name = model.strip().lower().rsplit("/", 1)[-1] if isinstance(model, str) else ""
    fmt = _FORMATS.get(_format_for(model_name, facts).name, _CHATML)
    builder = _Builder(base_path, facts, fmt)
    tools = body.get("tools")
    has_functions = False
    if isinstance(tools, list) and tools:
        segments, has_functions = _top_tools(tools, builder)
        builder.out.extend(segments)
    builder.response_format(body.get("text"), after_tools=has_functions)
    instructions = body.get("instructions")
    if isinstance(instructions, str) and instructions:
        builder.message_text("system" if fmt is not _HARMONY else "developer",
                             f"{base_path}.instructions", instructions)
    elif isinstance(instructions, list):  # a reusable prompt's instructions: input-like items
        builder.items(instructions, f"{base_path}.instructions")
    for field in _SERVER_CONTEXT:
        if body.get(field):
            builder.out.append(Segment(SegmentKind.OTHER, f"{base_path}.{field}", "",
                                       key=field, estimated=True))
    value = body.get("input")
    if isinstance(value, str):
        builder.message_text("user", f"{base_path}.input", value)
    elif isinstance(value, list):
        builder.items(value, f"{base_path}.input")
    builder.out.append(Segment(SegmentKind.REPLY_PRIMING, base_path, "",
                               fixed_tokens=fmt.priming, estimated=fmt.estimated))
    return tuple(builder.out)


# --------------------------------------------------------------------------------------------
# Tool definitions
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Tool:
    name: str
    text: str
    """The rendered function ('' for a tool that is not a function)."""
    function: bool
    estimated: bool


def _top_tools(tools: list[Any], builder: _Builder) -> tuple[tuple[Segment, ...], bool]:
    """The top-level tools' segments (memoized on their JSON), and whether any is a function."""
    path = f"{builder.base}.tools"
    try:
        memo_key: _ToolsKey | None = (orjson.dumps(tools), builder.fmt.name, path)
    except TypeError:  # not JSON data: build uncached
        memo_key = None
    if memo_key is not None:
        cached = _tools_memo.get(memo_key)
        if cached is not None:
            _tools_memo.move_to_end(memo_key)
            return cached, any(s.kind is SegmentKind.TOOLS_FRAME for s in cached)
    rendered = [_render_tool(tool) for tool in tools]
    segments = builder.tools_block(path, rendered, builder.fmt.tools_overhead)
    if memo_key is not None:
        _tools_memo[memo_key] = segments
        if len(_tools_memo) > _TOOL_MEMO_SIZE:
            _tools_memo.popitem(last=False)
    return segments, any(tool.function for tool in rendered)


def _render_tool(tool: object) -> _Tool:
    if not isinstance(tool, Mapping):
        return _Tool("", "", function=False, estimated=True)
    kind = tool.get("type")
    name = tool.get("name")
    if kind in _FUNCTION_TYPES:
        return _Tool(name if isinstance(name, str) else "", _render_function(tool),
                     function=True, estimated=False)
    if kind == "custom":  # grammar / free-text tools: rendering unknown
        return _Tool(name if isinstance(name, str) else "custom", render_function(tool),
                     function=True, estimated=True)
    # Built-in tools (web_search, file_search, code_interpreter, image_generation, mcp,
    # tool_search, namespace...): hidden prompts of unknown length.
    label = name if isinstance(name, str) and name else kind
    return _Tool(label if isinstance(label, str) else "", "", function=False, estimated=True)


def _render_function(tool: Mapping[str, Any]) -> str:
    """:func:`render_function`, plus the parameters object's own description as harmony
    renders it: ``(_: // description`` on the type line, then ``{`` on the next."""
    text = render_function(tool)
    parameters = tool.get("parameters")
    if not isinstance(parameters, Mapping):
        return text
    description = comment_lines(parameters.get("description"))
    name = tool.get("name")
    opening = f"type {name if isinstance(name, str) else ''} = (_:{{"
    if not description or opening not in text:
        return text
    return text.replace(opening, opening[:-1] + " " + description + "{", 1)


# --------------------------------------------------------------------------------------------
# Segment building
# --------------------------------------------------------------------------------------------


class _Builder:
    """Accumulates the segments of one request."""

    def __init__(self, base_path: str, facts: ModelFacts, fmt: _Format) -> None:
        self.base = base_path
        self.facts = facts
        self.fmt = fmt
        self.out: list[Segment] = []
        self.call_names: dict[str, str] = {}

    # -- tools and schema ---------------------------------------------------------------------

    def tools_block(self, path: str, tools: list[_Tool], overhead: int) -> tuple[Segment, ...]:
        """Header frame, one segment per tool, footer frame; built-in tools (no text) keep
        their place in the list but are no part of the ``functions`` namespace."""
        functions = [tool for tool in tools if tool.function]
        if not functions:
            return tuple(Segment(SegmentKind.TOOL, f"{path}[{index}]", "", key=tool.name,
                                 estimated=True) for index, tool in enumerate(tools))
        header, parts, footer = tool_block_parts(self.fmt.tools_header,
                                                 [tool.text for tool in functions])
        pieces = iter(parts)
        out = [Segment(SegmentKind.TOOLS_FRAME, path, header.text,
                       fixed_tokens=overhead + header.correction, estimated=self.fmt.estimated)]
        for index, tool in enumerate(tools):
            if tool.function:
                part = next(pieces)
                out.append(Segment(SegmentKind.TOOL, f"{path}[{index}]", part.text,
                                   fixed_tokens=part.correction, key=tool.name,
                                   estimated=tool.estimated))
            else:
                out.append(Segment(SegmentKind.TOOL, f"{path}[{index}]", "", key=tool.name,
                                   estimated=True))
        out.append(Segment(SegmentKind.TOOLS_FRAME, path, footer.text,
                           fixed_tokens=footer.correction))
        return tuple(out)

    def response_format(self, text_options: object, *, after_tools: bool) -> None:
        """``text.format`` of type ``json_schema``: the chat schema section, same placement."""
        if not isinstance(text_options, Mapping):
            return
        spec = text_options.get("format")
        if not isinstance(spec, Mapping) or spec.get("type") != "json_schema":
            return
        # Responses puts name/schema/description at the format's top level, where Chat
        # Completions nests them under `json_schema`: the same mapping serves as both.
        text = render_response_format({"type": "json_schema", "json_schema": spec})
        if text is None:
            return
        fixed, estimated = 0, False
        if after_tools:
            text = "\n\n" + text
        elif self.fmt is not _HARMONY:
            # Chatml without tools: assumed to get a system message of its own, as in the
            # chat normalizer (no recorded case). Harmony: no frame (1 record, gpt-5.4-mini).
            fixed, estimated = self.fmt.frame, True
        self.out.append(Segment(SegmentKind.RESPONSE_FORMAT, f"{self.base}.text.format", text,
                                fixed_tokens=fixed, estimated=estimated))

    # -- input items --------------------------------------------------------------------------

    def message_text(self, role: str, path: str, text: str) -> None:
        self._frame(path, role, "", self._message_frame(role), estimated=False)
        self.out.append(Segment(SegmentKind.TEXT, path, text, role=role))

    def items(self, items: Sequence[Any], path: str) -> None:
        last_user = max((index for index, item in enumerate(items)
                         if isinstance(item, Mapping) and item.get("role") == "user"
                         and item.get("type", "message") == "message"), default=-1)
        index = 0
        while index < len(items):
            item = items[index]
            item_path = f"{path}[{index}]"
            if not isinstance(item, Mapping):
                self.out.append(Segment(SegmentKind.OTHER, item_path, "", estimated=True))
                index += 1
                continue
            kind = item.get("type")
            if kind == "function_call":
                end = index + 1
                while end < len(items) and _is_call(items[end]):
                    end += 1
                if end - index > 1:
                    index = self._parallel_calls(items, index, end, path)
                    continue
                self._call(item, item_path)
            elif kind == "function_call_output":
                self._output(item, item_path)
            elif kind == "reasoning":
                if index > last_user:
                    self._reasoning(item, item_path)
            elif kind == "additional_tools":
                self._additional_tools(item, item_path)
            elif kind in (None, "message") and "role" in item:
                self._message(item, item_path)
            else:
                self.out.append(Segment(SegmentKind.OTHER, item_path, "",
                                        key=kind if isinstance(kind, str) else "",
                                        estimated=True))
            index += 1

    def _message_frame(self, role: str) -> int:
        return self.fmt.frame + (self.fmt.assistant_extra if role == "assistant" else 0)

    def _message(self, item: Mapping[str, Any], path: str) -> None:
        role = item.get("role")
        role_name = role if isinstance(role, str) else ""
        self._frame(path, role_name, "", self._message_frame(role_name),
                    estimated=role_name not in _MESSAGE_ROLES)
        self._content(item.get("content"), f"{path}.content", role_name)

    def _call(self, item: Mapping[str, Any], path: str) -> None:
        name, arguments = _call_parts(item)
        call_id = item.get("call_id")
        if isinstance(call_id, str):
            self.call_names[call_id] = name
        self._frame(path, "assistant", f" to=functions.{name}",
                    self.fmt.frame + self.fmt.header_extra, estimated=False)
        self.out.append(Segment(SegmentKind.TOOL_CALL, f"{path}.arguments", arguments,
                                role="assistant", key=name))

    def _output(self, item: Mapping[str, Any], path: str) -> None:
        call_id = item.get("call_id")
        name = self.call_names.get(call_id) if isinstance(call_id, str) else None
        self._frame(path, "tool", name or "", self.fmt.frame + self.fmt.header_extra,
                    estimated=name is None)
        self._content(item.get("output"), f"{path}.output", "tool")

    def _parallel_calls(self, items: Sequence[Any], start: int, end: int, path: str) -> int:
        """Several consecutive calls: one call of OpenAI's parallel wrapper, and the outputs
        that answer them (consecutive) as one message, as the chat normalizer renders them."""
        uses: list[dict[str, Any]] = []
        ids: set[str] = set()
        estimated = False
        for index in range(start, end):
            name, arguments = _call_parts(items[index])
            call_id = items[index].get("call_id")
            if isinstance(call_id, str):
                ids.add(call_id)
                self.call_names[call_id] = name
            try:
                parameters = json.loads(arguments) if arguments else {}
            except (ValueError, RecursionError):
                parameters, estimated = arguments, True
            uses.append({"recipient_name": f"functions.{name}", "parameters": parameters})
        wrapper = json.dumps({"tool_uses": uses}, separators=(",", ":"))
        self._frame(f"{path}[{start}]", "assistant", f" to={_PARALLEL}",
                    self.fmt.frame + self.fmt.header_extra, estimated=estimated)
        self.out.append(Segment(SegmentKind.TOOL_CALL, f"{path}[{start}]", wrapper,
                                role="assistant", key=_PARALLEL))
        first = end
        while end < len(items) and _answers(items[end], ids):
            end += 1
        if end > first:
            self._frame(f"{path}[{first}]", "tool", _PARALLEL,
                        self.fmt.frame + self.fmt.header_extra, estimated=False)
            for index in range(first, end):
                output = items[index].get("output")
                exact = isinstance(output, str)
                text = output if isinstance(output, str) else ""
                piece = ("[" if index == first else " ") + json.dumps(text)
                piece += "]" if index == end - 1 else ","
                self.out.append(Segment(SegmentKind.TEXT, f"{path}[{index}].output", piece,
                                        role="tool", estimated=not exact))
        return end

    def _reasoning(self, item: Mapping[str, Any], path: str) -> None:
        """A reasoning item of the current turn: billed, but its text is not in the request
        (encrypted, or only summarized). Estimated from the ciphertext's length."""
        encrypted = item.get("encrypted_content")
        guess = (math.ceil(len(encrypted) / _REASONING_CHARS_PER_TOKEN)
                 if isinstance(encrypted, str) else 0)
        self.out.append(Segment(SegmentKind.OTHER, path, "", fixed_tokens=guess,
                                role="assistant", key="reasoning", estimated=True))

    def _additional_tools(self, item: Mapping[str, Any], path: str) -> None:
        tools = item.get("tools")
        rendered = [_render_tool(tool) for tool in tools] if isinstance(tools, list) else []
        overhead = _ADDITIONAL_TOOLS_OVERHEAD if self.fmt is _HARMONY else self.fmt.frame
        segments = self.tools_block(f"{path}.tools", rendered, overhead)
        if self.fmt is not _HARMONY:  # not recorded on chatml models
            segments = tuple(Segment(s.kind, s.path, s.text, s.fixed_tokens, s.role, s.key,
                                     s.image, estimated=True) for s in segments)
        self.out.extend(segments)

    def _frame(self, path: str, role: str | None, text: str, fixed: int, *,
               estimated: bool) -> None:
        self.out.append(Segment(SegmentKind.MESSAGE_FRAME, path, text, fixed_tokens=fixed,
                                role=role or None, estimated=estimated))

    # -- content ------------------------------------------------------------------------------

    def _content(self, content: object, path: str, role: str) -> None:
        if isinstance(content, str):
            self.out.append(Segment(SegmentKind.TEXT, path, content, role=role or None))
            return
        if not isinstance(content, list):
            if content is not None:
                self.out.append(Segment(SegmentKind.OTHER, path, "", role=role or None,
                                        estimated=True))
            return
        for index, part in enumerate(content):
            self.out.append(self._part(part, f"{path}[{index}]", role))

    def _part(self, part: object, path: str, role: str) -> Segment:
        if not isinstance(part, Mapping):
            return Segment(SegmentKind.OTHER, path, "", role=role or None, estimated=True)
        kind = part.get("type")
        if kind in _TEXT_PARTS:
            text = part.get("text")
            return Segment(SegmentKind.TEXT, path, text if isinstance(text, str) else "",
                           role=role or None, estimated=not isinstance(text, str))
        if kind == "input_image":
            return self._image(part, path, role)
        if kind == "input_file":
            return Segment(SegmentKind.OTHER, path, "", fixed_tokens=_FILE_GUESS_TOKENS,
                           role=role or None, key="input_file", estimated=True)
        text = part.get("refusal") if kind == "refusal" else part.get("text")
        return Segment(SegmentKind.OTHER, path, text if isinstance(text, str) else "",
                       role=role or None, key=kind if isinstance(kind, str) else "",
                       estimated=True)

    def _image(self, part: Mapping[str, Any], path: str, role: str) -> Segment:
        url = part.get("image_url")
        source = url if isinstance(url, str) else part.get("file_id")
        if not isinstance(source, str):
            return Segment(SegmentKind.OTHER, path, "", role=role or None, key="input_image",
                           estimated=True)
        detail_value = part.get("detail")
        detail = detail_value if detail_value in ("low", "high", "auto") else "auto"
        size = data_url_dimensions(source) if source[:5].lower() == "data:" else None
        width, height = size if size is not None else (None, None)
        cost = image_tokens(self.facts.image, width, height, str(detail))
        identity = hashlib.sha256(source.encode("utf-8", "replace")).hexdigest()[:16]
        hint = _source_hint(source) if isinstance(url, str) else "file_id"
        image = ImageRef(identity=identity, detail=str(detail),
                         detail_explicit=detail_value is not None, width=cost.width,
                         height=cost.height, source_hint=hint)
        return Segment(SegmentKind.IMAGE, path, "",
                       fixed_tokens=cost.tokens + self.fmt.image_extra, role=role or None,
                       key=identity, image=image, estimated=cost.estimated)


# --------------------------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------------------------


def _is_call(item: object) -> bool:
    return isinstance(item, Mapping) and item.get("type") == "function_call"


def _answers(item: object, ids: set[str]) -> bool:
    return (isinstance(item, Mapping) and item.get("type") == "function_call_output"
            and item.get("call_id") in ids)


def _call_parts(item: Mapping[str, Any]) -> tuple[str, str]:
    name = item.get("name")
    arguments = item.get("arguments")
    return (name if isinstance(name, str) else "",
            arguments if isinstance(arguments, str) else "")


