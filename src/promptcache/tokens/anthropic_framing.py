"""What Anthropic bills around the visible text of a Messages request, as dated data tables.

Anthropic publishes no tokenizer and no prompt template. What is known comes from two places,
and every row below says which:

* **Documented** by Anthropic: the tool-use system prompt per model and ``tool_choice``
  ("Tool use with Claude", Pricing; shared/anthropic-counting-facts.md section 3, "Documented
  by Anthropic", item 1) and the image scheme (vision guide, in :mod:`promptcache.catalog`).
* **Measured** on the shared recordings (``../shared/data/anthropic-*.jsonl``, 1,261 calls
  with the provider's usage), as residuals once the Claude tokenizer's count of the visible
  text is taken away (facts file section 3, "Measured in this data", re-measured 2026-12 with
  the renderings of :mod:`promptcache.normalize.anthropic_messages`). The frame, the system
  prompt's +0/+1, the +3 per message and thinking's +29 are exact on most plain records;
  where a rendering was chosen (tools, structured outputs), it is the one whose residual is
  most constant across records and clients, and the constant is that residual's median.
  Constants resting on few records or one client say so; segments costed with them are
  estimates (see :data:`promptcache.estimates.FITTED_ERRORS`).

Refit procedure: count every non-exotic shared record's visible text with the generation's
Claude tokenizer (a scratch script: the package never imports a reference tokenizer), take
away the exact rules (frame, messages, documented tool prompt), and take the median residual
per feature over the records that have that feature alone (tool definitions without call
history first, then call/result pairs with the tool figures fixed, then thinking, documents,
structured outputs), checking per source repository that the figure holds for more than one
client; re-run ``bench/accuracy.py`` with that tokenizer substituted (its
``anthropic_outcomes`` takes the counting function) and keep a change only when the
within-3% rate improves. The figures are in-sample: a new recording set is their test.

Table checked 2026-12 (the facts file's recordings span 2024-03 to 2026-11).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Final

from promptcache.catalog import resolve_model

CLAUDE_V3: Final = "claude-v3"
CLAUDE_V4_7: Final = "claude-v4.7"
CLAUDE_V4_8: Final = "claude-v4.8"


@dataclass(frozen=True, slots=True)
class Generation:
    """The structural costs of one Claude generation (tokens)."""

    name: str
    """The generation as the facts file names it (``3``, ``4.5``, ``haiku-4.5``...)."""
    prefixes: tuple[str, ...]
    """Model names (resolved, lower case) starting with one of these belong to it."""
    tokenizer: str
    """The tokenizer family: :data:`CLAUDE_V3`, :data:`CLAUDE_V4_7` or :data:`CLAUDE_V4_8`."""
    frame: int
    """A request of one user message costs its text plus this (measured, exact)."""
    per_message: int = 3
    """Each further message (measured, exact on v3; about right on v4.8)."""
    system: int = 0
    """A non-empty ``system`` beyond its text (measured)."""
    tools_auto: int = 0
    """The tool-use system prompt with ``tool_choice`` auto / none / absent, beyond the
    documented figure (:data:`TOOL_PROMPTS`): measured."""
    tools_forced: int = 0
    """The same with ``tool_choice`` any / tool, beyond the documented figure: measured."""
    tool_definition: int = 0
    """Each custom tool beyond its rendered JSON (fitted)."""
    tool_use: int = 0
    """A ``tool_use`` block beyond its name and JSON input (fitted, half of the measured
    tool_use + tool_result pair)."""
    tool_result: int = 0
    """A ``tool_result`` block beyond its content (fitted, the other half of the pair)."""
    thinking_enabled: int = 0
    """``thinking: {type: enabled}`` (measured: 28-30 on every generation that has it)."""
    thinking_adaptive: int = 0
    """``thinking: {type: adaptive}`` (measured on 4.6)."""
    structured_output: int = 0
    """An ``output_format`` / ``output_config.format`` beyond its schema's indented JSON
    (measured)."""
    renders_loaded_tools: bool = True
    """Whether a deferred tool the history has loaded (a tool search's ``tool_reference``)
    is rendered with the other definitions (measured)."""
    task_budget: int = 0
    """An ``output_config.task_budget`` (measured on Opus 4.7)."""


# Figures common to the v3 family (Claude 3 to Opus 4.6, Haiku 4.5), facts file section 3:
# frame 7 on 142 of 145 plain single-message records; system +0 on 85 of 94; +3 per further
# message (u,a,u -> +6), a trailing assistant prefill +0; thinking enabled 28.9 fitted,
# identical across 3.7, 4, 4.5, haiku-4.5, 4.6; adaptive +17 (4.6). Images and PDF pages:
# the model's image scheme (catalog) and promptcache.tokens.anthropic_documents.
# Citations (``citations.enabled``) add about 550 to a text document and 1,560 to a PDF
# (crmne/ruby_llm cites_text_documents and cites_pdf_documents, one client): not modelled.
# Text documents (``source.type`` text): their text plus 37 (pydantic-ai
# test_text_document_as_binary_content_input #0 and test_text_document_url_input #1: 38
# and 36), a title costing its text (chatlas test_anthropic_document #0).
#
# Tools (measured 2026-12 on the 217 shared records with tools and no call history, each
# tool rendered as the JSON ``{"name", "description" (when non-empty), "input_schema"}``
# with the API's default separators, see normalize.anthropic_messages): every generation
# costs 4 per tool beyond that JSON (sonnet-4-5 with tool_choice any: 279 / 283 / 287 beyond
# the rest for 1 / 2 / 3 tools, pydantic-ai test_output/*_basemodel_output; sonnet-4-0
# auto: 1 tool -378, 2 tools -374 relative, fantasy multi_tool vs tool), and the tool-use
# prompt differs from the documented table by a constant per generation and choice:
#   Claude 3 / 3.5: auto +0 (claude-3-haiku, claude-3-5-haiku and claude-3-5-sonnet-20240620
#     records exact on the documented 264 / 294: langchaingo, openllmetry, openinference),
#     forced +16 (28 claude-3-haiku `tool` records of magentic and sublayer at +17, two `any`
#     at +15-16, claude-3-opus `any` at +15, claude-3-5-sonnet `tool` at +17);
#   Sonnet 4: auto -32 (24 of 28 mirascope / pydantic-ai / activeagent records), forced +3
#     (pydantic-ai `any` x5; fantasy `tool` +4); mirascope's forced tool with
#     disable_parallel_tool_use true sits at -38 (18 records, one client): not modelled;
#   Sonnet 4.5 and Haiku 4.5: auto +150 (about 90 records of pydantic-ai, mirascope,
#     dd-trace-py, ruby_llm, chatlas, llm-anthropic, activeagent, nearly all exact), forced
#     +275 (16 `any` records at 275-276);
#   Sonnet 4.6: auto +151 (4 of 5 records: pydantic-ai, dd-trace-py, openinference);
#   Sonnet 5 (v4.8): auto +10 (activeagent, ellmer, 6 records), forced +163 (activeagent
#     test_agent_tool_choice_any).
# A forced `tool` choice adds the tool's name (rendered in the prompt's text, see
# normalize.anthropic_messages) and 3 more tokens than `any` (+1..+4 by generation).
_THINKING = 29
_ADAPTIVE = 17
# Structured outputs: the schema rendered as JSON indented by 2 spaces, plus 82 (measured
# 2026-12 on the 64 shared structured-output records outside claude-agent-sdk: residual
# 79-83 on nearly all of pydantic-ai, mirascope, ruby_llm, chatlas, activeagent,
# llm-anthropic, openinference, sd 4.5; compact JSON leaves 121-225, sd 28). The two
# claude-agent-sdk records sit 50-59 lower: not modelled.
_STRUCTURED = 82
TEXT_DOCUMENT = 37
"""A text document (``source.type`` text or content) beyond its text."""
_PER_TOOL = 4
# A tool_use block (rendered as its name and compact JSON input) with its tool_result costs
# 51 beyond their texts on every v3 generation up to Haiku 4.5: single-pair histories, 49-51
# on Claude 3 (magentic test_retry_chat_model, dd-trace-py tools_call_with_tool_result, 5
# records), 50-51 on 3.5 (2), 51-52 on Sonnet 4 (about 25: mirascope, fantasy, pydantic-ai),
# 52-53 on Sonnet 4.5 (13), 52 on Haiku 4.5 (25 of 65; chatlas' parameterless tools 39-41,
# ruby_llm's 65). Split between the call and the result. Parallel calls in one message
# cost about 30 more per extra call (Sonnet 4 mirascope test_call_with_tools #1, Haiku 4.5
# ruby_llm parallel_tool_calls): not modelled.
_USE = 25
_RESULT = 26
FORCED_TOOL_NAME = 3
"""A ``tool_choice`` of type ``tool`` costs its name's text plus this beyond ``any``."""

GENERATIONS: Final[tuple[Generation, ...]] = (
    # Tool pairs: about +36 on Claude 3 (facts section 3), split evenly between the call and
    # its result.
    Generation("3", ("claude-3-opus", "claude-3-sonnet", "claude-3-haiku"), CLAUDE_V3,
               frame=7, tools_forced=16, tool_definition=_PER_TOOL, tool_use=_USE,
               tool_result=_RESULT),
    Generation("3.5", ("claude-3-5",), CLAUDE_V3, frame=7, tools_forced=16,
               tool_definition=_PER_TOOL, tool_use=_USE, tool_result=_RESULT),
    Generation("3.7", ("claude-3-7",), CLAUDE_V3, frame=7, tools_forced=16,
               tool_definition=_PER_TOOL, tool_use=_USE, tool_result=_RESULT,
               thinking_enabled=_THINKING),
    Generation("4", ("claude-sonnet-4", "claude-opus-4"), CLAUDE_V3, frame=7,
               tools_auto=-32, tools_forced=3, tool_definition=_PER_TOOL, tool_use=_USE,
               tool_result=_RESULT, thinking_enabled=_THINKING,
               structured_output=_STRUCTURED),
    Generation("4.5", ("claude-sonnet-4-5", "claude-opus-4-5"), CLAUDE_V3, frame=7,
               tools_auto=150, tools_forced=275, tool_definition=_PER_TOOL, tool_use=_USE,
               tool_result=_RESULT, thinking_enabled=_THINKING,
               structured_output=_STRUCTURED),
    Generation("haiku-4.5", ("claude-haiku-4-5",), CLAUDE_V3, frame=7, tools_auto=150,
               tools_forced=275, tool_definition=_PER_TOOL, tool_use=_USE, tool_result=_RESULT,
               thinking_enabled=_THINKING, structured_output=_STRUCTURED),
    # Deferred tools loaded by a tool search's reference are not rendered on Sonnet 4.6:
    # pydantic-ai test_anthropic_deferred_capability_tool_callable_without_tool_search #1/#2,
    # its across_models[claude-sonnet-4-6] twin and test_anthropic_explicit_tool_search_
    # keeps_search_surface #1/#2 are 23-58 over with the loaded tool rendered, within 15
    # without; the same tests on Sonnet 4.5, Haiku 4.5, Fable 5 and Opus 5 need it.
    # No forced-choice records: 4.5's figure. Pairs: 65 alone (openinference
    # test_anthropic_instrumentation_tool_use_in_input, 2 records), 68-75 in pydantic-ai's
    # deferred-capability histories (5 records): 68 taken.
    Generation("4.6", ("claude-sonnet-4-6", "claude-opus-4-6"), CLAUDE_V3, frame=7,
               tools_auto=151, tools_forced=275, tool_definition=_PER_TOOL, tool_use=34,
               tool_result=34, renders_loaded_tools=False, thinking_enabled=_THINKING,
               thinking_adaptive=_ADAPTIVE, structured_output=_STRUCTURED),
    # Opus 4.7: frame 11 (ctok's v4.7 message overhead). Its three records are exact with a
    # task budget costing 35 and effort and adaptive thinking nothing: pydantic-ai
    # test_anthropic_task_budget_adds_output_config_and_beta #0 (53) and
    # test_anthropic_task_budget_coexists_with_effort #0 (54, effort high), and
    # test_anthropic_opus_47_features #0 (18: effort xhigh, adaptive thinking, no budget).
    # The tool figures are 4.6's, assumed (no records).
    Generation("4.7", ("claude-opus-4-7",), CLAUDE_V4_7, frame=11, tools_auto=151,
               tools_forced=275, tool_definition=_PER_TOOL, tool_use=34, tool_result=34,
               thinking_enabled=_THINKING, structured_output=_STRUCTURED, task_budget=35),
    # v4.8 (Opus 4.8, Sonnet 5, Fable 5, Opus 5): frame 6 on 14 of 14 plain records, system +1
    # on 17 of 24. Pairs: 35 (activeagent native_format_test
    # tool_choice_any / _specific / tools_with_streaming #1), 22-24 (ellmer anthropic-tool),
    # the facts file's fit +34: 35 taken. Adaptive thinking costs nothing here: 4 records
    # exact without it (pydantic-ai test_anthropic_opus_48_features #0 and _opus_5_features
    # #0, activeagent test_agent_extended_thinking #0, ruby_llm sonnet-5
    # returns_readable_thinking_with_display_summarized #0), 17 over with 4.6's figure.
    Generation("4.8", ("claude-opus-4-8", "claude-sonnet-5", "claude-fable-5",
                       "claude-opus-5", "claude-mythos-5"), CLAUDE_V4_8, frame=6, system=1,
               tools_auto=10, tools_forced=163, tool_definition=_PER_TOOL, tool_use=17,
               tool_result=18, thinking_enabled=_THINKING,
               structured_output=_STRUCTURED),
)

DEFAULT_GENERATION: Final = GENERATIONS[4]
"""Used for a Claude model no row names (claude-2.1, a new model): Sonnet 4.5's costs, the
commonest in the recordings; the catalogue reports such a model as unknown anyway."""


@dataclass(frozen=True, slots=True)
class ToolPrompt:
    """The documented tool-use system prompt of the models named ``prefix*``."""

    prefix: str
    auto: int
    """With ``tool_choice`` ``auto`` or ``none`` (or absent)."""
    forced: int
    """With ``tool_choice`` ``any`` or ``tool``."""


# "Tool use with Claude" -> Pricing (platform.claude.com/docs/en/agents-and-tools/tool-use/
# overview; facts file section 3, documented item 1), checked 2026-12. Added whenever `tools`
# is non-empty. Models the table does not list (Opus 4.8, Sonnet 5, Fable 5) take the current
# row, 346 / 313, which the v4.8 records fit as well as any (facts section 3).
TOOL_PROMPTS: Final[tuple[ToolPrompt, ...]] = (
    ToolPrompt("claude-3-opus", 530, 281),
    ToolPrompt("claude-3-sonnet", 159, 235),
    ToolPrompt("claude-3-haiku", 264, 340),
    ToolPrompt("claude-3-5-haiku", 264, 340),
    ToolPrompt("claude-3-5-sonnet-20240620", 294, 261),
    ToolPrompt("claude-3-5-sonnet", 346, 313),
    ToolPrompt("claude", 346, 313),
)


# Where a breakpoint's prefix ends (measured 2026-12 on the shared records whose usage shows
# a cache read or write, comparing the tokens counted after the last breakpoint's block with
# ``input_tokens``): the token that separates one turn from the next (the system prompt, each
# message, the reply) is cached with the turn it closes. With it counted in the frame that
# follows, the uncached tail was one token over on 36 records (those dated, 2025-12 on) of 7
# projects, 6 models (Sonnet 4 to 5, Haiku 4.5, Opus 4.8: both tokenizer families) and every
# shape; counted on the turn it closes, 36 tails are exact (19 before). The breakpoint on a
# system block (Future-House/ldp test_anthropic_cache_creation_cost_accuracy, Sonnet 4.5, 1,752
# written + 15 uncached; dd-trace-py anthropic_completion_cache_write_1h_ttl, Sonnet 4), on
# the last user message (ldp test_anthropic_incremental_cache_*, mirascope
# test_caching_multi_turn_conversation, dd-trace-js claude-agent-sdk, chatlas and ellmer
# documents on Sonnet 4.6 and Sonnet 5), on a mid-conversation system message (pydantic-ai
# test_inline_system_*, Opus 4.8) and under automatic caching (pydantic-ai
# test_anthropic_cache_real_api). The totals do not move. Older recordings split before the
# separator (openllmetry 2025-03, dd-apm-test-agent 2025-06, dd-trace-py 2025-07: 14 records
# whose tail was exact): the same dd-trace-py body on Sonnet 4 wrote 2,055 + 18 on 2025-07-03
# and 2,056 + 17 on 2026-03-10, so the API moved the boundary between those dates; the
# current split is modelled. A marked system block ending in a newline caches one token more
# still (mirascope test_caching_system_message, ruby_llm prompt_cache_round-trip: 6
# records): not modelled. Nor is a block appended to a cached message: ldp
# test_anthropic_incremental_cache_with_conversation #3 reads the entry #0 wrote, separator
# included, though the block #0 ended is no longer last in its message.
TURN_SEPARATOR: Final = 1
"""Tokens between two turns, cached with the turn before them."""


# System blocks the API reads as request metadata and leaves out of the prompt: neither
# counted nor cached. Checked 2026-12.
#   ``x-anthropic-billing-header:`` -- Claude Code (2.1.36 and later) and the claude-agent-sdk
#     send Claude Code's attribution line (``cc_version=...; cc_entrypoint=...; cch=...;``,
#     ``cch`` a hash that changes per request) as the first ``system`` block. Undocumented by
#     Anthropic; third parties report that the first-party API parses it out of ``system[0]``
#     (openclaude issue #607, infinigence/octollm PR #72) while prefix-caching gateways that
#     keep it never hit the cache (anthropics/claude-code issues #50085 and #68900, sglang PR
#     #29169). Measured: DataDog/dd-trace-js claude-agent-sdk cassettes (Sonnet 4.6 and Haiku
#     4.5, 12 records, anthropic-more.jsonl) read the prefixes written under another ``cch``
#     (claude-agent-sdk_v1_messages_beta_true_post_3111c30b #0, cch=aeff9, reads the 2,750
#     tokens _3da17772 #0, cch=0fec7, wrote; _3cc65b08 #0 the 1,057 of _d2998a83 #0;
#     _66f64b46 #0 the 3,068 of _3111c30b #0), and counted without the block 10 of the 12
#     come within 21 tokens of the recorded total (with it, 1 of 12).
#     Only a block holding the line alone, first in ``system``, is left out: Claude Code's
#     shape, the one measured.
METADATA_SYSTEM_PREFIXES: Final[tuple[str, ...]] = ("x-anthropic-billing-header:",)
"""Prefixes of a first ``system`` block the API takes as metadata, not prompt text."""


def is_metadata_system_block(text: str) -> bool:
    """Whether a first ``system`` block of ``text`` is request metadata the API leaves out
    of the prompt (see :data:`METADATA_SYSTEM_PREFIXES`): one line starting with a listed
    prefix."""
    line = text.strip()
    return "\n" not in line and line.startswith(METADATA_SYSTEM_PREFIXES)


@lru_cache(maxsize=256)  # asked once per request; a log names few models
def generation_of(model: str) -> Generation:
    """The generation whose costs apply to ``model`` (longest prefix wins)."""
    name = resolve_model(model)
    best: tuple[int, Generation] | None = None
    for row in GENERATIONS:
        for prefix in row.prefixes:
            if name.startswith(prefix) and (best is None or len(prefix) > best[0]):
                best = (len(prefix), row)
    return DEFAULT_GENERATION if best is None else best[1]


@lru_cache(maxsize=256)
def tool_prompt_tokens(model: str, choice: str) -> int:
    """The tool-use system prompt for ``model`` with ``tool_choice`` of type ``choice``
    (``auto``, ``none``, ``any``, ``tool``; '' when absent): the documented figure plus the
    generation's measured difference (a ``tool`` choice's name is counted apart)."""
    name = resolve_model(model)
    row = max((row for row in TOOL_PROMPTS if name.startswith(row.prefix)),
              key=lambda row: len(row.prefix), default=TOOL_PROMPTS[-1])
    generation = generation_of(model)
    if choice in ("any", "tool"):
        return (row.forced + generation.tools_forced
                + (FORCED_TOOL_NAME if choice == "tool" else 0))
    return row.auto + generation.tools_auto
