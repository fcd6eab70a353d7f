"""An OpenAI Chat Completions request body as the segments of the prompt the model reads.

:func:`chat_segments` returns the prompt in the order the provider caches it: tool definitions,
then the structured-output schema, then the messages with their content parts, then the reply
priming. Each segment carries the text the tokenizer sees and the tokens it costs beyond that
text (message framing, image tokens), so that

    sum(segment.fixed_tokens + count(segment.text)) == usage.prompt_tokens

with ``count`` the model's ``o200k_base`` tokenizer, each segment's text tokenized on its own.
Every constant below was fitted on shared/data/openai-cassettes.jsonl (230 requests with the
API's own usage); tests/test_openai_chat_tokens.py checks the whole file and prints each miss.

Two prompt formats, told apart by model name (see :func:`_format_for`):

* ``chatml`` (gpt-4o, gpt-4o-mini, gpt-4.1*, gpt-4.5): 4 tokens per message
  (``<|im_start|>role<|im_sep|>...<|im_end|>``) and 3 of reply priming. Note the cookbook's 3
  per message is one short for these models: "hello" alone costs 8, not 7 (records 173, 215).
* ``harmony`` (o1, o3, o4, gpt-5*): 4 per message and 2 of priming: equal to the cookbook for
  one message, one more per extra message (o3-mini, 3 messages: 577, record 189).

Models on ``cl100k_base`` (gpt-4, gpt-3.5-turbo) get the cookbook's figures (3 per message,
3 of priming); no recorded request checks them, and their tools block is marked estimated.

Text boundaries: each tool's segment holds that tool's text alone, whatever its position; the
few tokens the BPE merges across tool boundaries are corrections in ``fixed_tokens`` (see
:func:`promptcache.tokens.functions.tool_block_parts`). Message contents are naturally apart
(special tokens separate them). Where the tools block or the schema is merged into the first
system message, the separator "\\n\\n" is kept at the end of that message's text, because
o200k fuses it with the text's last punctuation (".\\n\\n" is one token).

Segments rendered from JSON carry ``canonical``, a digest of that JSON with its keys sorted, so
rules can tell a key-order (or spacing) difference from a change of value: a tool's whole entry
in ``tools``, a call's parsed ``arguments`` (the raw string when it is not JSON; for parallel
calls, the wrapper), and the whole ``response_format`` object (not the schema alone: its name
and description are rendered too, and a renamed format is a change of value).

Unverified choices (no recorded case; modelled, not flagged as estimates): an assistant message
with both text and tool calls is rendered as a text message followed by the call message;
``name`` costs one token plus its own in every format; harmony models keep a leading system
message as an ordinary message.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache, partial
from typing import Any, Final
from urllib.parse import urlsplit

import orjson

from promptcache.catalog import ModelFacts, resolve_model
from promptcache.estimates import AUDIO_ESTIMATE, FILE_ESTIMATE, remote_image_estimate
from promptcache.memo import BoundedMemo
from promptcache.model import ImageRef, Segment, SegmentKind
from promptcache.normalize.reuse import (
    Boundary,
    Match,
    Turn,
    TurnMemory,
    serialized_tools,
    weigh,
)
from promptcache.tokens.functions import (
    TOOLS_HEADER,
    render_function,
    render_response_format,
    tool_block_parts,
)
from promptcache.tokens.images import image_dimensions, image_tokens

__all__ = ["canonical_arguments", "canonical_json", "chat_segments"]


@dataclass(frozen=True, slots=True)
class _Format:
    """How one family of models frames a conversation (all numbers in tokens)."""

    name: str
    frame: int
    """Around every message: start, role, separator, end."""
    priming: int
    """Appended to start the reply."""
    header_extra: int
    """On a message whose header names someone (a tool call's recipient, a tool result's
    author, a ``name``), beyond the name's own tokens."""
    tools_overhead: int
    """Tools block in a system message of its own: frame and unexplained constants."""
    tools_header: str
    """Text before the first tool."""
    merges_system: bool
    """Tools and schema are appended to a leading system/developer message."""
    image_extra: int
    """Around each image, beyond the image's own tokens."""
    tools_estimated: bool = False
    """The tools block's cost is not checked against recorded usage for this format."""


# The API's tools block costs one token less than harmony's header/footer text, whether it has
# a system message of its own or is appended to the caller's (records 30: 38 tokens, 186: 50;
# the cause is not known, so it stays a number rather than an invented text).
_CHATML_TOOLS_QUIRK: Final = -1
_CHATML: Final = _Format(
    name="chatml", frame=4, priming=3,
    # A tool call ("assistant" + " to=functions.NAME") and a tool result ("NAME") each cost
    # one token more than their names: 9 single call/result pairs, e.g. get_weather:
    # 26 = 2 * (4 + 1) + 5 (" to=functions.get_weather") + 2 ("get_weather") + 5 (arguments)
    # + 4 (result). Records 1, 28, 29, 41, 75, 76, 182, 204, 211 and their twins.
    header_extra=1,
    tools_overhead=4 + _CHATML_TOOLS_QUIRK,
    tools_header=TOOLS_HEADER, merges_system=True, image_extra=0)
_HARMONY: Final = _Format(
    name="harmony", frame=4, priming=2,
    # Call/result pairs cost 16 + names + args + result (gpt-5*, 26 requests with calls):
    # the channel and content-type markers of the harmony format, 4 per message.
    header_extra=4,
    # With tools, these models bill a hidden preamble (no system message of the caller's is
    # needed): 84 tokens on every gpt-5, gpt-5-mini and gpt-5.4-mini request with tools (67),
    # given one more newline after "namespace functions {" than chatml. That newline is what
    # fits the gpt-5-mini requests whose first tool has no description (46 records) together
    # with those whose first tool has one (" {\n\n\n" is one token, " {\n\n\n//" two).
    # Not verified on o-series models (no recorded o-series request has tools).
    tools_overhead=84,
    tools_header=TOOLS_HEADER + "\n", merges_system=False,
    # Each image costs 2 tokens beyond the guide's patch formula (gpt-5-mini, 5 records, two
    # image sizes: 597x566 -> 342 patches, 400x301 -> 130 patches).
    image_extra=2)
# gpt-4 and gpt-3.5-turbo: the cookbook's "How to count tokens with tiktoken" figures.
_CL100K: Final = _Format(
    name="cl100k", frame=3, priming=3, header_extra=1, tools_overhead=3 + _CHATML_TOOLS_QUIRK,
    tools_header=TOOLS_HEADER, merges_system=True, image_extra=0, tools_estimated=True)

_HARMONY_PREFIXES: Final = ("o1", "o3", "o4", "gpt-5")
# Models whose counts follow rules not modelled here: search models rewrite the prompt (the
# two records bill 6 tokens plus the last user message, dropping the system message) and
# o1-mini bills 8 unexplained tokens on a two-message request. Their counts are estimates.
_UNMODELLED: Final = ("search", "o1-mini", "o1-preview")

_PARALLEL: Final = "multi_tool_use.parallel"
"""Recipient of an assistant message with several tool calls (OpenAI's parallel wrapper)."""
_TOOL_MEMO_SIZE: Final = 256
_FILE_GUESS_TOKENS: Final = 512
"""Best-effort cost of a file part (PDF text plus page images; recorded: 219 and ~950)."""
_AUDIO_TOKENS_PER_SECOND: Final = 10
_AUDIO_BYTES_PER_SECOND_GUESS: Final = 16_000
"""128 kbit/s, assumed for compressed audio whose duration is not read."""


_CANONICAL_MEMO_SIZE: Final = 8192
"""Distinct call-argument strings whose canonical digest is remembered: agents re-send the same
calls on every turn."""


@dataclass(frozen=True, slots=True)
class _RenderedTool:
    name: str
    text: str
    estimated: bool
    canonical: str = ""


# Finished tools-block segments (immutable, so shared between requests), keyed by the tools
# list's JSON and everything else the segments depend on: agents resend the same tools on
# every turn, so most requests skip rendering altogether.
_ToolsKey = tuple[bytes, str, str, bool]
_tools_memo: BoundedMemo[_ToolsKey, tuple[Segment, ...]] = BoundedMemo(_TOOL_MEMO_SIZE)


def chat_segments(body: Mapping[str, Any], base_path: str, facts: ModelFacts,
                  turns: TurnMemory | None = None, match: Match | None = None,
                  tools_json: bytes | None = None) -> tuple[Segment, ...]:
    """The prompt of a Chat Completions request body as ordered segments (see module doc).

    Never raises on odd input: unknown roles, part types or missing fields are rendered as
    well as possible and the segments concerned are marked ``estimated``.

    With ``turns``, the request is remembered as the latest turn of its conversation, and the
    messages ``match`` found equal to the previous turn's keep that turn's segments (see
    :mod:`promptcache.normalize.reuse`); the body must then have passed validation.
    ``tools_json`` is the JSON of ``body["tools"]`` when the caller has it already.
    """
    model = body.get("model")
    model_name = resolve_model(model) if isinstance(model, str) else ""
    builder = _Builder(base_path, facts, _format_for(model_name, facts))
    messages = body.get("messages")
    message_list: Sequence[Any] = messages if isinstance(messages, list) else ()
    tools_key, tools = _tool_entries(body)
    response_format = body.get("response_format")
    schema_text = render_response_format(response_format)
    merged = (builder.fmt.merges_system and (bool(tools) or schema_text is not None)
              and _mergeable(message_list))
    if tools:
        known = tools_json if tools_key == "tools" else None
        builder.out.extend(_tools_segments(tools_key, tools, builder, merged, known))
    if schema_text is not None:
        builder.response_format(schema_text, canonical_json(response_format),
                                after_tools=bool(tools), merged=merged)
    first_message = builder.message_start = len(builder.out)
    context = (base_path, model if isinstance(model, str) else "", merged)
    previous = match.resume_point(context) if match is not None else None
    if previous is None:
        builder.messages(message_list, merged)
    else:
        turn, resume = previous
        builder.out.extend(turn.segments[:resume.segments])
        builder.boundaries.extend(boundary for boundary in turn.boundaries
                                  if boundary.message < resume.message)
        builder.resume(message_list, merged, resume, turn.calls)
    if turns is not None and turns.intern is not None:
        # New segments become the counter's own objects before the next turn can reuse them.
        fresh = first_message + (previous[1].segments if previous is not None else 0)
        builder.out[fresh:] = map(partial(turns.intern, facts.encoding), builder.out[fresh:])
    if turns is not None and match is not None:
        turns.remember(match, _turn(context, message_list, match,
                                    tuple(builder.out[first_message:]), builder))
    builder.out.append(Segment(SegmentKind.REPLY_PRIMING, base_path, "",
                               fixed_tokens=builder.fmt.priming,
                               estimated=any(tag in model_name for tag in _UNMODELLED)))
    return tuple(builder.out)


def _turn(context: tuple[str, str, bool], messages: Sequence[Any], match: Match,
          segments: tuple[Segment, ...], builder: _Builder) -> Turn:
    """This request as the latest turn of its conversation: what the next turn may reuse."""
    plain: list[bool] = []
    weights: list[int] = []
    if match.turn is not None:
        plain.extend(match.turn.plain[:match.equal])
        weights.extend(match.turn.weights[:match.equal])
    for message in messages[len(plain):]:
        weight, is_plain = weigh(message)
        plain.append(is_plain)
        weights.append(weight)
    return Turn(context, messages, tuple(plain), tuple(weights), segments,
                tuple(builder.boundaries), tuple(builder.calls))


def _format_for(model_name: str, facts: ModelFacts) -> _Format:
    if model_name.startswith(_HARMONY_PREFIXES):
        return _HARMONY
    return _CL100K if facts.encoding == "cl100k_base" else _CHATML


def _mergeable(messages: Sequence[Any]) -> bool:
    """True when the first message is a system/developer message made of text only."""
    if not messages or not isinstance(messages[0], Mapping):
        return False
    first = messages[0]
    if first.get("role") not in ("system", "developer"):
        return False
    content = first.get("content")
    if isinstance(content, str):
        return True
    return isinstance(content, list) and bool(content) and all(
        isinstance(part, Mapping) and part.get("type") == "text" for part in content)


# --------------------------------------------------------------------------------------------
# Tool definitions
# --------------------------------------------------------------------------------------------


def _tool_entries(body: Mapping[str, Any]) -> tuple[str, list[Any]]:
    """("tools" or "functions", the list); legacy ``functions`` only when there are no tools."""
    for key in ("tools", "functions"):
        value = body.get(key)
        if isinstance(value, list) and value:
            return key, value
    return "tools", []


def _tools_segments(key: str, tools: list[Any], builder: _Builder, merged: bool,
                    known_json: bytes | None = None) -> tuple[Segment, ...]:
    """The tools block's segments, memoized on the tools' JSON (see ``_tools_memo``;
    ``known_json`` when the caller serialized the list already)."""
    data = known_json if known_json is not None else serialized_tools(tools)
    # Not JSON data (keys that are not strings...): built uncached.
    memo_key: _ToolsKey | None = (None if data is None
                                  else (data, builder.fmt.name, f"{builder.base}.{key}", merged))
    return _tools_memo.get_or_make(memo_key, lambda: builder.tools_block(
        key, [_render_tool(tool) for tool in tools], merged))


def _render_tool(tool: object) -> _RenderedTool:
    # Runs only when the tools memo misses, so the digest costs nothing on repeated tools.
    canonical = canonical_json(tool)
    if not isinstance(tool, Mapping):
        return _RenderedTool("", "", estimated=True, canonical=canonical)
    function = tool.get("function")
    if isinstance(function, Mapping) and tool.get("type", "function") == "function":
        return _RenderedTool(_name(function), render_function(function), estimated=False,
                             canonical=canonical)
    if "name" in tool and "type" not in tool:  # a legacy `functions` entry
        return _RenderedTool(_name(tool), render_function(tool), estimated=False,
                             canonical=canonical)
    custom = tool.get("custom")
    if isinstance(custom, Mapping):  # custom (grammar/free-text) tools: rendering unknown
        return _RenderedTool(_name(custom), render_function(custom), estimated=True,
                             canonical=canonical)
    kind = tool.get("type")
    return _RenderedTool(kind if isinstance(kind, str) else "", "", estimated=True,
                         canonical=canonical)


def canonical_json(value: object) -> str:
    """A digest of ``value`` as JSON with its keys sorted: equal for two values that differ
    only in key order. Shared with the Responses normalizer."""
    try:
        data = orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
    except TypeError:  # integers beyond 64 bits, keys that are not strings...
        try:
            data = json.dumps(value, sort_keys=True, separators=(",", ":"), default=repr,
                              ensure_ascii=False).encode("utf-8", "replace")
        except (TypeError, ValueError, RecursionError):  # not JSON data at all
            data = repr(value).encode("utf-8", "replace")
    return "json:" + hashlib.blake2b(data, digest_size=12).hexdigest()


@lru_cache(maxsize=_CANONICAL_MEMO_SIZE)
def canonical_arguments(arguments: str) -> str:
    """:func:`canonical_json` of a call's parsed arguments; for a string that is not JSON, a
    digest of the string itself (marked apart, so it never equals a parsed value's)."""
    try:
        return canonical_json(json.loads(arguments))
    except (ValueError, RecursionError):
        raw = arguments.encode("utf-8", "replace")
        return "raw:" + hashlib.blake2b(raw, digest_size=12).hexdigest()


def _name(value: Mapping[str, Any]) -> str:
    name = value.get("name")
    return name if isinstance(name, str) else ""


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
        self.calls: list[tuple[int, str, str]] = []
        """(message index, call id, function name) of every call, in order: what resuming
        after a message must recall."""
        self.boundaries: list[Boundary] = []
        """Where rendering of the messages could resume (see reuse.Boundary)."""
        self.message_start = 0
        """Index in ``out`` of the first message segment."""
        self.message_index = 0
        """The message being rendered."""

    # -- tools and schema ---------------------------------------------------------------------

    def tools_block(self, key: str, tools: list[_RenderedTool],
                    merged: bool) -> tuple[Segment, ...]:
        """Header frame, one segment per tool, footer frame (see ``tool_block_parts``).

        A tool segment's ``fixed_tokens`` is -1 when its text starts with a comment: the
        tokenizer fuses that "//" with the blank line before it (the block counts one token
        fewer than its parts tokenized apart).
        """
        header, parts, footer = tool_block_parts(self.fmt.tools_header,
                                                 [tool.text for tool in tools])
        fixed = _CHATML_TOOLS_QUIRK if merged else self.fmt.tools_overhead
        path = f"{self.base}.{key}"
        return (
            Segment(SegmentKind.TOOLS_FRAME, path, header.text,
                    fixed_tokens=fixed + header.correction, estimated=self.fmt.tools_estimated),
            *(Segment(SegmentKind.TOOL, f"{path}[{index}]", part.text,
                      fixed_tokens=part.correction, key=tool.name, estimated=tool.estimated,
                      canonical=tool.canonical)
              for index, (tool, part) in enumerate(zip(tools, parts, strict=True))),
            Segment(SegmentKind.TOOLS_FRAME, path, footer.text, fixed_tokens=footer.correction),
        )

    def response_format(self, text: str, canonical: str, *, after_tools: bool,
                        merged: bool) -> None:
        fixed, estimated = 0, False
        if after_tools:
            text = "\n\n" + text
        elif not merged:
            # A schema without tools and without a system message to join: assumed to get a
            # system message of its own (no recorded case).
            fixed, estimated = self.fmt.frame, True
        self.out.append(Segment(SegmentKind.RESPONSE_FORMAT, f"{self.base}.response_format",
                                text, fixed_tokens=fixed, estimated=estimated,
                                canonical=canonical))

    # -- messages -----------------------------------------------------------------------------

    def messages(self, messages: Sequence[Any], merged: bool, start: int = 0,
                 after_group: bool = False) -> None:
        index = start
        while True:
            self.boundaries.append(Boundary(index, len(self.out) - self.message_start,
                                            after_group))
            if index >= len(messages):
                return
            message = messages[index]
            path = f"{self.base}.messages[{index}]"
            self.message_index = index
            after_group = False
            if not isinstance(message, Mapping):
                self._frame(path, None, "", self.fmt.frame, estimated=True)
                index += 1
                continue
            calls = _tool_calls(message)
            if len(calls) > 1:
                index = self._parallel_calls(messages, index, calls)
                after_group = True
                continue
            self._message(message, path, calls[0] if calls else None,
                          merged=merged and index == 0)
            index += 1

    def resume(self, messages: Sequence[Any], merged: bool, boundary: Boundary,
               calls: Sequence[tuple[int, str, str]]) -> None:
        """Render the messages from ``boundary`` on, the segments before it already in
        ``out``: first recall the tool calls made before it (results are named after them)."""
        for index, call_id, name in calls:
            if index >= boundary.message:
                break
            self.call_names[call_id] = name
            self.calls.append((index, call_id, name))
        self.messages(messages, merged, boundary.message, boundary.after_group)

    def _name_call(self, call_id: object, name: str) -> None:
        if isinstance(call_id, str):
            self.call_names[call_id] = name
            self.calls.append((self.message_index, call_id, name))

    def _message(self, message: Mapping[str, Any], path: str, call: Mapping[str, Any] | None,
                 *, merged: bool) -> None:
        role = message.get("role")
        role_name = role if isinstance(role, str) else ""
        content = message.get("content")
        if call is not None:
            self._single_call(message, path, call)
            return
        if role_name in ("tool", "function"):
            self._tool_result(message, path, role_name)
            return
        name = message.get("name")
        header = name if isinstance(name, str) and name else ""
        fixed = self.fmt.frame + (self.fmt.header_extra if header else 0)
        known = role_name in ("system", "developer", "user", "assistant")
        self._frame(path, role_name, header, fixed, estimated=not known)
        self._content(content, path, role_name, suffix="\n\n" if merged else "")

    def _single_call(self, message: Mapping[str, Any], path: str, call: Mapping[str, Any]) -> None:
        role = "assistant"
        content = message.get("content")
        has_text = _has_content(content)
        if has_text:  # unverified: a text message, then the call message (module doc)
            self._frame(path, role, "", self.fmt.frame, estimated=False)
            self._content(content, path, role)
        name, arguments = _call_parts(call)
        self._name_call(call.get("id"), name)
        self._frame(path, role, f" to=functions.{name}", self.fmt.frame + self.fmt.header_extra,
                    estimated=False)
        self.out.append(Segment(SegmentKind.TOOL_CALL, f"{path}.tool_calls[0]", arguments,
                                role=role, key=name, canonical=canonical_arguments(arguments)))

    def _tool_result(self, message: Mapping[str, Any], path: str, role: str) -> None:
        call_id = message.get("tool_call_id")
        name = self.call_names.get(call_id) if isinstance(call_id, str) else None
        estimated = name is None
        if name is None:
            legacy = message.get("name")  # role "function" names itself
            name = legacy if isinstance(legacy, str) else ""
            estimated = not name
        self._frame(path, role, name, self.fmt.frame + self.fmt.header_extra,
                    estimated=estimated)
        self._content(message.get("content"), path, role)

    def _parallel_calls(self, messages: Sequence[Any], index: int,
                        calls: list[Mapping[str, Any]]) -> int:
        """An assistant message with several calls, and the tool results that answer it.

        The API renders them as one call of OpenAI's parallel wrapper, arguments parsed and
        re-serialized compactly ({"tool_uses":[{"recipient_name":"functions.X",
        "parameters":{...}}]}), and answers the consecutive results as one message from the
        wrapper whose content is the JSON list of the outputs (json.dumps defaults, which
        escape non-ASCII: a known billing quirk of several tool calls). Evidence: the three
        distinct parallel pairs in the records (26 requests) cost exactly this, and parallel
        calls come back from the API with arguments re-serialized ('{"path": ".env"}').
        Returns the index of the first message after the results.
        """
        message = messages[index]
        path = f"{self.base}.messages[{index}]"
        if _has_content(message.get("content")):  # unverified, as for a single call
            self._frame(path, "assistant", "", self.fmt.frame, estimated=False)
            self._content(message.get("content"), path, "assistant")
        uses: list[dict[str, Any]] = []
        ids: set[str] = set()
        estimated = False
        for call in calls:
            name, arguments = _call_parts(call)
            call_id = call.get("id")
            if isinstance(call_id, str):
                ids.add(call_id)
            self._name_call(call_id, name)
            try:
                parameters = json.loads(arguments) if arguments else {}
            except (ValueError, RecursionError):  # not JSON: kept as a string, estimated
                parameters, estimated = arguments, True
            uses.append({"recipient_name": f"functions.{name}", "parameters": parameters})
        # Compact, as the model writes it; ASCII-escaped like the results (an assumption: the
        # recorded arguments are ASCII).
        wrapper = json.dumps({"tool_uses": uses}, separators=(",", ":"))
        self._frame(path, "assistant", f" to={_PARALLEL}", self.fmt.frame + self.fmt.header_extra,
                    estimated=estimated)
        # The wrapper is already re-serialized from the parsed arguments; its canonical form
        # is that of the parsed wrapper (memoized on the text, which repeats every turn).
        self.out.append(Segment(SegmentKind.TOOL_CALL, f"{path}.tool_calls", wrapper,
                                role="assistant", key=_PARALLEL,
                                canonical=canonical_arguments(wrapper)))
        end = index + 1
        while end < len(messages) and _answers(messages[end], ids):
            end += 1
        self._parallel_results(messages, index + 1, end)
        return end

    def _parallel_results(self, messages: Sequence[Any], start: int, end: int) -> None:
        if start >= end:
            return
        self._frame(f"{self.base}.messages[{start}]", "tool", _PARALLEL,
                    self.fmt.frame + self.fmt.header_extra, estimated=False)
        for index in range(start, end):
            text, exact = _plain_text(messages[index].get("content"))
            # Cut the JSON list after each ", ": the pre-tokenizer splits before ' "' always.
            piece = ("[" if index == start else " ") + json.dumps(text)
            piece += "]" if index == end - 1 else ","
            self.out.append(Segment(SegmentKind.TEXT, f"{self.base}.messages[{index}].content",
                                    piece, role="tool", estimated=not exact))

    def _frame(self, path: str, role: str | None, text: str, fixed: int, *,
               estimated: bool) -> None:
        self.out.append(Segment(SegmentKind.MESSAGE_FRAME, path, text, fixed_tokens=fixed,
                                role=role or None, estimated=estimated))

    # -- content ------------------------------------------------------------------------------

    def _content(self, content: object, path: str, role: str, suffix: str = "") -> None:
        if isinstance(content, str):
            self.out.append(Segment(SegmentKind.TEXT, f"{path}.content", content + suffix,
                                    role=role or None))
            return
        if not isinstance(content, list):
            return
        last_text = max((i for i, part in enumerate(content)
                         if isinstance(part, Mapping) and part.get("type") == "text"),
                        default=-1)
        for index, part in enumerate(content):
            part_path = f"{path}.content[{index}]"
            self.out.append(self._part(part, part_path, role, suffix if index == last_text
                                       else ""))

    def _part(self, part: object, path: str, role: str, suffix: str) -> Segment:
        if not isinstance(part, Mapping):
            return Segment(SegmentKind.OTHER, path, "", role=role or None, estimated=True)
        kind = part.get("type")
        if kind == "text":
            text = part.get("text")
            return Segment(SegmentKind.TEXT, path, (text if isinstance(text, str) else "") + suffix,
                           role=role or None, estimated=not isinstance(text, str))
        if kind == "image_url":
            return self._image(part.get("image_url"), path, role)
        if kind == "input_audio":
            return Segment(SegmentKind.OTHER, path, "", fixed_tokens=_audio_guess(part),
                           role=role or None, key="input_audio", estimated=True,
                           estimate=AUDIO_ESTIMATE)
        if kind == "file":
            return Segment(SegmentKind.OTHER, path, "", fixed_tokens=_FILE_GUESS_TOKENS,
                           role=role or None, key="file", estimated=True,
                           estimate=FILE_ESTIMATE)
        text = part.get("refusal") if kind == "refusal" else part.get("text")
        return Segment(SegmentKind.OTHER, path, text if isinstance(text, str) else "",
                       role=role or None, key=kind if isinstance(kind, str) else "",
                       estimated=True)

    def _image(self, spec: object, path: str, role: str) -> Segment:
        url: object = spec.get("url") if isinstance(spec, Mapping) else spec
        if not isinstance(url, str):
            return Segment(SegmentKind.OTHER, path, "", role=role or None, key="image_url",
                           estimated=True)
        detail_value = spec.get("detail") if isinstance(spec, Mapping) else None
        detail = detail_value if detail_value in ("low", "high", "auto") else "auto"
        size = image_dimensions(url)
        width, height = size if size is not None else (None, None)
        cost = image_tokens(self.facts.image, width, height, str(detail))
        identity = hashlib.sha256(url.encode("utf-8", "replace")).hexdigest()[:16]
        image = ImageRef(identity=identity, detail=str(detail),
                         detail_explicit=detail_value is not None, width=cost.width,
                         height=cost.height, source_hint=_source_hint(url))
        return Segment(SegmentKind.IMAGE, path, "",
                       fixed_tokens=cost.tokens + self.fmt.image_extra, role=role or None,
                       key=identity, image=image, estimated=cost.estimated,
                       estimate=remote_image_estimate(self.facts.image, str(detail),
                                                      self.fmt.image_extra)
                       if cost.estimated else None)


# --------------------------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------------------------


def _tool_calls(message: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The message's tool calls; a legacy ``function_call`` counts as one."""
    calls = message.get("tool_calls")
    if isinstance(calls, list) and calls:
        return [call if isinstance(call, Mapping) else {} for call in calls]
    legacy = message.get("function_call")
    if isinstance(legacy, Mapping):
        return [{"function": legacy}]
    return []


def _call_parts(call: Mapping[str, Any]) -> tuple[str, str]:
    function = call.get("function")
    if not isinstance(function, Mapping):
        custom = call.get("custom")
        function = custom if isinstance(custom, Mapping) else {}
    name = function.get("name")
    arguments = function.get("arguments", function.get("input"))
    return (name if isinstance(name, str) else "",
            arguments if isinstance(arguments, str) else "")


def _answers(message: object, ids: set[str]) -> bool:
    return (isinstance(message, Mapping) and message.get("role") == "tool"
            and message.get("tool_call_id") in ids)


def _has_content(content: object) -> bool:
    return bool(content) if isinstance(content, str | list) else False


def _plain_text(content: object) -> tuple[str, bool]:
    """Text of a tool result (text parts joined), and whether nothing else was in it."""
    if isinstance(content, str):
        return content, True
    if content is None:
        return "", True
    if not isinstance(content, list):
        return "", False
    texts = [part.get("text") for part in content if isinstance(part, Mapping)]
    exact = all(isinstance(text, str) for text in texts) and len(texts) == len(content)
    return "".join(text for text in texts if isinstance(text, str)), exact


def _source_hint(url: str) -> str:
    if url[:5].lower() == "data:":
        media = url[5:url.find(",", 5, 300)] if "," in url[:300] else url[5:40]
        return "data:" + media.split(";", 1)[0].strip().lower()
    try:
        return urlsplit(url[:2048]).hostname or ""
    except ValueError:
        return ""


def _audio_guess(part: Mapping[str, Any]) -> int:
    """Best-effort tokens of an ``input_audio`` part: ~10 per second of sound."""
    spec = part.get("input_audio")
    data = spec.get("data") if isinstance(spec, Mapping) else None
    if not isinstance(data, str) or not data:
        return 0
    size = len(data) * 3 // 4
    rate = _AUDIO_BYTES_PER_SECOND_GUESS
    try:
        head = base64.b64decode(data[:64] + "=" * (-len(data[:64]) % 4))
    except ValueError:
        head = b""
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE" and len(head) >= 32:
        rate = int.from_bytes(head[28:32], "little") or rate  # the fmt chunk's byte rate
    return math.ceil(size / rate * _AUDIO_TOKENS_PER_SECOND)
