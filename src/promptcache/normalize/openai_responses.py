"""An OpenAI Responses API request body as the segments of the prompt the model reads.

:func:`responses_segments` is the Responses counterpart of
:func:`promptcache.normalize.openai_chat.chat_segments`, with the same conventions and the
same invariant::

    sum(segment.fixed_tokens + count(segment.text)) == usage.input_tokens

Order (the provider's caching order): the tool definitions (one ``TOOL`` segment per tool,
``key`` = its name), the structured-output schema (``text.format``), ``instructions``, the
``input`` items, the reply priming.

Segments rendered from JSON carry ``canonical`` as in the chat normalizer (same digest
functions): a tool's whole entry, a call's parsed ``arguments``, the whole ``text.format``.

Underneath, a Responses request is rendered into the same two prompt formats as a Chat
Completions request (``chatml`` for gpt-4o/gpt-4.1, ``harmony`` for o-series/gpt-5*, chosen by
the chat module), so the pieces are shared: message framing (4 tokens a message; reply
priming 3 and 2), the tools block (:func:`render_function`, :func:`tool_block_parts`), the
schema section (:func:`render_response_format`), the image costs (:func:`image_tokens`). What
differs was fitted on shared/data/openai-responses-cassettes.jsonl (286 recorded requests
with the API's ``usage.input_tokens``; tests/test_openai_responses_tokens.py replays them all
and prints every miss):

* Tools block. Harmony models do not bill the 84-token hidden preamble Chat Completions bills
  with tools: the block costs its text plus 2 (50 exact harmony requests with function
  tools, with and without instructions). Chatml models give the block a system message of
  its own, never merged into the caller's system message, 6 tokens below the Chat
  Completions standalone block: -3 beyond its text (17 exact records, 4 of them with a
  system message in ``input``).
* A function call and its output each cost one token less on chatml than in Chat
  Completions (``header_extra`` 0; 8 exact records with calls). Harmony keeps the chat cost
  (16 + names): exact on 4 records (3 of them with other, estimated, parts); 4 others miss by
  1 to 4 tokens, unexplained (see the tests).
* Several consecutive calls are separate call messages, not the Chat Completions parallel
  wrapper (``multi_tool_use.parallel``): the one recorded case (gpt-4o) is exact that way,
  given the constant its era shows on two other records; the wrapper gives 17 more.
* Harmony assistant text messages cost 2 more than other messages (their channel marker):
  4 records, exact.
* Reasoning items before the last user message are dropped by the API: they cost nothing
  (1 exact record; 2 more within 4 tokens, where keeping the item would add ~40). Later ones
  (the current turn) are billed, but their text is encrypted: their cost is an estimate from
  the ciphertext's length (a fit on 8 records, within ~20 tokens).
* A tool's ``parameters.description`` is printed as harmony does, a comment between ``(_: ``
  and the object's ``{`` (5 exact records; 13 tokens each, any other placement is 12).
* A function call carrying a ``namespace`` (tools announced mid-conversation) names that
  namespace in its recipient and in its output's author instead of ``functions`` (+7 a pair,
  on the 4 records where it is the only change).
* Structured output (``text.format`` ``json_schema``) is the chat schema section: after the
  tools, in their message (4 exact records), or alone without a frame on harmony (1).

Marked ``estimated`` (the count cannot be exact offline): built-in tools (web search, file
search, code interpreter, image generation, MCP, tool search...) whose hidden prompts and
server-side results are billed as input, and their call/output items;
``previous_response_id``, ``conversation`` and ``prompt`` (context stored server-side);
files; compaction and item-reference items; current-turn reasoning; ``additional_tools``
items (costed as a Chat Completions harmony tools block: exact on 4 records, while the API
bills 2 to 6 more on 9 others, 4 more on 6 of the 8 gpt-5.4 ones); calls to functions the
request does not declare (1 record: the API bills 4 more); ``reasoning.mode`` "pro" (a
hidden prompt of ~1500 tokens); models the catalog does not know.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Final

import orjson

from promptcache.catalog import ModelFacts, resolve_model
from promptcache.estimates import FILE_ESTIMATE, remote_image_estimate
from promptcache.memo import BoundedMemo
from promptcache.model import ImageRef, Segment, SegmentKind

# The chat normalizer's helpers: the digests of rendered JSON, and (private, imported on
# purpose) the model-family choice and the short description of an image source, which must
# be the same for both APIs.
from promptcache.normalize.openai_chat import (
    _format_for,
    _source_hint,
    canonical_arguments,
    canonical_json,
)
from promptcache.tokens.functions import (
    TOOLS_HEADER,
    comment_lines,
    render_function,
    render_response_format,
    tool_block_parts,
)
from promptcache.tokens.images import image_dimensions, image_tokens

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
# The chat harmony constants, but for the tools block's overhead and the assistant channel.
# Images: Chat Completions' +2 (gpt-5-mini); the two Responses records with images are 3 and
# 4 over (see the tests), unexplained.
_HARMONY: Final = _Format(name="harmony", frame=4, priming=2, header_extra=4,
                          assistant_extra=2, tools_overhead=2,
                          tools_header=TOOLS_HEADER + "\n", image_extra=2)
# gpt-4 / gpt-3.5-turbo: the cookbook's figures; no recorded Responses request.
_CL100K: Final = _Format(name="cl100k", frame=3, priming=3, header_extra=0, assistant_extra=0,
                         tools_overhead=-3, tools_header=TOOLS_HEADER, image_extra=0,
                         estimated=True)
_FORMATS: Final = {"chatml": _CHATML, "harmony": _HARMONY, "cl100k": _CL100K}

_ADDITIONAL_TOOLS_OVERHEAD: Final = 84
"""An ``additional_tools`` item: the Chat Completions harmony tools block's hidden preamble."""
_FILE_GUESS_TOKENS: Final = 512
"""Best-effort cost of a file part (as the chat normalizer guesses it)."""
_REASONING_BASE_CHARS: Final = 830
_REASONING_CHARS_PER_TOKEN: Final = 6.7
"""Encrypted reasoning of the current turn: tokens ~ (length - 830) / 6.7, a least-squares
fit of the billed tokens on the ciphertext's length (8 records, 1080-2916 characters)."""
_TOOL_MEMO_SIZE: Final = 256
_TEXT_PARTS: Final = ("input_text", "output_text", "text")
_MESSAGE_ROLES: Final = ("system", "developer", "user", "assistant")
_SERVER_CONTEXT: Final = ("previous_response_id", "conversation", "prompt")
"""Top-level fields that pull context stored server-side into the prompt."""

_ToolsKey = tuple[bytes, str, str]
_tools_memo: BoundedMemo[_ToolsKey, tuple[tuple[Segment, ...], frozenset[str]]] = \
    BoundedMemo(_TOOL_MEMO_SIZE)


def responses_segments(body: Mapping[str, Any], base_path: str,
                       facts: ModelFacts) -> tuple[Segment, ...]:
    """The prompt of a Responses API request body as ordered segments (see module doc).

    Never raises on schema-valid input: unknown item types, built-in tools and server-side
    context are rendered as well as possible and the segments concerned marked ``estimated``.
    """
    model = body.get("model")
    model_name = resolve_model(model) if isinstance(model, str) else ""
    fmt = _FORMATS.get(_format_for(model_name, facts).name, _CHATML)
    builder = _Builder(base_path, facts, fmt)
    tools = body.get("tools")
    if isinstance(tools, list) and tools:
        segments, names = _top_tools(tools, builder)
        builder.out.extend(segments)
        builder.declared |= names
    value = body.get("input")
    items: Sequence[Any] = value if isinstance(value, list) else ()
    for item in items:  # tools announced mid-conversation are declared too
        if isinstance(item, Mapping) and item.get("type") == "additional_tools":
            builder.declared |= _function_names(item.get("tools"))
    builder.response_format(body.get("text"))
    instructions = body.get("instructions")
    if isinstance(instructions, str) and instructions:
        builder.message_text("developer" if fmt is _HARMONY else "system",
                             f"{base_path}.instructions", instructions)
    elif isinstance(instructions, list):  # a stored prompt's instructions, as input items
        builder.items(instructions, f"{base_path}.instructions")
    for name in _SERVER_CONTEXT:
        if body.get(name):
            builder.out.append(Segment(SegmentKind.OTHER, f"{base_path}.{name}", "",
                                       key=name, estimated=True))
    if isinstance(value, str):
        builder.message_text("user", f"{base_path}.input", value)
    else:
        builder.items(items, f"{base_path}.input")
    reasoning = body.get("reasoning")
    pro = isinstance(reasoning, Mapping) and reasoning.get("mode") == "pro"
    builder.out.append(Segment(SegmentKind.REPLY_PRIMING, base_path, "",
                               fixed_tokens=fmt.priming,
                               estimated=fmt.estimated or pro or not facts.known))
    return tuple(builder.out)


# --------------------------------------------------------------------------------------------
# Tool definitions
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Tool:
    name: str
    text: str
    """The rendered function ('' for a built-in tool)."""
    function: bool
    """Part of the ``functions`` namespace (function and custom tools)."""
    estimated: bool
    canonical: str
    """:func:`canonical_json` of the tool's entry."""


def _top_tools(tools: list[Any],
               builder: _Builder) -> tuple[tuple[Segment, ...], frozenset[str]]:
    """The top-level tools' segments and function names, memoized on the tools' JSON:
    agents resend the same tools on every turn, so most requests skip rendering."""
    path = f"{builder.base}.tools"
    try:
        memo_key: _ToolsKey | None = (orjson.dumps(tools), builder.fmt.name, path)
    except TypeError:  # not JSON data: build uncached
        memo_key = None
    def render() -> tuple[tuple[Segment, ...], frozenset[str]]:
        rendered = [_render_tool(tool) for tool in tools]
        return (builder.tools_block(path, rendered, builder.fmt.tools_overhead),
                frozenset(tool.name for tool in rendered if tool.function))

    return _tools_memo.get_or_make(memo_key, render)


def _render_tool(tool: object) -> _Tool:
    # Runs only when the tools memo misses, so the digest costs nothing on repeated tools.
    canonical = canonical_json(tool)
    if not isinstance(tool, Mapping):
        return _Tool("", "", function=False, estimated=True, canonical=canonical)
    kind = tool.get("type")
    name = tool.get("name")
    label = name if isinstance(name, str) else ""
    if kind == "function":
        return _Tool(label, _render_function(tool), function=True, estimated=False,
                     canonical=canonical)
    if kind == "custom":  # grammar / free-text tools: rendering unknown
        return _Tool(label, render_function(tool), function=True, estimated=True,
                     canonical=canonical)
    # Built-in tools (web_search, file_search, code_interpreter, image_generation, mcp,
    # tool_search, namespace...): hidden prompts of unknown length.
    if not label:
        label = kind if isinstance(kind, str) else ""
    return _Tool(label, "", function=False, estimated=True, canonical=canonical)


def _render_function(tool: Mapping[str, Any]) -> str:
    """:func:`render_function`, plus the parameters object's own description where harmony
    prints it: ``type name = (_: // description`` then ``{`` on the next line."""
    text = render_function(tool)
    parameters = tool.get("parameters")
    if not isinstance(parameters, Mapping):
        return text
    description = comment_lines(parameters.get("description"))
    name = tool.get("name")
    opening = f"type {name if isinstance(name, str) else ''} = (_:{{"
    if not description or opening not in text:
        return text
    return text.replace(opening, f"{opening[:-1]} {description}{{", 1)


def _function_names(tools: object) -> frozenset[str]:
    if not isinstance(tools, list):
        return frozenset()
    return frozenset(tool["name"] for tool in tools if isinstance(tool, Mapping)
                     and tool.get("type") in ("function", "custom")
                     and isinstance(tool.get("name"), str))


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
        self.declared: frozenset[str] = frozenset()
        """Function names the request declares (top-level and ``additional_tools``)."""
        self.authors: dict[str, str] = {}
        """call_id -> the name the output message is authored by."""

    # -- tools and schema ---------------------------------------------------------------------

    def tools_block(self, path: str, tools: list[_Tool], overhead: int) -> tuple[Segment, ...]:
        """Header frame, one segment per tool, footer frame; built-in tools (no text) keep
        their place in the list but are no part of the ``functions`` namespace."""
        functions = [tool.text for tool in tools if tool.function]
        if not functions:
            return tuple(Segment(SegmentKind.TOOL, f"{path}[{index}]", "", key=tool.name,
                                 estimated=True, canonical=tool.canonical)
                         for index, tool in enumerate(tools))
        header, parts, footer = tool_block_parts(self.fmt.tools_header, functions)
        pieces = iter(parts)
        out = [Segment(SegmentKind.TOOLS_FRAME, path, header.text,
                       fixed_tokens=overhead + header.correction, estimated=self.fmt.estimated)]
        for index, tool in enumerate(tools):
            text, correction = next(pieces) if tool.function else ("", 0)
            out.append(Segment(SegmentKind.TOOL, f"{path}[{index}]", text,
                               fixed_tokens=correction, key=tool.name,
                               estimated=tool.estimated, canonical=tool.canonical))
        out.append(Segment(SegmentKind.TOOLS_FRAME, path, footer.text,
                           fixed_tokens=footer.correction))
        return tuple(out)

    def response_format(self, options: object) -> None:
        """``text.format`` of type ``json_schema``: the chat schema section."""
        if not isinstance(options, Mapping):
            return
        spec = options.get("format")
        if not isinstance(spec, Mapping) or spec.get("type") != "json_schema":
            return
        # Responses puts name/schema/description at the format's top level, where Chat
        # Completions nests them under `json_schema`: the same mapping serves as both.
        text = render_response_format({"type": "json_schema", "json_schema": spec})
        if text is None:
            return
        fixed, estimated = 0, False
        if any(segment.kind is SegmentKind.TOOLS_FRAME for segment in self.out):
            text = "\n\n" + text
        elif self.fmt is not _HARMONY:
            # Chatml without tools: assumed to get a system message of its own, as the chat
            # normalizer assumes (no recorded case).
            fixed, estimated = self.fmt.frame, True
        # The whole format object: its name and description are rendered too.
        self.out.append(Segment(SegmentKind.RESPONSE_FORMAT, f"{self.base}.text.format", text,
                                fixed_tokens=fixed, estimated=estimated,
                                canonical=canonical_json(spec)))

    # -- input items --------------------------------------------------------------------------

    def message_text(self, role: str, path: str, text: str) -> None:
        self._frame(path, role, "", self._message_frame(role), estimated=False)
        self.out.append(Segment(SegmentKind.TEXT, path, text, role=role))

    def items(self, items: Sequence[Any], path: str) -> None:
        last_user = max((index for index, item in enumerate(items)
                         if isinstance(item, Mapping) and item.get("role") == "user"
                         and item.get("type", "message") == "message"), default=-1)
        for index, item in enumerate(items):
            item_path = f"{path}[{index}]"
            if not isinstance(item, Mapping):
                self.out.append(Segment(SegmentKind.OTHER, item_path, "", estimated=True))
                continue
            kind = item.get("type")
            if kind in ("function_call", "custom_tool_call"):
                self._call(item, item_path, custom=kind == "custom_tool_call")
            elif kind in ("function_call_output", "custom_tool_call_output"):
                self._output(item, item_path, custom=kind == "custom_tool_call_output")
            elif kind == "reasoning":
                if index > last_user:  # earlier turns' reasoning is dropped by the API
                    self._reasoning(item, item_path)
            elif kind == "additional_tools":
                self._additional_tools(item, item_path)
            elif kind in (None, "message") and "role" in item:
                self._message(item, item_path)
            else:  # built-in tool calls and outputs, compaction, item_reference...
                self.out.append(Segment(SegmentKind.OTHER, item_path, "",
                                        key=kind if isinstance(kind, str) else "",
                                        estimated=True))

    def _message_frame(self, role: str) -> int:
        return self.fmt.frame + (self.fmt.assistant_extra if role == "assistant" else 0)

    def _message(self, item: Mapping[str, Any], path: str) -> None:
        role = item.get("role")
        role_name = role if isinstance(role, str) else ""
        self._frame(path, role_name, "", self._message_frame(role_name),
                    estimated=role_name not in _MESSAGE_ROLES)
        self._content(item.get("content"), f"{path}.content", role_name)

    def _call(self, item: Mapping[str, Any], path: str, *, custom: bool) -> None:
        name = _string(item.get("name"))
        field = "input" if custom else "arguments"
        arguments = item.get(field)
        namespace = item.get("namespace")
        if isinstance(namespace, str) and namespace:
            recipient = author = f"{namespace}.{name}"
        else:
            recipient, author = f"functions.{name}", name
        call_id = item.get("call_id")
        if isinstance(call_id, str):
            self.authors[call_id] = author
        # A call to a function the request does not declare: its rendering is not known.
        estimated = custom or name not in self.declared
        self._frame(path, "assistant", f" to={recipient}",
                    self.fmt.frame + self.fmt.header_extra, estimated=estimated)
        self.out.append(Segment(SegmentKind.TOOL_CALL, f"{path}.{field}", _string(arguments),
                                role="assistant", key=name,
                                estimated=not isinstance(arguments, str),
                                canonical=canonical_arguments(arguments)
                                if isinstance(arguments, str) else ""))

    def _output(self, item: Mapping[str, Any], path: str, *, custom: bool) -> None:
        call_id = item.get("call_id")
        author = self.authors.get(call_id) if isinstance(call_id, str) else None
        self._frame(path, "tool", author or "", self.fmt.frame + self.fmt.header_extra,
                    estimated=author is None or custom)
        self._content(item.get("output"), f"{path}.output", "tool")

    def _reasoning(self, item: Mapping[str, Any], path: str) -> None:
        """A reasoning item of the current turn: billed, but its text is not in the request
        (encrypted, or only summarized), so its cost is estimated."""
        encrypted = item.get("encrypted_content")
        guess = 0
        if isinstance(encrypted, str):
            guess = max(0, math.ceil((len(encrypted) - _REASONING_BASE_CHARS)
                                     / _REASONING_CHARS_PER_TOKEN))
        self.out.append(Segment(SegmentKind.OTHER, path, "", fixed_tokens=guess,
                                role="assistant", key="reasoning", estimated=True))

    def _additional_tools(self, item: Mapping[str, Any], path: str) -> None:
        tools = item.get("tools")
        rendered = [_render_tool(tool) for tool in tools] if isinstance(tools, list) else []
        overhead = _ADDITIONAL_TOOLS_OVERHEAD if self.fmt is _HARMONY else self.fmt.frame
        self.out.extend(replace(segment, estimated=True) for segment in
                        self.tools_block(f"{path}.tools", rendered, overhead))

    def _frame(self, path: str, role: str | None, text: str, fixed: int, *,
               estimated: bool) -> None:
        self.out.append(Segment(SegmentKind.MESSAGE_FRAME, path, text, fixed_tokens=fixed,
                                role=role or None, estimated=estimated))

    # -- content ------------------------------------------------------------------------------

    def _content(self, content: object, path: str, role: str) -> None:
        if isinstance(content, str):
            self.out.append(Segment(SegmentKind.TEXT, path, content, role=role or None))
        elif isinstance(content, list):
            for index, part in enumerate(content):
                self.out.append(self._part(part, f"{path}[{index}]", role))
        elif content is not None:
            self.out.append(Segment(SegmentKind.OTHER, path, "", role=role or None,
                                    estimated=True))

    def _part(self, part: object, path: str, role: str) -> Segment:
        if not isinstance(part, Mapping):
            return Segment(SegmentKind.OTHER, path, "", role=role or None, estimated=True)
        kind = part.get("type")
        if kind in _TEXT_PARTS:
            text = part.get("text")
            return Segment(SegmentKind.TEXT, path, _string(text), role=role or None,
                           estimated=not isinstance(text, str))
        if kind == "input_image":
            return self._image(part, path, role)
        if kind == "input_file":
            return Segment(SegmentKind.OTHER, path, "", fixed_tokens=_FILE_GUESS_TOKENS,
                           role=role or None, key="input_file", estimated=True,
                           estimate=FILE_ESTIMATE)
        text = part.get("refusal") if kind == "refusal" else part.get("text")
        return Segment(SegmentKind.OTHER, path, _string(text), role=role or None,
                       key=_string(kind), estimated=True)

    def _image(self, part: Mapping[str, Any], path: str, role: str) -> Segment:
        url = part.get("image_url")
        source = url if isinstance(url, str) else part.get("file_id")
        if not isinstance(source, str):
            return Segment(SegmentKind.OTHER, path, "", role=role or None, key="input_image",
                           estimated=True)
        detail_value = part.get("detail")
        detail = detail_value if detail_value in ("low", "high", "auto") else "auto"
        size = image_dimensions(source)
        width, height = size if size is not None else (None, None)
        cost = image_tokens(self.facts.image, width, height, str(detail))
        identity = hashlib.sha256(source.encode("utf-8", "replace")).hexdigest()[:16]
        image = ImageRef(identity=identity, detail=str(detail),
                         detail_explicit=detail_value is not None, width=cost.width,
                         height=cost.height,
                         source_hint=_source_hint(source) if isinstance(url, str) else "file_id")
        return Segment(SegmentKind.IMAGE, path, "",
                       fixed_tokens=cost.tokens + self.fmt.image_extra, role=role or None,
                       key=identity, image=image, estimated=cost.estimated,
                       estimate=remote_image_estimate(self.facts.image, str(detail),
                                                      self.fmt.image_extra)
                       if cost.estimated else None)


def _string(value: object) -> str:
    return value if isinstance(value, str) else ""
