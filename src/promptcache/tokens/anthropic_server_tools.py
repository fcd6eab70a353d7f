"""What Anthropic adds to a Messages request for the tools and context features it runs, as
dated data tables.

A tool whose ``type`` is not ``custom`` (``web_search_20250305``, ``code_execution_20260120``,
``bash_20250124``...) is defined by Anthropic: the body names it, the API renders a definition
the body does not carry. Where that definition costs a constant per tool version and model
generation, the constant is a row of :data:`DEFINITIONS`, each citing its evidence: a
document, or the recorded requests (``../shared/data/anthropic-*.jsonl``, by ``meta.source``)
whose total, less the exact count of the rest of the body, shows it. A row is accepted only
where recordings of at least two source projects agree within 3% of their totals, or a
document gives the figure; ``bench/accuracy.py --held-out`` refits each measured row without
one project at a time and reports how that project's records land.

Some input is not countable offline at all, whatever the table: a server tool adds what it
runs in the same response (search results, fetched pages, code output: the recorded totals of
responses that searched run 5-20x the visible text), an MCP server's tool list is fetched by
the server, encrypted results stand for pages the body does not hold. Those parts are named
by :func:`server_addition` and counted as a lower bound (see
:func:`promptcache.estimates.server_input_estimate`).

Context management (``context_management.edits``) removes input where its documented strategy
makes that determinable from the body (:func:`thinking_kept`, :func:`compaction_cut`); where
it depends on a token threshold the body's count crosses or not, the parts it would remove
are marked so (:func:`tool_clearing`).

Tables checked 2026-12 (recordings 2024-03 to 2026-11; documents as of 2026-12).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final


@dataclass(frozen=True, slots=True)
class DefinitionRow:
    """The cost of an Anthropic-defined tool's definition, beyond its ``name``'s text."""

    types: tuple[str, ...]
    """The tool ``type`` values (tool versions) the row prices."""
    generations: tuple[str, ...]
    """The generations it holds for (:attr:`Generation.name
    <promptcache.tokens.anthropic_framing.Generation.name>`); () for every generation."""
    tokens: int
    """What the definition adds beyond the name's text and the tool-use system prompt."""
    measured: bool
    """True when the figure is measured on recordings (``bench/accuracy.py --held-out``
    refits it), False when a document gives it."""


DEFINITIONS: Final[tuple[DefinitionRow, ...]] = (
    # Code execution (2026 versions) on the v3 generations that run them, measured 2026-12:
    # recorded total less the count of the rest of the body (frame, text, documented tool
    # prompt with its measured difference, the name), on requests whose history holds no
    # uploaded files:
    #   pydantic/pydantic-ai, code_execution_20260120: Sonnet 4.5 4,086
    #     (test_anthropic_code_execution_tool_container_reuse #0) and 4,144 (#1, a container
    #     and bash results in history); Sonnet 4.6 4,135 / 4,136
    #     (test_anthropic_code_execution_tool #1 / #0), 4,158 (_tool_stream #0), 4,162 / 4,164
    #     (test_code_execution_files_multi_turn #1, _files #1: uploads named, not read);
    #   crmne/ruby_llm, code_execution_20260521: Haiku 4.5 4,130
    #     (chat_code_execution_with_anthropic_claude-haiku-4-5_runs_code_server-side #0).
    # Two projects, two tool versions and three generations within 1.7% of each other: one
    # row, the median over the records whose history holds no uploaded files (9, with two
    # where the server ran code: test_anthropic_text_editor_code_execution_tool #0 and
    # _stream #0, 9,921 and 7,052, its output on top, hence the lower bound); refit and
    # checked held out by bench/anthropic_server_tools.py. Sonnet 4 with
    # code_execution_20250522 costs 1,292 (one record) and Sonnet 5's records all carry
    # uploaded files: no rows.
    DefinitionRow(("code_execution_20260120", "code_execution_20260521"),
                  ("4.5", "haiku-4.5", "4.6"), 4144, measured=True),
    # The bash tool "adds 245 input tokens to your API calls" (Anthropic, "Bash tool" ->
    # Pricing, platform.claude.com/docs/en/agents-and-tools/tool-use/bash-tool, checked
    # 2026-12; the current version is bash_20250124). No recording has it.
    DefinitionRow(("bash_20250124",), (), 245, measured=False),
)
"""Anthropic-defined tools whose definition has a known cost."""

# Not rows (evidence that does not meet the bar, kept for the next refit):
#   computer_20250124 on Sonnet 4 and computer_20251124 on Opus 4.6: 1,319-1,329 beyond the
#     rest, charmbracelet/fantasy only (4 + 4 records); the computer-use docs give 735 for
#     the definition plus 466-499 of system prompt, which is 86-118 below: they disagree.
#   tool_search_tool_bm25_20251119: 270-289 on Opus 4.8 / Fable 5 (13 records), 171-190 on
#     Sonnet 4.5, 189-222 on Sonnet 4.6 when the response searched nothing, pydantic-ai only;
#     a response that searched costs about 1,060-1,310 (the results and loaded tools).
#   memory_20250818: 1,068 / 1,079 on Sonnet 4.5, pydantic-ai only.
#   text_editor_*: 700 tokens as third parties quote Anthropic's pricing (eonsr.com, 2025-09);
#     the document itself was not retrieved, and no recording has it.
#   web_fetch_20250910 with fetched pages in history: 177 (Sonnet 4, pydantic-ai), 208
#     (Haiku 4.5, chatlas), 334-338 (Sonnet 5, ellmer): the page's rendering is mixed in.


@dataclass(frozen=True, slots=True)
class ServerAddition:
    """What the server adds, unseen, for a tool type or block type starting with ``prefix``."""

    prefix: str
    adds: str
    """A phrase naming it, for the estimate's reason."""


# Server tools: what the server runs within the same response and feeds back as input (the
# tool docs: web search, web fetch, code execution, tool search, advisor), or, for client
# tools Anthropic defines without a row, the definition itself. Measured: every recorded
# response whose usage counts a search or fetch (``server_tool_use``) is 3,194-487,053 over
# the rest of its count (pydantic-ai, mirascope, fantasy, chatlas, ellmer, ruby_llm,
# llm-anthropic).
TOOL_ADDITIONS: Final[tuple[ServerAddition, ...]] = (
    ServerAddition("web_search_", "web search results the server fetches"),
    ServerAddition("web_fetch_", "pages the server fetches"),
    ServerAddition("code_execution_", "code execution output and container files"),
    ServerAddition("tool_search_tool_", "tool search results and the definitions they load"),
    ServerAddition("advisor_", "the advisor's consultation"),
    ServerAddition("computer_", "the computer-use tool's definition and system prompt"),
    ServerAddition("memory_", "the memory tool's definition"),
    ServerAddition("bash_code_execution", "code execution output"),
    ServerAddition("", "an Anthropic-defined tool's definition"),
)
"""By tool ``type`` prefix, first match; the last row matches every type."""

# Blocks of history the server renders from data the body does not hold (or holds only
# encrypted): chatlas' and ellmer's web-search turns run 8,000-16,000 over their readable
# text.
BLOCK_ADDITIONS: Final[tuple[ServerAddition, ...]] = (
    ServerAddition("web_search_tool_result", "pages behind encrypted search results"),
    ServerAddition("web_fetch_tool_result", "a fetched page as the server renders it"),
    ServerAddition("mcp_tool", "an MCP call as the server renders it"),
    ServerAddition("container_upload", "an uploaded file's contents"),
    ServerAddition("compaction", "the server's framing of a compaction summary"),
    ServerAddition("tool_search_tool_result", "the definitions a tool search loaded"),
    ServerAddition("", "a server block as the server renders it"),
)
"""By block ``type`` prefix, first match; the last row matches every type."""

EXTENSION_ADDITIONS: Final[Mapping[str, str]] = {
    # activeagents/activeagent's MCP fixtures beyond the rest of the count: 456-571 for a
    # server without authorization, about 14,100 for an authorized one or several, 139,000
    # for a documentation server; pydantic-ai's 2,616-3,722.
    "mcp_servers": "MCP servers' tool lists the server fetches",
    "container": "files in the code-execution container",
}
"""Top-level request fields the server extends the prompt from."""


def definition_row(tool_type: str, generation: str) -> DefinitionRow | None:
    """The row pricing tool ``tool_type`` on ``generation``, if any."""
    for row in DEFINITIONS:
        if tool_type in row.types and (not row.generations or generation in row.generations):
            return row
    return None


def server_addition(tool_type: str) -> str | None:
    """What the server adds unseen for a tool of ``tool_type`` (None: nothing, the tool is a
    client tool whose definition a row prices)."""
    row = definition_row(tool_type, "")
    if row is not None and not row.generations:
        return None
    return _first(TOOL_ADDITIONS, tool_type)


def block_addition(block_type: str) -> str:
    """What the server adds unseen for a history block of ``block_type``."""
    return _first(BLOCK_ADDITIONS, block_type)


def _first(table: Sequence[ServerAddition], kind: str) -> str:
    return next(row.adds for row in table if kind.startswith(row.prefix))


# Context management (``context_management.edits``), documented in Anthropic's "Context
# editing" and "Compaction" guides (platform.claude.com/docs/en/build-with-claude/
# context-editing and /compaction, checked 2026-12).
CLEAR_THINKING: Final = "clear_thinking_20251015"
"""Keeps the thinking of the last ``keep.value`` assistant turns (``keep: "all"``: every
turn's); without it, the API keeps only the last turn's."""
CLEAR_TOOL_USES: Final = "clear_tool_uses_20250919"
"""Once the input exceeds ``trigger`` (default 100,000 input tokens), clears the oldest tool
results, keeping the last ``keep`` (default 3) tool uses and ``exclude_tools``'."""
COMPACT: Final = "compact_20260112"
"""Above ``trigger`` (default 150,000 input tokens) the server first summarizes the input
into a compaction block, an extra pass; "the API automatically drops all message blocks prior
to the compaction block" on later requests."""
TOOL_CLEARING_TRIGGER: Final = 100_000
TOOL_CLEARING_KEEP: Final = 3
COMPACTION_TRIGGER: Final = 150_000


def edits(body: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The context-management strategies of ``body``."""
    config = body.get("context_management")
    found = config.get("edits") if isinstance(config, Mapping) else None
    return [edit for edit in found or () if isinstance(edit, Mapping)]


def _edit(body: Mapping[str, Any], kind: str) -> Mapping[str, Any] | None:
    return next((edit for edit in edits(body) if edit.get("type") == kind), None)


def thinking_kept(body: Mapping[str, Any]) -> int | None:
    """How many of the last assistant turns keep their thinking under a
    :data:`CLEAR_THINKING` strategy (a very large number for ``keep: "all"``), or None
    when the body sets none (the API's own default applies). Measured: DataDog/dd-trace-js
    claude-agent-sdk cassettes with ``keep: "all"`` on Sonnet 4.6 (_66f64b46 #0, _750df9ce #0)
    count a thinking block two turns back."""
    edit = _edit(body, CLEAR_THINKING)
    if edit is None:
        return None
    keep = edit.get("keep")
    if keep == "all":
        return 1 << 30
    value = keep.get("value") if isinstance(keep, Mapping) else None
    return value if isinstance(value, int) and value >= 0 else 1


@dataclass(frozen=True, slots=True)
class ToolClearing:
    """What a :data:`CLEAR_TOOL_USES` strategy may clear."""

    trigger: int
    """Input tokens above which it clears (``input_tokens`` triggers only; a ``tool_uses``
    trigger is read as always crossed)."""
    keep: int
    """Tool uses, the latest, never cleared."""
    excluded: frozenset[str]
    """Tools whose results are never cleared."""
    inputs: bool
    """Whether the calls' inputs are cleared too (``clear_tool_inputs``)."""


def tool_clearing(body: Mapping[str, Any]) -> ToolClearing | None:
    """The body's :data:`CLEAR_TOOL_USES` strategy, or None."""
    edit = _edit(body, CLEAR_TOOL_USES)
    if edit is None:
        return None
    trigger = _threshold(edit.get("trigger"), TOOL_CLEARING_TRIGGER)
    keep = edit.get("keep")
    kept = keep.get("value") if isinstance(keep, Mapping) else None
    names = edit.get("exclude_tools")
    return ToolClearing(trigger, kept if isinstance(kept, int) else TOOL_CLEARING_KEEP,
                        frozenset(str(name) for name in names or ()),
                        edit.get("clear_tool_inputs") is True)


def compaction_trigger(body: Mapping[str, Any]) -> int | None:
    """The input tokens above which a :data:`COMPACT` strategy summarizes first, or None."""
    edit = _edit(body, COMPACT)
    return None if edit is None else _threshold(edit.get("trigger"), COMPACTION_TRIGGER)


def _threshold(trigger: Any, default: int) -> int:
    if isinstance(trigger, Mapping) and trigger.get("type") == "input_tokens":
        value = trigger.get("value")
        return value if isinstance(value, int) else default
    if isinstance(trigger, Mapping):
        return 0  # a trigger counted in tool uses: read as crossed
    return default


def compaction_cut(messages: Sequence[Any]) -> tuple[int, int] | None:
    """(message, block) of the last ``compaction`` block of the history, or None: the API
    drops every block before it (the Compaction guide). Measured: pydantic-ai
    test_anthropic_compaction_end_to_end #1 (Sonnet 4.6) records 239 tokens for a body of
    55,000 before its compaction block."""
    for index in range(len(messages) - 1, -1, -1):
        message = messages[index]
        content = message.get("content") if isinstance(message, Mapping) else None
        if not isinstance(content, list):
            continue
        for position in range(len(content) - 1, -1, -1):
            block = content[position]
            if isinstance(block, Mapping) and block.get("type") == "compaction":
                return index, position
    return None
