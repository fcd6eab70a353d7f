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

Underneath, a Responses request is rendered into the same prompt formats as a Chat Completions
request (``chatml`` for gpt-4o/gpt-4.1, ``harmony`` for o-series/gpt-5*, ``cl100k`` for
gpt-4/gpt-3.5-turbo, chosen by the chat module), so the pieces are shared: message framing (4
tokens a message; reply priming 3 and 2), the tools block (:func:`render_function`,
:func:`tool_block_parts`), the schema section (:func:`render_response_format`), the image
segments (:func:`image_segment`). What differs was fitted on
shared/data/openai-responses-cassettes.jsonl (286 recorded requests with the API's
``usage.input_tokens``; tests/test_openai_responses_tokens.py replays them all and prints every
miss):

* Tools block. Harmony models do not bill the 84-token hidden preamble Chat Completions bills
  with tools: the block costs its text plus 2 (50 exact harmony requests with function
  tools, with and without instructions). Chatml models give the block a system message of
  its own, never merged into the caller's system message, 6 tokens below the Chat
  Completions standalone block: -3 beyond its text (17 exact records, 4 of them with a
  system message in ``input``).
* A function call and its output each cost one token less on chatml than in Chat
  Completions (``header_extra`` 0; 8 exact records with calls). On harmony the output is
  authored ``functions.NAME`` (harmony's tool message header) and the pair's cost depends
  on the model generation (:data:`_GENERATIONS`): 16 + both names on gpt-5.4 and gpt-5.6
  (chatlas, ellmer, ruby_llm), 3 fewer on gpt-5, gpt-5-mini, gpt-5-nano and gpt-5.5
  (fantasy, ruby_llm, simonw/llm, llm-openai-plugin, pydantic-ai); other harmony models
  (gpt-5.2, o-series) keep the earlier fit. o4-mini bills 5 fewer still (fantasy,
  unexplained). A call sent back as the API returned it (its item ``id`` and ``status``,
  ``store`` left on) that was the only call of its turn costs 3 more on chatml
  (:attr:`_Format.stored_call_extra`: 82 records from 5 projects); calls made together,
  ``store: false`` and calls without ``id``/``status`` cost nothing more.
* A message's adjacent text parts are tokenized as one string, as in Chat Completions
  (:func:`promptcache.tokens.joins.joined_texts`).
* A forced choice (``tool_choice`` naming a function, or ``"required"`` with a single
  function tool) primes a chatml reply as a call to it: 4 + " to=functions.NAME", as in Chat
  Completions (4 records from 3 projects); harmony models bill nothing for it.
* Several consecutive calls are separate call messages, not the Chat Completions parallel
  wrapper (``multi_tool_use.parallel``), on gpt-4o, gpt-4.1 and the first gpt-5 generation
  (Mirascope, fantasy, chatlas, ellmer records exact that way); on gpt-5.4 and later they are
  billed as one wrapper call, counted as an estimate (:data:`_LATEST`).
* Harmony assistant text messages cost 2 more than other messages (their channel marker):
  4 records, exact.
* Reasoning items before the last user message are dropped by the API: they cost nothing,
  whatever they carry (``encrypted_content``, summaries, or an ``id`` alone): exact on 9
  Mirascope gpt-5 and gpt-5-mini records (``id`` and summaries of up to 630 tokens), 7
  ruby_llm gpt-5-nano ones (ciphertext), openinference gpt-5-mini and pydantic-ai gpt-5
  (686 tokens of summary). Later ones (the current turn) are billed: the hidden reasoning
  the response that made them reported, plus a few tokens. The request holds only its
  ciphertext, so the cost is estimated from the ciphertext's length, with a range
  (:data:`_ENCRYPTED_REASONING`); an item with no ciphertext is fetched from the server's
  store and is estimated without an upper bound.
* A tool's ``parameters.description`` is printed as harmony does, a comment between ``(_: ``
  and the object's ``{`` (5 exact records; 13 tokens each, any other placement is 12), and
  so is the object's ``title`` (the OpenAI Agents SDK's ``NAME_args``), on a line of its own
  before the description (9 records from 3 projects, see :func:`_render_function`), where
  Chat Completions writes it above the tool's description.
* A function call carrying a ``namespace`` (tools announced mid-conversation) names that
  namespace in its recipient and in its output's author instead of ``functions`` (+7 a pair,
  on the 4 records where it is the only change).
* Structured output (``text.format`` ``json_schema``) is the chat schema section, placed and
  costed per :mod:`promptcache.tokens.schema_placement`: never merged into instructions, its
  text plus 1 on chatml and plus 0 on harmony, "\n\n" + its text after tools; unlike Chat
  Completions, the reply names no format.

gpt-4o and gpt-4o-mini requests recorded in March 2025 (the API's first weeks) bill 18 more
than today's (simonw/llm-openai-plugin, ruby-openai, dd-trace-py, logfire), and 216 more with
function tools until late March (ruby-openai, dd-trace-py, logfire): hidden prompts since
dropped; they are counted as the API bills today, not modelled (both figures are dated rows
of :data:`promptcache.catalog.COUNTING_CHANGES`, which cites the records, so the calibration
says such a record predates the change).

Marked ``estimated`` (the count cannot be exact offline): built-in tools (web search, file
search, code interpreter, image generation, MCP, tool search...) whose hidden prompts and
server-side results are billed as input (a web search on chatml models counted with its
hidden prompt, :attr:`_Format.built_in_prompts`), and their call/output items;
``previous_response_id``, ``conversation`` and ``prompt`` (context stored server-side: a
stored ``prompt`` alone, with no ``input`` or ``model``, is a valid request counted as a
lower bound); files (an inline PDF or text file as its text plus a measured per-file
cost, :mod:`promptcache.tokens.openai_documents`; others guessed); compaction and
item-reference items; current-turn reasoning;
``additional_tools`` items (the tools block plus the generation's overhead: 86 on gpt-5,
exact on 4 records; 84, Chat Completions' harmony preamble, on the others, where gpt-5.4
bills 3 to 5 more); calls to functions the request does not declare (1 record: the API
bills 4 more); ``reasoning.mode`` "pro" (a hidden prompt of ~1500 tokens); models the
catalog does not know.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Final

from promptcache.catalog import ModelFacts, resolve_model
from promptcache.estimates import (
    UNVERIFIED_KEYWORDS_ESTIMATE,
    server_input_estimate,
)
from promptcache.load.formats.base import RESPONSES
from promptcache.memo import BoundedMemo
from promptcache.model import Estimate, Segment, SegmentKind

# The chat normalizer's helpers: the digests of rendered JSON, an image part's segment, the
# memoized schema section, and (private, imported on purpose) the model-family choice, which
# must be the same for both APIs, and the parallel wrapper's recipient and JSON.
from promptcache.normalize.openai_chat import (
    _PARALLEL,
    _compact_json,
    _format_for,
    _parsed_arguments,
    canonical_arguments,
    canonical_json,
    close_message,
    end_moved,
    image_segment,
    marked,
    schema_section,
)
from promptcache.normalize.reuse import serialized_tools
from promptcache.tokens.functions import (
    TOOLS_HEADER,
    comment_lines,
    forced_function,
    render_function,
    tool_block_parts,
    unverified_keywords,
)
from promptcache.tokens.joins import joined_texts
from promptcache.tokens.openai_documents import file_segment
from promptcache.tokens.schema_placement import AFTER_TOOLS, ALONE, schema_placement

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
    stored_call_extra: int = 0
    """On a function call echoed as the API returned it (see :func:`_is_stored_echo`) that
    was the only call of its turn, beyond the call's rendering."""
    estimated: bool = False
    """Framing not checked against recorded usage for this family."""
    forced_call: int | None = None
    """A reply forced to call one function (see :func:`_forced_function`): the call's header
    markers beyond the recipient text " to=functions.NAME" it adds to the reply priming; None
    when a forced choice adds nothing."""
    instructions_role: str = "system"
    """The role of the message ``instructions`` becomes."""
    generations: bool = False
    """Calls, outputs and ``additional_tools`` items cost what the model's generation bills
    (:data:`_GENERATIONS`)."""
    built_in_prompts: Mapping[str, _BuiltInPrompt] = field(default_factory=dict, hash=False)
    """Built-in tool type -> its hidden prompt, where recorded usage shows the figure."""


@dataclass(frozen=True, slots=True)
class _BuiltInPrompt:
    """The hidden prompt the API adds for a built-in tool, and what it bills beyond it."""

    tokens: int
    adds: str
    """What the server adds unseen when the tool runs (the estimate's reason names it)."""

    @property
    def estimate(self) -> Estimate:
        """The tool's estimate: its prompt the least it costs, no known most."""
        return server_input_estimate(self.adds)


# stored_call_extra: a function call sent back as the API returned it (its "fc_" `id` and
# its `status`, store left on) bills 3 more when it was the only call of its turn. Exact
# with it (82 records, none without it): Mirascope 54 (gpt-4o, gpt-4o-mini,
# test_structured_output_with_tools, *_resume_exports_*_span), activeagents 7 (gpt-4o,
# gpt-4.1, docs/actions/tools, tools_test/test_agent_common_format_parameters),
# traceloop/openllmetry 16 (openai-agents SDK: 3 a call over the 2-, 3- and 4-turn histories
# of test_recipe_agents_hierarchy and test_router_analytics_complete_workflow),
# langsmith-sdk 4, logfire 1. Not billed: the same call without `id` or `status` (pydantic-ai
# test_openai_responses_model_simple_response_with_tool_call#1, dd-trace-js
# openai_responses_post_71caa7be), with store false (dd-trace-js, fantasy, chatlas, ellmer),
# and calls made together in one turn (Mirascope test_call_with_tools, activeagents
# test_agent_common_format_multiple_tools). Presumably the API replays the stored item as the
# model wrote it; 5 records it leaves 3 over are in _is_stored_echo's docstring.
#
# built_in_prompts: a web search tool costs 294 tokens beyond the request's text when the
# model answers without searching, with or without search_context_size and user_location
# (neither changes it): exactly 294 more than the same request without the tool on 7 records
# from 5 projects, 2025-05-09 to 2025-10-26, gpt-4o and gpt-4.1, web_search_preview and
# web_search: Arize openinference test_web_search (#0 of two cassettes), DataDog
# dd-trace-py openai_responses_post_* (2025-05-09; 2025-07-23 with a New York user_location),
# activeagents test_agent_web_search (2025-10-26), traceloop openllmetry
# test_responses_with_web_search (2025-08-15), pydantic-ai
# test_openai_responses_model_web_search_tool (search_context_size medium). A turn that
# searches bills its results as input too (16,800 to 17,700 more on chatlas, ellmer,
# fantasy and Mirascope records): the tool stays an estimate, this figure its least.
_WEB_SEARCH_PROMPT: Final = _BuiltInPrompt(294, "web search results the server fetches")
_CHATML: Final = _Format(name="chatml", frame=4, priming=3, header_extra=0, assistant_extra=0,
                         tools_overhead=-3, tools_header=TOOLS_HEADER, stored_call_extra=3,
                         forced_call=4,
                         built_in_prompts=dict.fromkeys(
                             ("web_search", "web_search_preview", "web_search_2025_08_26",
                              "web_search_preview_2025_03_11"), _WEB_SEARCH_PROMPT))
# The chat harmony constants, but for the tools block's overhead and the assistant channel.
# A forced choice adds nothing: exact without it on pydantic-ai
# test_tool_choice_matrix[required-openai_responses]#0 and test_openai_responses_streaming_
# usage#0, ruby_llm ..._respects_choice_required_for_unrelated_queries#0 and Mirascope
# refusal/openai_responses/handles-refusal-for-call#0 (gpt-5, gpt-5-mini, gpt-5-nano).
_HARMONY: Final = _Format(name="harmony", frame=4, priming=2, header_extra=4,
                          assistant_extra=2, tools_overhead=2,
                          tools_header=TOOLS_HEADER + "\n", instructions_role="developer",
                          generations=True)
# gpt-4 / gpt-3.5-turbo: the cookbook's figures, marked estimated. Four recorded requests
# (openllmetry-js gpt-3.5-turbo, openai-responses-more): one text request exact, three with
# content parts 1 under; too few to fit the row on.
_CL100K: Final = _Format(name="cl100k", frame=3, priming=3, header_extra=0, assistant_extra=0,
                         tools_overhead=-3, tools_header=TOOLS_HEADER,
                         estimated=True, forced_call=4)
_FORMATS: Final = {"chatml": _CHATML, "harmony": _HARMONY, "harmony-o": _HARMONY,
                   "cl100k": _CL100K}


@dataclass(frozen=True, slots=True)
class _Generation:
    """How one generation of harmony models bills what its Responses conversation carries
    beyond messages (numbers in tokens)."""

    prefixes: tuple[str, ...]
    """Model names it covers: the name, followed by "-", starts with a prefix and "-"."""
    call_extra: int
    """On a function call's frame, beyond the family's (:attr:`_Format.header_extra`)."""
    additional_tools: int
    """An ``additional_tools`` item's tools block, beyond its text (an estimate)."""
    parallel_prefix: str | None = None
    """Consecutive calls (one turn's parallel calls) are billed as one call of OpenAI's
    parallel wrapper whose uses name their functions with this prefix, counted as an
    estimate (see :data:`_LATEST`); None: as separate call messages."""


# A function call and its output, the output authored "functions.NAME" as harmony writes a
# tool message's header, cost 16 + the tokens of both names on gpt-5.4 and later: 37
# posit-dev/chatlas gpt-5.4 records with one pair and 6 with two (e.g.
# test_chat_tools_and_structured_output#0), 13 tidyverse/ellmer gpt-5.4-nano and
# gpt-5.6-terra ones (chat-tools-*.yml), 3 crmne/ruby_llm gpt-5.4 ones. An additional_tools
# item: the Chat Completions harmony tools block's 84 (pydantic-ai gpt-5.6
# test_supported_model_calls_additional_tool#0; its gpt-5.4 records bill 3 to 5 more).
# Several consecutive calls are not billed as separate call messages (10 to 11 under with
# two calls: posit-dev/chatlas test_chat_callbacks#1, test_parallel_chat_multi_turn_tools#2
# and #3, test_openai_tool_variations#7, tidyverse/ellmer chat-tools-callbacks.yml#1, gpt-5.4
# and gpt-5.4-nano) but as one call of OpenAI's parallel wrapper, as in Chat Completions
# (`multi_tool_use.parallel`, {"tool_uses":[{"recipient_name":..,"parameters":{..}}]}),
# their outputs staying separate tool messages: exact on four of those records with the
# recipients' bare function names, and 1 under on test_openai_tool_variations#7 (with
# "functions." they are 2 over). With four calls (ellmer chat-tools-failure.yml#1) it is
# 2 over. The form is the best one found, not established: such a turn is an estimate.
_LATEST: Final = _Generation(("gpt-5.4", "gpt-5.6"), call_extra=0, additional_tools=84,
                             parallel_prefix="")
_GENERATIONS: Final = (
    _LATEST,
    # Three tokens fewer a pair on the first gpt-5 generation, whatever the tool's
    # strictness: charmbracelet/fantasy gpt-5 (4 records with one pair, 2 with two),
    # crmne/ruby_llm gpt-5-nano (3 with one pair, 1 with two), simonw/llm gpt-5.5 (2),
    # simonw/llm-openai-plugin gpt-5-mini (1), pydantic-ai gpt-5 (1). Which of the two items
    # carries the difference is not identified: it is put on the call. additional_tools:
    # 86 on the four pydantic-ai gpt-5 test_tool_availability_portability_matrix[R*-T4-*]
    # records (with and without a call pair before the item).
    _Generation(("gpt-5", "gpt-5-mini", "gpt-5-nano", "gpt-5.5"), call_extra=-3,
                additional_tools=86),
)
# Other harmony models (gpt-5.2, o-series): the pair as it was costed before the generations
# were told apart (16 + the recipient + the bare function name): exact on
# pydantic-ai gpt-5.2 test_openai_deferred_capability_runs_on_model_without_native_tool_
# search#2 (3 pairs), 1 over on #1. o4-mini (charmbracelet/fantasy, 4 records) bills 5 fewer
# a pair: unexplained.
_OTHER_HARMONY: Final = _Generation((), call_extra=-1, additional_tools=84)

_REASONING_BASE_CHARS: Final = 830
_REASONING_CHARS_PER_TOKEN: Final = 6.7
"""Encrypted reasoning of the current turn: tokens ~ (length - 830) / 6.7, a least-squares
fit of the billed tokens on the ciphertext's length (8 records, 1080-2916 characters)."""
# What a current-turn reasoning item bills is the hidden reasoning itself: the response that
# produced it reported that many reasoning tokens, and the item bills them plus 2 to 7
# (simonw/llm gpt-5.5 `test_responses_round_trips_encrypted_reasoning.yaml#1` 63 -> 67,
# `..._interleaved_reasoning_between_tool_calls.yaml#1` 45 -> 49, ellmer gpt-5.6-terra
# `inst/_vcr/tool.yml#1` 22 -> 24, pydantic-ai gpt-5.5 `test_openai_responses_phase_live#1`
# 29 -> 36); gpt-5, -mini and -nano report reasoning tokens rounded down to 64 (1344, 256,
# 192...), 2 to 63 under what the next call bills (ruby_llm, pydantic-ai). The request carries
# only the ciphertext, so the count stays an estimate from its length, and its range is the
# spread of billed over estimated tokens on every recorded current-turn item whose request has
# nothing else estimated: 0.69 (ellmer `tool.yml#1`) to 1.40 (pydantic-ai gpt-5
# `test_openai_responses_thinking_with_tool_calls#1`), 26 items from pydantic-ai, ruby_llm,
# simonw/llm and ellmer; the range is half to one and a half times the estimate, plus 20 for
# the item's own framing on short items.
_REASONING_LOW_RATIO: Final = 0.5
_REASONING_HIGH_RATIO: Final = 1.5
_REASONING_HIGH_SLACK: Final = 20
_ENCRYPTED_REASONING: Final = "reasoning of the current turn, encrypted (estimated from its length)"
# An item without `encrypted_content` (an `id`, with or without summaries) is fetched from
# what the API stored: its reasoning is billed (activeagent gpt-5 `mcp_test/
# test_agent_common_format_mixed_tools_and_mcp.yml#1`, 494 tokens beyond the rest, 384
# reasoning tokens reported for the call that made it), but nothing in the request bounds it.
_STORED_REASONING: Final = Estimate("reasoning of the current turn, stored server-side", 0,
                                    None)
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
    builder.store = body.get("store") is not False  # the API's default is to store
    if fmt.generations:
        builder.generation = _generation_of(model_name)
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
        builder.message_text(fmt.instructions_role,
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
    forced = _forced_function(body.get("tool_choice"), tools)
    text, extra = (("", 0) if forced is None or fmt.forced_call is None
                   else (f" to=functions.{forced}", fmt.forced_call))
    builder.out.append(Segment(SegmentKind.REPLY_PRIMING, base_path, text,
                               fixed_tokens=fmt.priming + extra,
                               estimated=fmt.estimated or pro or not facts.known))
    return tuple(builder.out)


def _forced_function(choice: object, tools: object) -> str | None:
    """The function the reply must call, when ``tool_choice`` leaves the model no choice.

    The API then primes the reply as a call to it (Chat Completions' rule F5 of
    shared/openai-rendering-facts.md): a named function, or ``"required"`` with a single
    function tool, which is the same constraint. Evidence (4o, each exactly +4 + the tokens
    of " to=functions.NAME" over the unforced count): activeagent
    ``tools_test/test_agent_common_format_tool_choice_specific#0`` (named) and
    ``..._tool_choice_required#0``, traceloop ``test_responses_api_tool_call_finish_reason#0``
    (both "required", one tool), opentelemetry-python-contrib
    ``test_responses_create_captures_tool_call_content[content_mode0]#0`` (named); "required"
    with two tools adds nothing (pydantic-ai ``test_openai_responses/test_tool_output#0``).
    """
    if isinstance(choice, Mapping):
        return forced_function(choice)
    if choice != "required" or not isinstance(tools, list) or len(tools) != 1:
        return None
    only = tools[0]
    if not isinstance(only, Mapping) or only.get("type") != "function":
        return None
    name = only.get("name")
    return name if isinstance(name, str) and name else None


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
    estimate: Estimate | None = None
    """Why the tool's count is an estimate, when that is known."""
    fixed: int = 0
    """A built-in tool's hidden prompt, when recorded usage shows its size
    (:attr:`_Format.built_in_prompts`)."""


def _top_tools(tools: list[Any],
               builder: _Builder) -> tuple[tuple[Segment, ...], frozenset[str]]:
    """The top-level tools' segments and function names, memoized on the tools' JSON:
    agents resend the same tools on every turn, so most requests skip rendering."""
    path = f"{builder.base}.tools"
    data = serialized_tools(tools)
    # Not JSON data: built uncached.
    memo_key: _ToolsKey | None = None if data is None else (data, builder.fmt.name, path)

    def render() -> tuple[tuple[Segment, ...], frozenset[str]]:
        rendered = [_render_tool(tool, builder.fmt) for tool in tools]
        return (builder.tools_block(path, rendered, builder.fmt.tools_overhead),
                frozenset(tool.name for tool in rendered if tool.function))

    return _tools_memo.get_or_make(memo_key, render)


def _render_tool(tool: object, fmt: _Format) -> _Tool:
    # Runs only when the tools memo misses, so the digest costs nothing on repeated tools.
    canonical = canonical_json(tool)
    if not isinstance(tool, Mapping):
        return _Tool("", "", function=False, estimated=True, canonical=canonical)
    kind = tool.get("type")
    name = tool.get("name")
    label = name if isinstance(name, str) else ""
    if kind == "function":
        # A schema keyword whose rendering is not established makes the count an estimate,
        # as in Chat Completions (the two APIs render a function the same way).
        unverified = unverified_keywords(tool.get("parameters"))
        return _Tool(label, _render_function(tool), function=True, estimated=bool(unverified),
                     canonical=canonical,
                     estimate=UNVERIFIED_KEYWORDS_ESTIMATE if unverified else None)
    if kind == "custom":  # grammar / free-text tools: rendering unknown
        return _Tool(label, render_function(tool), function=True, estimated=True,
                     canonical=canonical)
    # Built-in tools (web_search, file_search, code_interpreter, image_generation, mcp,
    # tool_search, namespace...): hidden prompts, of a known size only where the family's
    # table has it, and what the tool fetches or runs, never known offline.
    if not label:
        label = kind if isinstance(kind, str) else ""
    prompt = fmt.built_in_prompts.get(kind) if isinstance(kind, str) else None
    if prompt is None:
        return _Tool(label, "", function=False, estimated=True, canonical=canonical)
    return _Tool(label, "", function=False, estimated=True, canonical=canonical,
                 estimate=prompt.estimate, fixed=prompt.tokens)


def _render_function(tool: Mapping[str, Any]) -> str:
    """:func:`render_function`, plus the parameters object's own description where harmony
    prints it: ``type name = (_: // description`` then ``{`` on the next line."""
    parameters = tool.get("parameters")
    if not isinstance(parameters, Mapping):
        return render_function(tool)
    untitled = {key: value for key, value in parameters.items() if key != "title"}
    text = render_function({**tool, "parameters": untitled})
    # The object's title too, as a comment line before its description: the OpenAI Agents
    # SDK's "<name>_args" titles (langchain-ai/langsmith-sdk
    # test_openai_agents_test_traceable_decorator_nests_under_agent_trace#0, traceloop
    # test_agent_with_function_tool_spans#0, Arize openinference
    # test_tool_with_complex_return_type#0: 9 more records exact; with an empty "//" line
    # after it, as harmony writes a member's title, 1). Chat Completions writes it above the
    # tool's description instead (render_function), so it is taken out of what that renders:
    # both places leave openai-responses-more 4o tools at 79 exact of 143, the chat place
    # alone at 89, this one alone at 90.
    description = (comment_lines(parameters.get("title"))
                   + comment_lines(parameters.get("description")))
    name = tool.get("name")
    opening = f"type {name if isinstance(name, str) else ''} = (_:{{"
    if not description or opening not in text:
        return text
    return text.replace(opening, f"{opening[:-1]} {description}{{", 1)


def _generation_of(model_name: str) -> _Generation:
    for generation in _GENERATIONS:
        if any(f"{model_name}-".startswith(f"{prefix}-") for prefix in generation.prefixes):
            return generation
    return _OTHER_HARMONY


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
        self.generation: _Generation | None = None
        """The harmony model generation (None for other families)."""
        self.store = True
        """The request leaves ``store`` on: items it echoes can be the API's stored ones."""

    # -- tools and schema ---------------------------------------------------------------------

    def tools_block(self, path: str, tools: list[_Tool], overhead: int) -> tuple[Segment, ...]:
        """Header frame, one segment per tool, footer frame; built-in tools (no text) keep
        their place in the list but are no part of the ``functions`` namespace."""
        functions = [tool.text for tool in tools if tool.function]
        if not functions:
            return tuple(Segment(SegmentKind.TOOL, f"{path}[{index}]", "",
                                 fixed_tokens=tool.fixed, key=tool.name, estimated=True,
                                 canonical=tool.canonical, estimate=tool.estimate)
                         for index, tool in enumerate(tools))
        header, parts, footer = tool_block_parts(self.fmt.tools_header, functions)
        pieces = iter(parts)
        out = [Segment(SegmentKind.TOOLS_FRAME, path, header.text,
                       fixed_tokens=overhead + header.correction, estimated=self.fmt.estimated)]
        for index, tool in enumerate(tools):
            text, correction = next(pieces) if tool.function else ("", tool.fixed)
            out.append(Segment(SegmentKind.TOOL, f"{path}[{index}]", text,
                               fixed_tokens=correction, key=tool.name,
                               estimated=tool.estimated, canonical=tool.canonical,
                               estimate=tool.estimate))
        out.append(Segment(SegmentKind.TOOLS_FRAME, path, footer.text,
                           fixed_tokens=footer.correction))
        return tuple(out)

    def response_format(self, options: object) -> None:
        """``text.format`` of type ``json_schema``: the chat schema section."""
        if not isinstance(options, Mapping):
            return
        spec = options.get("format")
        # Responses puts name/schema/description at the format's top level, where Chat
        # Completions nests them under `json_schema`. The digest is of the whole format
        # object: its name and description are rendered too.
        section = schema_section(spec, nested=False)
        if section is None:
            return
        text, canonical = section
        placement = schema_placement("responses", self.fmt.name)
        if any(segment.kind is SegmentKind.TOOLS_FRAME for segment in self.out):
            text, fixed, case = "\n\n" + text, placement.after_tools, AFTER_TOOLS
        else:  # never merged into instructions or a system item: the same cost with them
            fixed, case = placement.alone, ALONE
        estimated = case in placement.unverified
        self.out.append(Segment(SegmentKind.RESPONSE_FORMAT, f"{self.base}.text.format", text,
                                fixed_tokens=fixed, estimated=estimated, canonical=canonical))

    # -- input items --------------------------------------------------------------------------

    def message_text(self, role: str, path: str, text: str) -> None:
        self._frame(path, role, "", self._message_frame(role), estimated=False)
        self.out.append(Segment(SegmentKind.TEXT, path, text, role=role))

    def items(self, items: Sequence[Any], path: str) -> None:
        last_user = max((index for index, item in enumerate(items)
                         if isinstance(item, Mapping) and item.get("role") == "user"
                         and item.get("type", "message") == "message"), default=-1)
        wrapped = 0  # items up to this index went into a parallel wrapper
        for index, item in enumerate(items):
            item_path = f"{path}[{index}]"
            if index < wrapped:
                continue
            if not isinstance(item, Mapping):
                self.out.append(Segment(SegmentKind.OTHER, item_path, "", estimated=True))
                continue
            kind = item.get("type")
            run = self._parallel_run(items, index)
            if len(run) > 1:
                self._parallel_calls(run, item_path)
                wrapped = index + len(run)
            elif kind in ("function_call", "custom_tool_call"):
                alone = not (_is_call(items, index - 1) or _is_call(items, index + 1))
                self._call(item, item_path, custom=kind == "custom_tool_call",
                           stored=alone and self.store and _is_stored_echo(item))
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
        content = item.get("content")
        end = end_moved(content)
        self._frame(path, role_name, "", self._message_frame(role_name) - end,
                    estimated=role_name not in _MESSAGE_ROLES)
        self._content(content, f"{path}.content", role_name)
        close_message(self.out, end)

    def _call(self, item: Mapping[str, Any], path: str, *, custom: bool, stored: bool) -> None:
        """A function call message; ``stored`` when it echoes a stored single-call turn."""
        name = _string(item.get("name"))
        field = "input" if custom else "arguments"
        arguments = item.get(field)
        namespace = item.get("namespace")
        if isinstance(namespace, str) and namespace:
            recipient = author = f"{namespace}.{name}"
        else:
            recipient = f"functions.{name}"
            # Harmony authors a tool message by the call's full recipient.
            author = recipient if self.generation else name
        call_id = item.get("call_id")
        if isinstance(call_id, str):
            self.authors[call_id] = author
        # A call to a function the request does not declare: its rendering is not known.
        estimated = custom or name not in self.declared
        self._frame(path, "assistant", f" to={recipient}",
                    self.fmt.frame + self.fmt.header_extra
                    + (self.generation.call_extra if self.generation else 0)
                    + (self.fmt.stored_call_extra if stored else 0),
                    estimated=estimated)
        self.out.append(Segment(SegmentKind.TOOL_CALL, f"{path}.{field}", _string(arguments),
                                role="assistant", key=name,
                                estimated=not isinstance(arguments, str),
                                canonical=canonical_arguments(arguments)
                                if isinstance(arguments, str) else ""))

    def _parallel_run(self, items: Sequence[Any], start: int) -> list[Mapping[str, Any]]:
        """The function calls from ``start`` on that one parallel wrapper bills (see
        :attr:`_Generation.parallel_prefix`); empty where calls are separate messages."""
        if self.generation is None or self.generation.parallel_prefix is None:
            return []
        run: list[Mapping[str, Any]] = []
        for item in items[start:]:
            # A call into an announced namespace names its own recipient: left as a message.
            if not (isinstance(item, Mapping) and item.get("type") == "function_call"
                    and not item.get("namespace")):
                break
            run.append(item)
        return run

    def _parallel_calls(self, calls: list[Mapping[str, Any]], path: str) -> None:
        """Several consecutive calls as one call of the parallel wrapper, an estimate."""
        prefix = self.generation.parallel_prefix if self.generation else None
        uses = []
        for call in calls:
            name = _string(call.get("name"))
            call_id = call.get("call_id")
            if isinstance(call_id, str):
                self.authors[call_id] = f"functions.{name}"
            arguments = _parsed_arguments(_string(call.get("arguments")) or "{}")
            uses.append({"recipient_name": f"{prefix or ''}{name}",
                         "parameters": arguments.value})
        wrapper = _compact_json({"tool_uses": uses})
        self._frame(path, "assistant", f" to={_PARALLEL}",
                    self.fmt.frame + self.fmt.header_extra, estimated=True)
        self.out.append(Segment(SegmentKind.TOOL_CALL, f"{path}.arguments", wrapper,
                                role="assistant", key=_PARALLEL, estimated=True,
                                canonical=canonical_arguments(wrapper)))

    def _output(self, item: Mapping[str, Any], path: str, *, custom: bool) -> None:
        call_id = item.get("call_id")
        author = self.authors.get(call_id) if isinstance(call_id, str) else None
        self._frame(path, "tool", author or "", self.fmt.frame + self.fmt.header_extra,
                    estimated=author is None or custom)
        self._content(item.get("output"), f"{path}.output", "tool")

    def _reasoning(self, item: Mapping[str, Any], path: str) -> None:
        """A reasoning item of the current turn: billed, but its text is not in the request
        (encrypted, or stored server-side), so its cost is estimated, with the range it lies
        in. Summaries are not billed beside it (pydantic-ai gpt-5 `test_openai_responses_
        thinking_with_tool_calls#1`: 800 tokens of summary, billed as the 1792 reasoning
        tokens plus 29)."""
        encrypted = item.get("encrypted_content")
        guess = 0
        estimate = _STORED_REASONING
        if isinstance(encrypted, str):
            guess = max(0, math.ceil((len(encrypted) - _REASONING_BASE_CHARS)
                                     / _REASONING_CHARS_PER_TOKEN))
            estimate = Estimate(_ENCRYPTED_REASONING, math.floor(guess * _REASONING_LOW_RATIO),
                                math.ceil(guess * _REASONING_HIGH_RATIO)
                                + _REASONING_HIGH_SLACK)
        self.out.append(Segment(SegmentKind.OTHER, path, "", fixed_tokens=guess,
                                role="assistant", key="reasoning", estimated=True,
                                estimate=estimate))

    def _additional_tools(self, item: Mapping[str, Any], path: str) -> None:
        tools = item.get("tools")
        rendered = ([_render_tool(tool, self.fmt) for tool in tools]
                    if isinstance(tools, list) else [])
        overhead = (self.generation.additional_tools if self.generation
                    else self.fmt.frame)
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
            parts = [marked(part, self._part(part, f"{path}[{index}]", role))
                     for index, part in enumerate(content)]
            # Adjacent text parts are tokenized as one string, as in Chat Completions (rule
            # F1): exact that way and 1 over apart on activeagents
            # test_agent_text_messages_bare#0 and test_agent_texts_bare#0 (gpt-4.1, ".Now" is
            # one token), crmne/ruby_llm gpt-5-nano chat_text_models_*_can_understand_text#0/
            # #1, ..._remote_text#1 and chat_tool_attachments_*_returns_text_and_attachments_
            # from_tools#1 (a file's text part after the prompt's). Every other Responses and
            # chat record with several text parts in a message (Mirascope
            # openai_gpt_4o_responses#0, openai_gpt_4o_completions#0, pydantic-ai document
            # inputs) counts the same either way.
            self.out.extend(joined_texts(parts, self.facts.encoding))
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
            return file_segment(RESPONSES, part, path, role or None, "input_file")
        text = part.get("refusal") if kind == "refusal" else part.get("text")
        return Segment(SegmentKind.OTHER, path, _string(text), role=role or None,
                       key=_string(kind), estimated=True)

    def _image(self, part: Mapping[str, Any], path: str, role: str) -> Segment:
        url = part.get("image_url")
        source = url if isinstance(url, str) else part.get("file_id")
        if not isinstance(source, str):
            return Segment(SegmentKind.OTHER, path, "", role=role or None, key="input_image",
                           estimated=True)
        return image_segment(self.facts, source, part.get("detail"), path, role,
                             source_hint=None if isinstance(url, str) else "file_id")


def _is_call(items: Sequence[Any], index: int) -> bool:
    if not 0 <= index < len(items):
        return False
    item = items[index]
    return isinstance(item, Mapping) and item.get("type") in ("function_call",
                                                              "custom_tool_call")


def _is_stored_echo(item: Mapping[str, Any]) -> bool:
    """A call item sent back exactly as the API returned it: its item ``id`` and ``status``.

    Open, 5 records 3 over: identical echoed requests are billed up to 5 apart (Mirascope
    test_structured_output_with_tools openai_gpt_4o_responses/async.yaml#3 at 192, its
    stream and sync twins at 195 and 197; tool/.../async.yaml#1 and sync.yaml#3), presumably
    the model's own tokens of the call, which re-tokenizing cannot know; a turn whose call the
    caller forced (activeagents test_agent_common_format_tool_choice_required#1 and
    ..._tool_choice_specific#1) bills nothing more, and the echo does not say it was forced.
    The two dd-trace-js records with an ``id`` but no ``status`` (2025-08-04) predate every
    record that shows the extra (2025-08-15 on), so a date rather than ``status`` is not ruled
    out.
    """
    identity = item.get("id")
    return isinstance(identity, str) and bool(identity) and "status" in item


def _string(value: object) -> str:
    return value if isinstance(value, str) else ""
