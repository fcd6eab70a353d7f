"""How sure a request's count is: the reasons it is an estimate, and the range it lies in.

A renderer marks a segment it cannot count exactly offline ``estimated`` and, where it knows
why, gives an :class:`~promptcache.model.Estimate` (reason, fewest and most tokens); the
helpers here make the common ones. A segment marked without one is described from its kind.
A model missing from the catalogue makes the whole count an estimate of unknown range: its
tokenizer and framing are OpenAI's current defaults, not known to be its own.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from promptcache.catalog import ImageScheme
from promptcache.model import Estimate, Segment, SegmentKind
from promptcache.tokens.counting import CountedRequest
from promptcache.tokens.images import image_token_range

FILE_ESTIMATE = Estimate("file input, not counted offline", 0, None)
"""A ``file`` part: its text and page images are billed by the provider; no bound offline."""
FILE_GUESS_TOKENS = 512
"""Best-effort cost of a file part that is not read offline (by id or URL, a spreadsheet or
another document) in either OpenAI API."""
PDF_ESTIMATE = Estimate("a PDF file: its text as extracted offline plus the API's measured "
                        "page cost", 0, None)
"""An inline one-page PDF in an OpenAI API (promptcache.tokens.openai_documents): the API's
text extraction is not ours (bounds: :data:`FITTED_ERRORS`)."""
PDF_PAGES_ESTIMATE = Estimate("a PDF file of several pages: page cost measured on one-page "
                              "files", 0, None)
"""An inline PDF of several pages in an OpenAI API: each page costed as a one-page file's."""
TEXT_FILE_ESTIMATE = Estimate("a text file: its text plus the per-file cost measured on PDFs",
                              0, None)
"""An inline text file in the Responses API: its text and a PDF's per-file cost."""
AUDIO_ESTIMATE = Estimate("audio input, not counted offline", 0, None)
"""An ``input_audio`` part whose duration is not read offline (WAV and MP3 are, see
:mod:`promptcache.tokens.audio`): 10 tokens a second, guessed from its size."""
UNVERIFIED_KEYWORDS_ESTIMATE = Estimate(
    "a tool schema keyword whose rendering is not established (format, pattern, minItems...)",
    0, None)
"""A tool whose schema uses a keyword no recorded usage shows the API's rendering of (see
:data:`promptcache.tokens.functions.ESTABLISHED_KEYWORDS`): counted without it, unbounded."""
UNKNOWN_MODEL = "a model not in the catalogue (counted with OpenAI's defaults)"
UNKNOWN_CLAUDE = ("a Claude model not in the catalogue (counted with the Claude 3 tokenizer "
                  "and Anthropic's cache rules)")

# Anthropic Messages. Anthropic publishes no tokenizer or template: every structural count is
# a reconstruction (promptcache.tokens.anthropic_framing). Renderings fitted on recorded usage
# carry a relative error, the bound of a segment's count scaled from the tokens counted for it
# (see FITTED_ERRORS); what the provider adds unseen has no upper bound.
NOT_ESTIMABLE_ESTIMATE = Estimate(
    "server tools, MCP or server-side context: not estimable offline, lower bound only", 0, None)
"""A server tool (web search, code execution...), an MCP server, a container, context
management, or their result blocks: the provider renders them from data the body lacks
(recorded totals run 5-20x the visible text, shared/anthropic-counting-facts.md TL;DR 6)."""
_SERVER_INPUT = "not estimable offline, lower bound only: "


def server_input_estimate(adds: str) -> Estimate:
    """A part of a request the server extends with ``adds`` (what it fetches, runs or renders
    from data the body lacks, named by :mod:`promptcache.tokens.anthropic_server_tools`): the
    count is the least it costs (see :func:`segment_estimate`), with no known most."""
    return Estimate(_SERVER_INPUT + adds, 0, None)


CONTEXT_CLEARING_ESTIMATE = Estimate(
    "context management clears it above its trigger: at most its count", 0, None)
"""A tool result (or call) a ``clear_tool_uses`` strategy clears once the input exceeds its
trigger (promptcache.tokens.anthropic_server_tools.tool_clearing): it costs between nothing
and its count, see :func:`segment_estimate`."""
DOCUMENTED_TOOL_ESTIMATE = Estimate("Claude Anthropic-defined tool: documented definition cost",
                                    0, None)
"""A client tool Anthropic defines (bash...) whose definition's cost a document gives."""
REMOTE_SOURCE_ESTIMATE = Estimate(
    "an image or document by URL or file id: not estimable offline, lower bound only", 0, None)
"""An Anthropic image or document the provider fetches (``url`` / ``file`` source), or a PDF
whose pages cannot be read offline."""


CITATIONS_ESTIMATE = Estimate("a Claude document with citations enabled: not modelled, lower "
                              "bound only", 0, None)
"""A document block with ``citations.enabled``: the API chunks it for citing, costing about
550 more on a short text document and 1,560 on a one-page PDF (crmne/ruby_llm cites_*, one
client), not modelled: its count without citations is a lower bound."""


def lower_bound(estimate: Estimate) -> bool:
    """Whether ``estimate`` is a part the provider sizes unseen: its count the least it
    costs, no most."""
    return (estimate in (NOT_ESTIMABLE_ESTIMATE, REMOTE_SOURCE_ESTIMATE, CITATIONS_ESTIMATE)
            or estimate.reason.startswith(_SERVER_INPUT))


TOOL_DEFINITION_ESTIMATE = Estimate("Claude tool definitions: rendering fitted on recorded "
                                    "usage", 0, None)
TOOL_CALL_ESTIMATE = Estimate("Claude tool_use / tool_result wrappers: fitted on recorded "
                              "usage", 0, None)
IMAGE_ESTIMATE = Estimate("Claude image: 28-px patches plus a measured per-image constant",
                          0, None)
DOCUMENT_ESTIMATE = Estimate("Claude document: its text, a PDF's pages as image and text", 0,
                             None)
THINKING_ESTIMATE = Estimate("Claude extended thinking: fitted constants and replayed blocks",
                             0, None)
STRUCTURED_OUTPUT_ESTIMATE = Estimate("Claude structured output: schema plus a fitted "
                                      "constant", 0, None)
FITTED_ERRORS: dict[str, float] = {
    # Margins around a fitted segment's own count, from the misses of the renderings of
    # promptcache.tokens.anthropic_framing on the shared recordings (measured 2026-12 with the
    # Claude v3/v4.7/v4.8 vocabularies; request-level error per shape, non-exotic: tools p90
    # 7%, p95 11%; structured p95 1.4%; thinking p95 5%; images and documents below).
    # Tool definitions: the prompt's difference is constant per generation and choice; the
    # misses are clients whose prompts differ (disable_parallel_tool_use, 40-200 tokens).
    TOOL_DEFINITION_ESTIMATE.reason: 0.25,
    # Calls and results: parallel calls in one message cost about 30 more per extra call,
    # parameterless calls about 12 less, on a pair of about 51 plus its text.
    TOOL_CALL_ESTIMATE.reason: 0.5,
    # Images with a known size (bench/anthropic_media.py): 27 of 28 alone in a message
    # within a token; in tool results up to 13 off (4%), a 2024-04 recording 70 (5%).
    IMAGE_ESTIMATE.reason: 0.06,
    # Documents: PDFs within 8 tokens of a page's cost (0.5%) but one Haiku 3.5 record 33
    # over (2%); a titled text document 10 over its 87 (11%).
    DOCUMENT_ESTIMATE.reason: 0.12,
    # Thinking: the +29 of thinking enabled is 28-30; kept blocks within 18 tokens.
    THINKING_ESTIMATE.reason: 0.15,
    # Structured output: schema + 82 within 4 on 62 of 64 records; claude-agent-sdk's 50-59
    # lower.
    STRUCTURED_OUTPUT_ESTIMATE.reason: 0.2,
    # A documented definition cost, unmeasured here: the tool definitions' margin (the one
    # documented figure the recordings test, computer use's, is 7% under them).
    DOCUMENTED_TOOL_ESTIMATE.reason: 0.25,
    # OpenAI inline files (promptcache.tokens.openai_documents). One-page PDFs recorded
    # since today's costs: within 3 tokens of 754 a file (0.4%: pypdf's text of ruby_llm's
    # sample PDF is not quite the API's) on 18 records of 3 projects; a tenth allows for
    # PDFs whose layout extracts less alike.
    PDF_ESTIMATE.reason: 0.1,
    # Several pages: the one recording (HumanSignal/Adala, 9 pages, 2025-05) billed 13% less
    # than its day's per-page cost made it.
    PDF_PAGES_ESTIMATE.reason: 0.25,
    # Text files: one undated record, exact with the 2025 per-file cost.
    TEXT_FILE_ESTIMATE.reason: 0.1,
}
"""Relative error of each fitted Anthropic rendering: a segment estimated for one of these
reasons costs between ``(1 - e)`` and ``(1 + e)`` times the tokens counted for it."""

"""The reason given for every request to a model the catalogue does not know."""

_BY_KIND = {
    SegmentKind.IMAGE: "an image promptcache cannot size",
    SegmentKind.TOOL: "a tool type promptcache cannot render (a built-in or custom tool)",
    SegmentKind.TOOLS_FRAME: "tool framing not verified for this model",
    SegmentKind.OTHER: "a content part promptcache cannot render exactly",
}
"""Reasons for segments marked estimated without an :class:`Estimate`."""
_UNVERIFIED = "a rendering not verified against recorded usage"


def partial_reason(missing: str) -> str:
    """The reason given for a request whose log lacks ``missing`` (a partial record)."""
    return f"partial record: {missing}"


def remote_image_estimate(scheme: ImageScheme, detail: str) -> Estimate:
    """An image whose size is unknown (a remote URL read offline), costed by ``scheme`` with
    ``detail`` (its bounds include the model's framing around every image)."""
    low, high = image_token_range(scheme, detail)
    return Estimate("a remote image of unknown size", low, high)


def segment_estimate(segment: Segment, tokens: int | None = None) -> Estimate:
    """The estimate of an ``estimated`` segment: its own, or one told from its kind with no
    bound. A fitted rendering (see :data:`FITTED_ERRORS`) counted at ``tokens`` gets bounds
    scaled from that count."""
    estimate = segment.estimate
    if estimate is None:
        return Estimate(_BY_KIND.get(segment.kind, _UNVERIFIED), 0, None)
    if estimate.reason == CONTEXT_CLEARING_ESTIMATE.reason and tokens is not None:
        return Estimate(estimate.reason, 0, tokens)
    if estimate.reason.startswith(_SERVER_INPUT) and tokens is not None:
        # What the body shows of it (a tool's name, a priced definition, readable fields)
        # is the least it costs.
        return Estimate(estimate.reason, tokens, None)
    error = FITTED_ERRORS.get(estimate.reason)
    if error is None or tokens is None:
        return estimate
    return Estimate(estimate.reason, math.floor(tokens * (1 - error)),
                    math.ceil(tokens * (1 + error)))


@dataclass(frozen=True, slots=True)
class Certainty:
    """How sure one request's count is."""

    reasons: tuple[str, ...]
    """Why it is an estimate, each reason once, in prompt order; () for an exact count."""
    low: int | None
    """The fewest prompt tokens the request can cost; None when unbounded (unknown model)."""
    high: int | None
    """The most; None when there is no known upper bound."""

    @property
    def exact(self) -> bool:
        """True when nothing in the count is an estimate."""
        return not self.reasons


def certainty(counted: CountedRequest) -> Certainty:
    """The reasons and bounds of ``counted``'s count."""
    return _certainty(counted.prompt_tokens, _estimated_parts(counted))


def described(counted: CountedRequest
              ) -> tuple[Certainty, tuple[tuple[str, Estimate | None], ...]]:
    """``counted``'s certainty, and (reason, estimate) of each of its estimated parts: what
    :meth:`EstimateTally.record` tallies."""
    parts = _estimated_parts(counted)  # found once: most requests have none
    return (_certainty(counted.prompt_tokens, parts),
            tuple((reason, estimate) for reason, estimate, _ in parts))


def _certainty(total: int, parts: list[tuple[str, Estimate | None, int]]) -> Certainty:
    """The reasons and bounds of a count of ``total`` tokens with estimated ``parts``."""
    if not parts:
        return Certainty((), total, total)
    reasons: dict[str, None] = {}
    low: int | None = total
    high: int | None = total
    for reason, estimate, tokens in parts:
        reasons[reason] = None
        if estimate is None:
            low = high = None
            continue
        if low is not None:
            low += estimate.low - tokens
        if high is not None:
            high = None if estimate.high is None else high + estimate.high - tokens
    return Certainty(tuple(reasons), None if low is None else max(low, 0), high)


def _estimated_parts(counted: CountedRequest) -> list[tuple[str, Estimate | None, int]]:
    """(reason, estimate, tokens counted) for each estimated part of ``counted``, the model
    first when the catalogue does not know it (an estimate of no known range: None)."""
    known = counted.facts.known
    request = counted.request
    if known and not request.partial and not request.estimated:
        return []
    found: list[tuple[str, Estimate | None, int]] = []
    if not known:
        reason = UNKNOWN_CLAUDE if counted.facts.provider == "anthropic" else UNKNOWN_MODEL
        found.append((reason, None, counted.prompt_tokens))
    for missing in request.partial:
        # What the log did not keep adds tokens not counted: the count is the least the
        # request cost, with no known most.
        reason = partial_reason(missing)
        found.append((reason, Estimate(reason, 0, None), 0))
    for segment, tokens in zip(counted.request.segments, counted.segment_tokens, strict=True):
        if segment.estimated:
            estimate = segment_estimate(segment, tokens)
            found.append((estimate.reason, estimate, tokens))
    return found


@dataclass(frozen=True, slots=True)
class EstimateGroup:
    """The requests estimated for one reason."""

    reason: str
    """The reason, as :class:`promptcache.model.Estimate` gives it."""
    requests: int
    """Requests with at least one part estimated for it."""
    low: int | None
    """The fewest tokens one such part costs, over all of them (None: unbounded)."""
    high: int | None
    """The most one such part costs (None: no known upper bound)."""


@dataclass(slots=True)
class _Group:
    low: int | None
    """The fewest tokens a part costs so far (None: unbounded)."""
    high: int | None
    """The most (None: no known upper bound)."""
    requests: int = 0

    @classmethod
    def of(cls, estimate: Estimate | None) -> _Group:
        return cls(None, None) if estimate is None else cls(estimate.low, estimate.high)

    def widen(self, estimate: Estimate | None) -> None:
        if estimate is None:
            self.low = self.high = None
            return
        if self.low is not None:
            self.low = min(self.low, estimate.low)
        if self.high is not None:
            self.high = None if estimate.high is None else max(self.high, estimate.high)


class EstimateTally:
    """Requests per reason, and the range one part estimated for it costs, over a log."""

    def __init__(self) -> None:
        self._groups: dict[str, _Group] = {}

    def add(self, counted: CountedRequest) -> Certainty:
        """Describe ``counted`` and count it in its reasons' groups."""
        found, parts = described(counted)
        self.record(parts, found.reasons)
        return found

    def record(self, parts: Sequence[tuple[str, Estimate | None]],
               reasons: Sequence[str]) -> None:
        """Count a request described by :func:`described` (its estimated parts and its
        certainty's reasons) in its reasons' groups."""
        groups = self._groups
        for reason, estimate in parts:
            group = groups.get(reason)
            if group is None:
                groups[reason] = _Group.of(estimate)
            else:
                group.widen(estimate)
        for reason in reasons:
            groups[reason].requests += 1

    def note(self, estimate: Estimate) -> None:
        """Count one more request in the group of ``estimate``'s reason, for a reason found
        beside its parts (a count anchored on recorded usage: see promptcache.anchoring)."""
        group = self._groups.get(estimate.reason)
        if group is None:
            group = self._groups[estimate.reason] = _Group.of(estimate)
        else:
            group.widen(estimate)
        group.requests += 1

    def result(self) -> tuple[EstimateGroup, ...]:
        """The groups, most requests first, then by reason."""
        groups = [EstimateGroup(reason, group.requests, group.low, group.high)
                  for reason, group in self._groups.items()]
        return tuple(sorted(groups, key=lambda group: (-group.requests, group.reason)))
