"""Where each API puts a ``json_schema`` response format, per model family, and what it costs.

The section's text is :func:`promptcache.tokens.functions.render_response_format`; this table
says which message it goes in and what it costs beyond that text. Rows are keyed by API
(``chat``: Chat Completions ``response_format``, ``responses``: the Responses API's
``text.format``) and prompt format (``chatml``: gpt-4o/gpt-4.1/gpt-4.5, ``harmony``: o-series
and gpt-5*, ``cl100k``: gpt-4/gpt-3.5-turbo; see the chat normalizer's ``_format_for``).

In every row the section comes ahead of the messages (OpenAI's structured-outputs guide: the
schema is put before the system message), after the tools block when there is one: changing
the schema therefore changes the prompt from that point on, system message included.

The constants are measured on the shared recordings (shared/data, ``meta.source`` cited per
row; several projects each). Recorded requests they leave unexplained (kept out, not
fitted):

* Responses gpt-4o, minLength/format/minimum in a strict schema (activeagent
  docs/actions/structured_output/generated_schema#0): the API bills 12 fewer than the section
  with those keywords printed, 1 more than without them.
* Responses gpt-4o-mini, strict unset, March 2025 (llm-openai-plugin
  test_async_model_schema#0): 18 more than the rule; the oldest recording of the set.
* Mirascope test_structured_output_with_tools (gpt-4o, both APIs, json_schema and json_object
  alike): 4 more, with the same tool in every record; Mirascope's other tools with property
  titles miss by 2 to 4 too: the tool's rendering, not the schema's.
``json_object`` adds nothing in either API, so it has no row: exact without any addition on
20 gpt-4o-family chat records (ldp, Mirascope, activeagent, elastic-otel, pydantic-ai) and 23
Responses records (Mirascope, activeagent, pydantic-ai; ruby_llm and activeagent gpt-5-nano).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

__all__ = [
    "AFTER_TOOLS",
    "ALONE",
    "FORMAT_HEADER_KEY",
    "IN_SYSTEM",
    "SchemaPlacement",
    "schema_placement",
]

Case = Literal["alone", "in_system", "after_tools"]
ALONE: Final[Case] = "alone"
"""No tools and no leading system/developer message: the section opens the prompt."""
IN_SYSTEM: Final[Case] = "in_system"
"""No tools; the caller sent a leading system/developer message (which the section joins
where :attr:`SchemaPlacement.joins_system` says so)."""
AFTER_TOOLS: Final[Case] = "after_tools"
"""In the tools block's message, after the block and a blank line."""
FORMAT_HEADER_KEY: Final = "response_format"
"""``key`` of an assistant message frame whose text is the response format's name (see
:attr:`SchemaPlacement.reply_header`): the header follows the setting, not the answer, so
a comparison of contents looks past it."""


@dataclass(frozen=True, slots=True)
class SchemaPlacement:
    """How one API x model family places the structured-output section (tokens)."""

    alone: int
    """Beyond the section's text when it stands alone (a message frame, or a join)."""
    joins_system: bool
    """Without tools, the section is appended to a leading system/developer message (whose
    text then ends in a blank line), costing nothing beyond its text; otherwise it stands
    alone whether or not the caller sent a system message."""
    after_tools: int
    """Beyond "\\n\\n" + the section's text when it follows the tools block."""
    reply_header: int | None
    """Without tools, every assistant turn's header (the reply's, and each earlier answer's in
    the history) carries this many tokens more while the format is set. None: nothing."""
    reply_names_format: bool
    """The header also holds the format's name (tokenized alone)."""
    unverified: frozenset[Case]
    """Cases no recorded request checks: their counts are marked estimated."""


_ALL: Final[frozenset[Case]] = frozenset({ALONE, IN_SYSTEM, AFTER_TOOLS})

_PLACEMENTS: Final[dict[tuple[str, str], SchemaPlacement]] = {
    # gpt-4o family, Chat Completions. Alone: a system message of its own (frame 4). With the
    # caller's system message: merged into it, no frame. After tools: "\n\n" + text, nothing
    # more (pydantic-ai test_openai_native_output#0, _multiple#0, strict false and unset).
    # Without tools the API bills 2 + tokens(name) more, whatever the strictness and the
    # placement: 19 distinct requests, 8 projects, names of 1 to 5 tokens (3..7 extra):
    # Mirascope test_structured_output_resume/openai_gpt_4o_completions#0 ("int", 3),
    # fantasy TestOpenAIObjectGeneration/openai-gpt-4o/simple_object#0 ("Person", 3),
    # dd-trace-py chat_completion_parse#0 ("MathResponse", 4), langchaingo
    # TestStructuredOutputObjectSchema#0 ("math_schema", 4), ldp test_output_schema
    # ("DummyOutputSchema", 5), activeagent test_agent_structured_output#0
    # ("research_paper_extraction", 7), openllmetry test_chat_response_format (strict unset,
    # "Joke", 4). " to=" + name does not fit ("int" merges into "=int"); the name tokenized
    # alone plus 2 does, as a reply header addressed to the format would. With tools the
    # reply may be a tool call and no such header is billed (the pydantic-ai records).
    ("chat", "chatml"): SchemaPlacement(alone=4, joins_system=True, after_tools=0,
                                        reply_header=2, reply_names_format=True,
                                        unverified=frozenset()),
    # Reasoning models, Chat Completions: the section costs its text plus 4, no name:
    # fantasy TestOpenAIObjectGeneration/openai-gpt-5/simple_object#0 and complex_object#0
    # (and their streaming twins), chatlas test_data_extraction#0 (gpt-5.4). The 4 are a
    # header on every assistant turn, not a message frame of the section's own: the earlier
    # structured answers of chatlas test_data_extraction#1 (one) and #2 (two) cost 4 more
    # each, beyond the 2 every harmony assistant message costs (as the structured reply of
    # harmony's format differs from a plain one by its constrained content type). The
    # section then costs its text alone, as in the Responses API. No recorded request has a
    # schema with tools or a system message on these models: unverified.
    ("chat", "harmony"): SchemaPlacement(alone=0, joins_system=False, after_tools=0,
                                         reply_header=4, reply_names_format=False,
                                         unverified=frozenset({IN_SYSTEM, AFTER_TOOLS})),
    # gpt-4 / gpt-3.5-turbo: no recorded json_schema request; assumed as gpt-4o.
    ("chat", "cl100k"): SchemaPlacement(alone=4, joins_system=True, after_tools=0,
                                        reply_header=2, reply_names_format=True,
                                        unverified=_ALL),
    # Responses bills the section alone at its text plus 1 on gpt-4o models, plus 0 on
    # reasoning models, with or without instructions; after tools, at "\n\n" + its text.
    # gpt-4o family: with or without instructions or a system input item, strict true, false
    # or unset, no name header, not even on earlier answers: 40 records, 18 distinct formats,
    # 8 projects (dd-trace-js openai_responses_post_233e177b and its strict/unset siblings,
    # dd-trace-py v1/response_parse#0, Mirascope test_structured_output/openai_gpt_4o_responses
    # and test_structured_output_resume/strict/openai_gpt_4o_responses#1 (an answer in the
    # history), activeagent docs/actions/structured_output/inline_schema#0, fantasy
    # TestOpenAIResponsesObjectGeneration complex_object#0, langsmith-sdk
    # test_openai_test_responses_async_api#4, openllmetry test_responses_parse#0,
    # openllmetry-js generateObject). After tools: pydantic-ai
    # test_openai_responses/test_native_output#0 and test_native_output_multiple#0.
    ("responses", "chatml"): SchemaPlacement(alone=1, joins_system=False, after_tools=0,
                                             reply_header=None, reply_names_format=False,
                                             unverified=frozenset()),
    # Reasoning models: 52 records, 21 distinct formats, 6 projects (ellmer and chatlas
    # structured_data on gpt-5.4/5.4-nano/5.6, ruby_llm and activeagent gpt-5-nano, fantasy
    # gpt-5 simple_object, pydantic-ai gpt-5.4-mini), with and without instructions.
    # After tools the section costs one token less than "\n\n" + its text: every recorded
    # case, posit-dev/chatlas test_parallel_chat_structured_tool_ordering#0..#5 and
    # test_parallel_chat_structured_with_tools#0..#3 (gpt-5.4, 10 records, first turns and
    # turns with a call pair alike), is exactly 1 over at 0; the same structured_data schema
    # without tools (chatlas test_data_extraction#0..#3) is exact at `alone`, so the token
    # belongs to the placement. No second project records a schema beside tools on these
    # models, so the case stays marked estimated until one does.
    ("responses", "harmony"): SchemaPlacement(alone=0, joins_system=False, after_tools=-1,
                                              reply_header=None, reply_names_format=False,
                                              unverified=frozenset({AFTER_TOOLS})),
    ("responses", "cl100k"): SchemaPlacement(alone=1, joins_system=False, after_tools=0,
                                             reply_header=None, reply_names_format=False,
                                             unverified=_ALL),
}
# The o-series frame messages as gpt-5 does (their tools block differs, see
# normalize/openai_chat.py): their schemas are placed by the same rows. fantasy
# TestOpenAIObjectGeneration/openai-o4-mini/simple_object and complex_object (and their
# streaming twins, 4 chat records) are exact under the chat row, 3 over under gpt-4o's.
_PLACEMENTS[("chat", "harmony-o")] = _PLACEMENTS[("chat", "harmony")]
_PLACEMENTS[("responses", "harmony-o")] = _PLACEMENTS[("responses", "harmony")]


def schema_placement(api: str, prompt_format: str) -> SchemaPlacement:
    """The row for ``api`` (``chat`` or ``responses``) and a prompt format name; an unknown
    format takes the gpt-4o row with every case unverified."""
    row = _PLACEMENTS.get((api, prompt_format))
    if row is not None:
        return row
    base = _PLACEMENTS[(api, "chatml")]
    return SchemaPlacement(base.alone, base.joins_system, base.after_tools, base.reply_header,
                           base.reply_names_format, _ALL)
