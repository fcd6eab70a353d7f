"""An Anthropic Messages request body as the segments of the prompt Claude reads.

:func:`messages_segments` returns the prompt in the provider's prefix order, the order its cache
hashes it ("Prompt caching": tools, then system, then messages):

1. the tool-use system prompt (a TOOLS_FRAME carrying the documented tokens for the model and
   ``tool_choice`` plus the generation's measured difference; its text is a forced tool's
   name), then one TOOL segment per tool definition, then a TOOLS_FRAME for each
   server-side extension the body names (``mcp_servers``, ``container``,
   ``context_management``: not estimable offline);
2. the structured-output schema (``output_format`` / ``output_config.format``);
3. the system prompt: a MESSAGE_FRAME with its structural tokens, then one TEXT segment per
   system block (a string ``system`` is one block); a first block the API takes as request
   metadata (Claude Code's ``x-anthropic-billing-header``, see
   :func:`promptcache.tokens.anthropic_framing.is_metadata_system_block`) is left out;
4. each message: a MESSAGE_FRAME (role marker, 3 tokens; none for a mid-conversation system
   message), then one segment per content block (a string ``content`` is one text block),
   see :mod:`promptcache.normalize.anthropic_blocks`; thinking blocks outside the tool loop
   in progress (or a ``clear_thinking`` strategy's kept turns) are stripped (see
   :func:`thinking_turn`), blocks before a compaction block are dropped, and tool results a
   ``clear_tool_uses`` strategy clears are marked so;
5. the REPLY_PRIMING: the rest of the request's frame, and the hidden prompts of extended
   thinking and of an ``output_config`` task budget.

The token that separates two turns (the system prompt, a message, the reply) is the cached
end of the turn before it: it is counted on that turn's last block, not in the frame after
(see :func:`_close_turns`), so a breakpoint's prefix ends where the provider's does.

So every block the provider counts in its 20-block cache lookback is one segment of a block
kind (TOOL, TEXT, IMAGE, TOOL_CALL, OTHER) and frames are not blocks. A block's
``cache_control`` is its segment's ``breakpoint`` (its ``ttl``, ``5m`` by default).

Automatic caching: a top-level ``cache_control`` "automatically applies cache breakpoints to
the last cacheable block in the request" (Anthropic's wording, quoted in OpenRouter's API
reference for the same field). The breakpoint is put on the last block segment that can carry
one, with the top-level ``ttl``; thinking and redacted_thinking blocks are skipped because the
docs say they cannot be marked with ``cache_control`` directly. A block that has its own
breakpoint keeps it (the explicit marker is the user's). The setting itself is kept in
``Request.settings["cache_control"]`` by the loader.

The arithmetic, whichever tokenizer counts the text: ``sum(count(segment.text) +
segment.fixed_tokens)`` is the visible text plus the generation's frame, +system, +3 per
further message (a trailing assistant prefill adds none), the documented tool prompt, and the
measured and fitted constants of :mod:`promptcache.tokens.anthropic_framing`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from promptcache.catalog import ModelFacts
from promptcache.estimates import (
    CONTEXT_CLEARING_ESTIMATE,
    DOCUMENTED_TOOL_ESTIMATE,
    NOT_ESTIMABLE_ESTIMATE,
    STRUCTURED_OUTPUT_ESTIMATE,
    THINKING_ESTIMATE,
    TOOL_DEFINITION_ESTIMATE,
    server_input_estimate,
)
from promptcache.model import BLOCK_KINDS, Segment, SegmentKind
from promptcache.normalize.anthropic_blocks import (
    block_segment,
    breakpoint_of,
    text_segment,
)
from promptcache.normalize.openai_chat import canonical_json
from promptcache.tokens.anthropic_framing import (
    TURN_SEPARATOR,
    Generation,
    generation_of,
    is_metadata_system_block,
    tool_prompt_tokens,
)
from promptcache.tokens.anthropic_server_tools import (
    EXTENSION_ADDITIONS,
    compaction_cut,
    compaction_trigger,
    definition_row,
    edits,
    server_addition,
    thinking_kept,
    tool_clearing,
)

__all__ = ["AUTOMATIC_SKIPS", "loaded_tools", "messages_segments", "thinking_turn"]

AUTOMATIC_SKIPS = frozenset({"thinking", "redacted_thinking"})
"""Block types automatic caching passes over (they cannot carry ``cache_control``)."""
_MODELLED_EDITS = frozenset({"clear_thinking_20251015", "clear_tool_uses_20250919",
                             "compact_20260112"})
"""Context-management strategies :mod:`promptcache.tokens.anthropic_server_tools` models."""
_COMPACTION_PASS = "a compaction pass when the input exceeds its trigger"


def messages_segments(body: Mapping[str, Any], base_path: str,
                      facts: ModelFacts) -> tuple[Segment, ...]:
    """The segments of an Anthropic Messages request ``body`` found at ``base_path``."""
    generation = generation_of(str(body.get("model") or ""))
    segments: list[Segment] = []
    segments += _tool_segments(body, base_path, generation)
    segments += _format_segments(body, base_path)
    segments += _system_segments(body.get("system"), f"{base_path}.system", generation)
    messages = body.get("messages")
    messages = messages if isinstance(messages, list) else []
    kept = _thinking_turns(body, messages)
    # The API drops every block before a compaction block (the Compaction guide).
    cut = compaction_cut(messages) or (0, 0)
    for index, message in enumerate(messages[cut[0]:], start=cut[0]):
        segments += _message_segments(message, f"{base_path}.messages[{index}]", facts,
                                      generation, keeps_thinking=index in kept,
                                      first_block=cut[1] if index == cut[0] else 0)
    _mark_clearable(body, messages, base_path, segments)
    segments.append(_reply_priming(body, base_path, messages, generation))
    _close_turns(segments, prefill=_ends_with_prefill(messages))
    automatic = breakpoint_of(body)
    if automatic:
        _mark_last_block(segments, automatic)
    return tuple(segments)


def loaded_tools(messages: Sequence[Any]) -> frozenset[str]:
    """Names of deferred tools the history has loaded: a tool search's result (a
    ``tool_reference`` inside a ``tool_result``) or a ``tool_addition`` block names them, and
    from then on the provider renders their definitions (the tool search docs). Measured:
    pydantic-ai test_cross_provider_capability_replay on Sonnet 4.5 is 80 over per request
    without the loaded tool's 71 + 4 + 5, and test_anthropic_custom_callable_round_trip #1
    86 over for one loaded tool of 75."""
    names: set[str] = set()
    for message in messages:
        content = message.get("content") if isinstance(message, Mapping) else None
        for block in content if isinstance(content, list) else ():
            if not isinstance(block, Mapping):
                continue
            inner = block.get("content") if block.get("type") == "tool_result" else None
            for part in (*(inner if isinstance(inner, list) else ()), block.get("tool")):
                if isinstance(part, Mapping) and part.get("type") == "tool_reference":
                    name = part.get("tool_name") or part.get("name")
                    if isinstance(name, str):
                        names.add(name)
    return frozenset(names)


def _tool_segments(body: Mapping[str, Any], base_path: str,
                   generation: Generation) -> list[Segment]:
    tools = body.get("tools")
    segments: list[Segment] = []
    if isinstance(tools, list) and tools:
        choice = body.get("tool_choice")
        choice = choice if isinstance(choice, Mapping) else {}
        choice_type = str(choice.get("type") or "")
        # A forced tool is named in the prompt: its name is text the tokenizer counts.
        forced = str(choice.get("name") or "") if choice_type == "tool" else ""
        segments.append(Segment(
            SegmentKind.TOOLS_FRAME, f"{base_path}.tools", forced,
            fixed_tokens=tool_prompt_tokens(str(body.get("model") or ""), choice_type)))
        messages = body.get("messages")
        loaded = (loaded_tools(messages if isinstance(messages, list) else ())
                  if generation.renders_loaded_tools else frozenset())
        segments += (_tool_segment(tool, f"{base_path}.tools[{index}]", generation, loaded)
                     for index, tool in enumerate(tools))
    for name, adds in EXTENSION_ADDITIONS.items():
        if body.get(name):
            segments.append(Segment(SegmentKind.TOOLS_FRAME, f"{base_path}.{name}", "",
                                    key=name, estimated=True,
                                    estimate=server_input_estimate(adds)))
    segments += _context_management_segments(body, base_path)
    return segments


def _context_management_segments(body: Mapping[str, Any], base_path: str) -> list[Segment]:
    """What a ``context_management`` setting adds: a compaction strategy may run a summarizing
    pass first (a lower bound); a strategy promptcache does not model is not estimable. The
    clearing strategies remove input instead (see :func:`_thinking_turns`,
    :func:`_mark_clearable`)."""
    if not body.get("context_management"):
        return []
    path = f"{base_path}.context_management"
    unknown = any(edit.get("type") not in _MODELLED_EDITS for edit in edits(body))
    if unknown or not edits(body):
        estimate = NOT_ESTIMABLE_ESTIMATE
    elif compaction_trigger(body) is not None:
        estimate = server_input_estimate(_COMPACTION_PASS)
    else:
        return []
    return [Segment(SegmentKind.TOOLS_FRAME, path, "", key="context_management",
                    estimated=True, estimate=estimate)]


def _thinking_turns(body: Mapping[str, Any], messages: Sequence[Any]) -> frozenset[int]:
    """The messages whose thinking blocks the provider keeps: a ``clear_thinking`` strategy's
    last ``keep`` assistant turns (see :func:`promptcache.tokens.anthropic_server_tools.
    thinking_kept`) with the tool loop in progress, else the tool loop's alone."""
    loop = thinking_turn(messages)
    turns = thinking_kept(body)
    if turns is None:
        return frozenset({loop})
    assistants = [index for index, message in enumerate(messages)
                  if isinstance(message, Mapping) and message.get("role") == "assistant"]
    return frozenset({loop, *(assistants[-turns:] if turns else ())})


def _mark_clearable(body: Mapping[str, Any], messages: Sequence[Any], base_path: str,
                    segments: list[Segment]) -> None:
    """Mark the tool results (and calls, with ``clear_tool_inputs``) a ``clear_tool_uses``
    strategy clears once the input exceeds its trigger: every tool use but the last ``keep``
    and those of excluded tools. Whether the trigger is crossed is the count's, so they cost
    between nothing and their count."""
    clearing = tool_clearing(body)
    if clearing is None:
        return
    uses: list[tuple[str, str]] = []  # (id, path) of each tool_use, in order
    names: dict[str, str] = {}
    results: dict[str, str] = {}
    for index, message in enumerate(messages):
        content = message.get("content") if isinstance(message, Mapping) else None
        for position, block in enumerate(content if isinstance(content, list) else ()):
            if not isinstance(block, Mapping):
                continue
            path = f"{base_path}.messages[{index}].content[{position}]"
            if block.get("type") == "tool_use":
                uses.append((str(block.get("id") or ""), path))
                names[str(block.get("id") or "")] = str(block.get("name") or "")
            elif block.get("type") == "tool_result":
                results[str(block.get("tool_use_id") or "")] = path
    cleared = uses[:max(len(uses) - clearing.keep, 0)]
    paths = {results[ident] for ident, _ in cleared
             if ident in results and names.get(ident) not in clearing.excluded}
    if clearing.inputs:
        paths |= {path for ident, path in cleared if names.get(ident) not in clearing.excluded}
    for index, segment in enumerate(segments):
        if segment.path in paths:
            segments[index] = replace(segment, estimated=True,
                                      estimate=CONTEXT_CLEARING_ESTIMATE)


def _tool_segment(tool: Any, path: str, generation: Generation,
                  loaded: frozenset[str]) -> Segment:
    """A tool definition: a custom tool (no ``type``, or ``custom``) is rendered as the JSON
    of its name, its description when it has one, and its input schema, with the default
    separators ``", "`` and ``": "`` (the rendering whose residual is most constant across
    the recorded tools, see :mod:`promptcache.tokens.anthropic_framing`); a server tool
    (``web_search_20250305``...) is defined by the provider, its name counted as the least
    it costs; a tool with ``defer_loading`` is rendered only once the history has loaded it
    (see :func:`loaded_tools`)."""
    if not isinstance(tool, Mapping):
        return Segment(SegmentKind.TOOL, path, "", estimated=True,
                       estimate=NOT_ESTIMABLE_ESTIMATE)
    name = str(tool.get("name") or "")
    mark = breakpoint_of(tool)
    definition = {key: value for key, value in tool.items() if key != "cache_control"}
    if tool.get("type") not in (None, "custom"):
        # Defined by Anthropic: the name as the least it costs, plus the definition's cost
        # where a row of tokens.anthropic_server_tools gives it; what the server runs or
        # renders unseen makes the count a lower bound.
        kind = str(tool.get("type"))
        row = definition_row(kind, generation.name)
        adds = server_addition(kind)
        return Segment(SegmentKind.TOOL, path, name, fixed_tokens=row.tokens if row else 0,
                       key=name, canonical=canonical_json(definition), estimated=True,
                       estimate=DOCUMENTED_TOOL_ESTIMATE if adds is None
                       else server_input_estimate(adds), breakpoint=mark)
    if tool.get("defer_loading") is True and name not in loaded:
        return Segment(SegmentKind.TOOL, path, "", key=name,
                       canonical=canonical_json(definition), estimated=True,
                       estimate=NOT_ESTIMABLE_ESTIMATE, breakpoint=mark)
    rendered: dict[str, Any] = {"name": name}
    if tool.get("description"):
        rendered["description"] = tool["description"]
    rendered["input_schema"] = tool.get("input_schema")
    return Segment(SegmentKind.TOOL, path, json.dumps(rendered, ensure_ascii=False),
                   fixed_tokens=generation.tool_definition, key=name,
                   canonical=canonical_json(definition), estimated=True,
                   estimate=TOOL_DEFINITION_ESTIMATE, breakpoint=mark)


def _format_segments(body: Mapping[str, Any], base_path: str) -> list[Segment]:
    """The structured-output schema: ``output_format`` (the beta's field) or
    ``output_config.format`` (the current one)."""
    path, value = f"{base_path}.output_format", body.get("output_format")
    config = body.get("output_config")
    if not isinstance(value, Mapping) and isinstance(config, Mapping):
        path, value = f"{base_path}.output_config.format", config.get("format")
    if not isinstance(value, Mapping):
        return []
    schema = value.get("schema")
    generation = generation_of(str(body.get("model") or ""))
    # Rendered indented by 2 spaces: the rendering whose residual is constant on the
    # recordings (see tokens.anthropic_framing).
    return [Segment(SegmentKind.RESPONSE_FORMAT, path,
                    json.dumps(schema, ensure_ascii=False, indent=2),
                    fixed_tokens=generation.structured_output,
                    canonical=canonical_json(value), estimated=True,
                    estimate=STRUCTURED_OUTPUT_ESTIMATE)]


def _system_segments(system: Any, path: str, generation: Generation) -> list[Segment]:
    if isinstance(system, str):
        if not system:
            return []
        return [Segment(SegmentKind.MESSAGE_FRAME, path, "", fixed_tokens=generation.system,
                        role="system"),
                text_segment(path, system, "system")]
    if not isinstance(system, list):
        return []
    blocks = [(f"{path}[{index}]", block) for index, block in enumerate(system)]
    # A first block of request metadata (Claude Code's billing header) is not prompt text:
    # the API neither counts nor caches it, so it is no segment (no rule sees its value).
    if blocks and isinstance(blocks[0][1], Mapping) and is_metadata_system_block(
            str(blocks[0][1].get("text") or "")):
        blocks = blocks[1:]
    if not blocks:
        return []
    segments = [Segment(SegmentKind.MESSAGE_FRAME, path, "", fixed_tokens=generation.system,
                        role="system")]
    for block_path, block in blocks:
        if isinstance(block, Mapping):
            segments.append(text_segment(block_path, str(block.get("text") or ""), "system",
                                         breakpoint_of(block)))
        else:
            segments.append(text_segment(block_path, str(block), "system"))
    return segments


def thinking_turn(messages: Sequence[Any]) -> int:
    """The index of the one assistant message whose thinking blocks the provider keeps, or
    -1. The extended-thinking docs: thinking blocks of earlier assistant turns are stripped
    from the context, except in the tool-use loop in progress (the assistant message whose
    tool calls the last user message answers with tool results). Measured: 10 records whose
    thinking is history (mirascope test_call_with_thinking #1 on Sonnet 4, pydantic-ai
    thinking round trips on Sonnet 4.5, ruby_llm on Haiku 4.5) miss by exactly their
    thinking text when it is counted; 6 in a tool loop (fantasy TestAnthropicThinking,
    pydantic-ai test_anthropic_tool_with_thinking, dd-trace-py, llm-anthropic) are within
    18 tokens with it. The docs say Opus 4.5 and later keep every turn's blocks; no
    recorded Opus 4.5+ request has thinking history, so that is not modelled."""
    if len(messages) < 2:
        return -1
    last, before = messages[-1], messages[-2]
    if not (isinstance(last, Mapping) and isinstance(before, Mapping)
            and last.get("role") == "user" and before.get("role") == "assistant"):
        return -1
    content = last.get("content")
    answers = isinstance(content, list) and any(
        isinstance(block, Mapping) and block.get("type") == "tool_result" for block in content)
    return len(messages) - 2 if answers else -1


def _message_segments(message: Any, path: str, facts: ModelFacts, generation: Generation,
                      keeps_thinking: bool, first_block: int = 0) -> list[Segment]:
    if not isinstance(message, Mapping):
        return []
    role = str(message.get("role") or "user")
    # A system message inside the history (the API's mid-conversation system prompt) joins
    # the turn it sits in: no marker of its own. pydantic-ai's
    # test_anthropic_mid_conversation_system cassettes (8 records, Sonnet 5 and Opus 5) are 3
    # over per such message with one.
    frame = 0 if role == "system" else generation.per_message
    segments = [Segment(SegmentKind.MESSAGE_FRAME, path, "", fixed_tokens=frame, role=role)]
    content = message.get("content")
    if isinstance(content, str):
        segments.append(text_segment(f"{path}.content", content, role))
    elif isinstance(content, list):
        segments += (block_segment(block, f"{path}.content[{index}]", role, facts, generation,
                                   keeps_thinking)
                     for index, block in enumerate(content) if index >= first_block)
    return segments


def _reply_priming(body: Mapping[str, Any], base_path: str, messages: Sequence[Any],
                   generation: Generation) -> Segment:
    """The rest of the frame (the frame is the first message's marker plus this), less a
    message's marker when the last message is an assistant prefill (measured: a trailing
    prefill adds nothing), plus the hidden prompts of thinking and of a task budget."""
    tokens = generation.frame - generation.per_message
    if _ends_with_prefill(messages):
        tokens = max(0, tokens - generation.per_message)
    hidden = _thinking_tokens(body.get("thinking"), generation)
    config = body.get("output_config")
    if isinstance(config, Mapping) and config.get("task_budget"):
        hidden += generation.task_budget
    return Segment(SegmentKind.REPLY_PRIMING, base_path, "", fixed_tokens=tokens + hidden,
                   estimated=bool(hidden), estimate=THINKING_ESTIMATE if hidden else None)


def _ends_with_prefill(messages: Sequence[Any]) -> bool:
    """Whether the last message is an assistant prefill the reply continues."""
    last = messages[-1] if messages else None
    return isinstance(last, Mapping) and last.get("role") == "assistant"


def _close_turns(segments: list[Segment], prefill: bool) -> None:
    """Move the token that separates two turns from the frame after a turn (the next
    message's, or the reply priming) onto the turn's last block: the provider caches it with
    the turn it closes, so a breakpoint's prefix ends after it (see
    :data:`promptcache.tokens.anthropic_framing.TURN_SEPARATOR`). Totals do not change. The
    turns are the system prompt and the messages (tool definitions are not a turn); a
    frame with no tokens (a mid-conversation system message joins its turn) closes nothing,
    nor does the reply continuing a prefill."""
    last_block = -1
    for index, segment in enumerate(segments):
        if segment.kind in BLOCK_KINDS and segment.kind is not SegmentKind.TOOL:
            last_block = index
            continue
        closing = (segment.kind is SegmentKind.MESSAGE_FRAME
                   or (segment.kind is SegmentKind.REPLY_PRIMING and not prefill))
        if not closing or segment.fixed_tokens < TURN_SEPARATOR:
            continue
        if last_block >= 0:
            block = segments[last_block]
            segments[last_block] = replace(block,
                                           fixed_tokens=block.fixed_tokens + TURN_SEPARATOR)
            segments[index] = replace(segment,
                                      fixed_tokens=segment.fixed_tokens - TURN_SEPARATOR)
        last_block = -1


def _thinking_tokens(thinking: Any, generation: Generation) -> int:
    if not isinstance(thinking, Mapping):
        return 0
    kind = thinking.get("type")
    if kind == "enabled":
        return generation.thinking_enabled
    if kind == "adaptive":
        return generation.thinking_adaptive
    return 0


def _mark_last_block(segments: list[Segment], ttl: str) -> None:
    """Automatic caching: the breakpoint on the last block that can carry one."""
    for index in range(len(segments) - 1, -1, -1):
        segment = segments[index]
        skipped = segment.kind is SegmentKind.OTHER and segment.key in AUTOMATIC_SKIPS
        if segment.kind in BLOCK_KINDS and not skipped:
            if not segment.breakpoint:
                segments[index] = replace(segment, breakpoint=ttl)
            return
