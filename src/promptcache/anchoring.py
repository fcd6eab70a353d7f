"""Anchor estimated counts on recorded usage: a log with usage is the best tokenizer there is.

A stage between counting and the rules: where a request's count is an estimate (Claude's
tools, images, documents, whose renderings are fitted reconstructions; any request with a part
the counter cannot size), the usage its log recorded is the truth for that request, and a
later turn that cleanly appends to it costs that usage plus what the new turn adds, counted
from the body. Measured on the shared recordings by ``bench/anchoring.py`` (2026-12), the next
turn's total without its own usage, on the 225 append-only pairs without server tools: within
3% 77% -> 84%, median error 0.6% -> 0.1%; on all 338 consecutive same-model pairs: 68% -> 80%
(``shared/anthropic-counting-facts.md`` section 4 found 41% -> 65% with its own counter).

Counts the body gives exactly (OpenAI's, with every part rendered) are left as they are: the
same object is handed on, so their reports do not change by a byte. The body-only count of an
anchored request stays on it (:class:`promptcache.tokens.counting.Anchoring`): the calibration table
and ``bench/accuracy.py`` judge the estimate from the bodies, not this stage.

Where the correction goes decides where the breakpoints fall (the replay positions cache
entries by the tokens before each block), so it is placed where the estimate's error is:

- an earlier turn's anchored tokens are taken as they are for the segments both requests
  share, so a prefix cached by that turn has the same length in this one (what the provider
  reads back is what it wrote);
- where the usage shows a cache read or write, it also says where the last breakpoint lies
  (what was read and written is the prompt through that block): the prompt through it and
  what follows are corrected apart, each to its own figure, so the replay's entries have the
  provider's lengths (``bench/anchoring.py``: cache reads predicted to the token 45 -> 55 of
  the 104 recorded calls with caching, writes 28 -> 51);
- a turn that shares only a leading run with the anchored one (it edits its last message,
  drops the oldest ones, changes a tool) takes that run's anchored tokens and counts the rest
  from its body. What the earlier turn's correction put after the run goes with it where it
  sat on estimated segments (it was their error, and they are gone), but carries over where
  it sat on segments counted exactly or on the reply priming: there it was no error of that
  text but something the provider adds unseen after the run (the tail after a cache
  breakpoint, the priming's size), which the new turn pays too (Mirascope's
  ``test_caching_tool`` cassettes: 4,602 tokens written through the tool definitions, 147
  after them where the body counts 10, and 4 more on the next turn's 4-token longer
  question; Future-House/ldp's ``TestCachedTokenCosts``: a reply priming a token short,
  again on the edited turn). Measured by ``bench/anchoring.py`` (2026-12) on the 73
  consecutive same-model pairs of the shared recordings that do not append: within 3%
  77% -> 86% (within 1% 67% -> 73%, median error 0.2% -> 0.0%), on the 32 of them whose
  shared run moves a count 56% -> 78%; without the carried part, 86% and 68% within 1%;
- a request's own usage corrects only the part no earlier turn anchored, spread over the
  segments counted by estimate there, in proportion to their counts: the estimate misses
  mostly in tool definitions and tool_use / tool_result wrappers (facts file section 2:
  "Where the best method misses, the cause is almost always tools, not text"; section 4: "The
  remaining error is almost all in the delta's tool_use/tool_result wrappers and in the server
  tools"), and each fitted rendering's margin is relative to its own count
  (:data:`promptcache.estimates.FITTED_ERRORS`). With no such segment there, the correction
  is spread over that part's segments alike;
- the reply priming, which closes every prompt and is not resent by the next turn, takes
  none (a correction there would be lost from the next turn's anchor), unless the usage says
  the tail after the last breakpoint is that size: then the next turn, which counts its own
  priming, is the last usage plus the counted delta less that tail's correction.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping, Sequence
from typing import NamedTuple

from promptcache.estimates import segment_estimate
from promptcache.model import Segment, SegmentKind
from promptcache.tokens.counting import Anchoring, CountedRequest
from promptcache.tokens.prefix import first_divergence

OWN_USAGE = ("anchored on the request's recorded usage (range: the change to the body "
             "estimate)")
"""The reason of a request whose total is its own recorded usage."""
EARLIER_USAGE = ("anchored on an earlier turn's recorded usage plus the counted delta (range: "
                 "the change to the body estimate)")
"""The reason of a request that cleanly appends to an anchored turn, without usage of its
own."""
SHARED_USAGE = ("anchored on an earlier turn's recorded usage for the leading segments it "
                "shares, the rest counted from the body (range: the change to the body "
                "estimate)")
"""The reason of a request that shares only a leading run of segments with an anchored turn
(an edited or dropped message, a changed tool), without usage of its own."""
LANES = 4096
"""Lanes remembered at once; the least recently used is forgotten first."""
_UNPRICED_SETTINGS = frozenset({"cache_control"})
"""Settings that change no token of the prompt: a turn that only moves the automatic
breakpoint still appends cleanly."""


def anchorable(counted: CountedRequest) -> bool:
    """Whether the body leaves ``counted``'s count uncertain (an estimated part, a part the
    log did not keep, a model the catalogue does not know): only those are anchored."""
    request = counted.request
    return request.estimated or bool(request.partial) or not counted.facts.known


class Anchorer:
    """Anchors each request on usage recorded for it or for the turn it extends.

    Requests come in log order with their lane (a session: see
    :class:`promptcache.sessions.SessionTracker`); per model and lane the latest anchored
    request is kept, the one the next turn may extend.
    """

    def __init__(self, lanes: int = LANES) -> None:
        self._latest: OrderedDict[str, CountedRequest] = OrderedDict()
        self._lanes = lanes

    def anchor(self, counted: CountedRequest, lane: str) -> CountedRequest:
        """``counted`` anchored on recorded usage, or ``counted`` itself when no usage
        bears on it (or its body gives it exactly)."""
        if not anchorable(counted):
            return counted
        key = f"{counted.request.model}\x00{lane}"
        anchored = anchor_on(self._latest.get(key), counted)
        if anchored is None:
            # Not anchored: it is now the lane's latest turn, and the next one extends it.
            self._latest.pop(key, None)
            return counted
        self._latest[key] = anchored
        self._latest.move_to_end(key)
        if len(self._latest) > self._lanes:
            self._latest.popitem(last=False)
        return anchored


def anchor_on(previous: CountedRequest | None, counted: CountedRequest,
              ) -> CountedRequest | None:
    """``counted`` anchored on its own recorded usage and on ``previous`` (the anchored
    latest turn of its lane) when it appends to it or shares a leading run of segments with
    it; None when none of these applies."""
    tokens = list(counted.segment_tokens)
    reason = ""
    start = known = 0
    if previous is not None:
        appended = appended_at(previous, counted)
        shared = shared_run(previous, counted) if appended is None else appended
        if appended is not None:
            tokens[:shared] = previous.segment_tokens[:shared]
            start, reason = shared, EARLIER_USAGE
            known = fixed_by_usage(previous, shared)
        elif shared:
            tokens[:shared] = previous.segment_tokens[:shared]
            # Only on what follows the run, which stays as anchored; what this part cannot
            # give (nothing goes below zero) is left out.
            spread_correction(counted, tokens, shared, carried_correction(previous, shared),
                              stop=len(tokens))
            if tokens != list(counted.segment_tokens):
                # Anchored only where that moves a count: the shared run's estimated
                # segments keep their margins (below), so an unmoved count gains nothing.
                # How an earlier total split over a shared run was a guess: its estimated
                # segments keep their margins (known stays 0).
                start, reason = shared, SHARED_USAGE
    observed = counted.request.observed
    if observed is not None:
        cut = _cached_through(counted)
        if cut is None or not _split_correction(counted, tokens, start, cut):
            spread_correction(counted, tokens, start, observed.prompt_tokens - sum(tokens))
        reason = OWN_USAGE
    if not reason:
        return None
    return CountedRequest(counted.request, counted.facts, tuple(tokens), sum(tokens),
                          counted.image_indexes,
                          Anchoring(reason, counted.segment_tokens, counted.prompt_tokens,
                                    start if reason == OWN_USAGE else known))


def anchored_bounds(counted: CountedRequest) -> tuple[int | None, int | None]:
    """The fewest and most tokens an anchored request can cost: its own usage exactly, else
    the earlier usage (exact for the segments it fixed) plus the new segments' estimates
    with their margins (see promptcache.estimates); (None, None) when not anchored."""
    anchoring = counted.anchoring
    if anchoring is None:
        return None, None
    total = counted.prompt_tokens
    if anchoring.reason == OWN_USAGE:
        return total, total
    if not counted.facts.known:
        return None, None  # the new segments' tokenizer is not known
    low: int | None = total
    high: int | None = total
    if counted.request.partial:
        high = None  # what the log did not keep adds tokens, with no known most
    segments = counted.request.segments
    for index in range(anchoring.known, len(segments)):
        segment = segments[index]
        if not segment.estimated:
            continue
        tokens = counted.segment_tokens[index]
        estimate = segment_estimate(segment, tokens)
        low = None if low is None else low + estimate.low - tokens
        high = None if high is None or estimate.high is None else high + estimate.high - tokens
    return None if low is None else max(low, 0), high


def appended_at(previous: CountedRequest, counted: CountedRequest) -> int | None:
    """How many leading segments ``counted`` shares with ``previous`` when it is a clean
    append to it (every segment of ``previous`` but its closing reply priming, unchanged and
    in place, and the same settings), else None."""
    before = previous.request.segments
    end = _resent(before)
    after = counted.request.segments
    if len(after) < end or first_divergence(before[:end], after[:end]) is not None:
        return None
    if _priced(previous.request.settings) != _priced(counted.request.settings):
        return None
    return end


def shared_run(previous: CountedRequest, counted: CountedRequest) -> int:
    """How many leading segments ``counted`` shares with ``previous`` (its closing reply
    priming aside), or 0 when a priced setting differs: ``tool_choice`` or ``thinking``
    change what the provider adds unseen (the tool-use system prompt is by ``tool_choice``,
    ``shared/anthropic-counting-facts.md`` section 3), which the earlier correction holds."""
    if _priced(previous.request.settings) != _priced(counted.request.settings):
        return 0
    before = previous.request.segments
    end = _resent(before)
    after = counted.request.segments
    divergence = first_divergence(before[:end], after)
    return min(end, len(after)) if divergence is None else divergence


def fixed_by_usage(previous: CountedRequest, appended: int) -> int:
    """How many leading segments of a turn appending to ``previous`` at ``appended`` recorded
    usage fixes: all of them when it was ``previous``'s own; else only what fixed
    ``previous``'s (its new segments were estimates, and stay so in the turns after it)."""
    anchoring = previous.anchoring
    if anchoring is None:
        return 0
    return appended if anchoring.reason == OWN_USAGE else min(anchoring.known, appended)


def carried_correction(previous: CountedRequest, shared: int) -> int:
    """What anchoring moved onto ``previous``'s segments after its first ``shared`` that are
    counted exactly (its reply priming among them): no error of their text, so something
    the provider adds unseen there, which a turn sharing the run pays too (see the module's
    docstring). 0 when ``previous`` is not anchored."""
    anchoring = previous.anchoring
    if anchoring is None:
        return 0
    segments = previous.request.segments
    return sum(previous.segment_tokens[index] - anchoring.body_segment_tokens[index]
               for index in range(shared, len(segments)) if not segments[index].estimated)


def _resent(segments: Sequence[Segment]) -> int:
    """How many leading ``segments`` the next turn resends: all but the closing reply
    priming."""
    end = len(segments)
    while end and segments[end - 1].kind is SegmentKind.REPLY_PRIMING:
        end -= 1
    return end


def _priced(settings: Mapping[str, str]) -> dict[str, str]:
    return {name: value for name, value in settings.items() if name not in _UNPRICED_SETTINGS}


def _cached_through(counted: CountedRequest) -> int | None:
    """The index of the block the request's cache read and write ended with, when its usage
    shows either: a write runs to the last breakpoint, and a read that writes nothing
    reached it (see promptcache.cache.anthropic), so what was read and written is the prompt
    through that block, by the provider's own count."""
    observed = counted.request.observed
    if observed is None or not (observed.cached_tokens or observed.written_tokens):
        return None
    segments = counted.request.segments
    return next((index for index in range(len(segments) - 1, -1, -1)
                 if segments[index].breakpoint), None)


def _split_correction(counted: CountedRequest, tokens: list[int], start: int,
                      cut: int) -> bool:
    """Correct the prompt through block ``cut`` to what the usage says was read and written,
    and what follows to the rest of the usage (the breakpoint then lies where the provider
    put it); False, changing nothing, when the counts from ``start`` cannot take it."""
    observed = counted.request.observed
    if observed is None or cut < start:
        return False
    cached = observed.cached_tokens + (observed.written_tokens or 0)
    head = cached - sum(tokens[:cut + 1])
    tail = observed.prompt_tokens - cached - sum(tokens[cut + 1:])
    if (head < -sum(tokens[start:cut + 1]) or tail < -sum(tokens[cut + 1:])
            or (tail and cut + 1 == len(tokens))):
        return False
    spread_correction(counted, tokens, start, head, stop=cut + 1)
    spread_correction(counted, tokens, cut + 1, tail, stop=len(tokens))
    return True


def spread_correction(counted: CountedRequest, tokens: list[int], start: int,
                      correction: int, stop: int | None = None) -> None:
    """Add ``correction`` to ``tokens`` (parallel to ``counted``'s segments) from ``start``
    on (up to ``stop``: then only there), where the estimate's error lies (see the module's
    docstring); a segment never goes below zero, what it cannot give is taken from the next
    candidates."""
    segments = counted.request.segments
    end = len(segments) if stop is None else stop
    part = [index for index in range(start, end)
            if segments[index].kind is not SegmentKind.REPLY_PRIMING]
    whole = [index for index in range(len(segments))
             if segments[index].kind is not SegmentKind.REPLY_PRIMING]
    candidates = (
        [index for index in part if segments[index].estimated],
        part,
        list(range(start, end)),
    ) if stop is not None else (
        [index for index in part if segments[index].estimated],
        part,
        # Nothing new since the anchored turn (a resend): the drift is anywhere.
        [index for index in whole if segments[index].estimated],
        whole,
        list(range(len(segments))),
    )
    for indexes in candidates:
        if not correction:
            return
        correction = _allocate(tokens, indexes, correction)


class _Share(NamedTuple):
    segment: int
    weight: int


def _allocate(tokens: list[int], indexes: Sequence[int], amount: int) -> int:
    """Spread ``amount`` over ``tokens[indexes]`` in proportion to each one's tokens (plus one,
    so an empty segment can take some), none below zero; returns what could not be placed."""
    while amount:
        shares = [_Share(index, tokens[index] + 1) for index in indexes
                  if amount > 0 or tokens[index] > 0]
        if not shares:
            return amount
        total = sum(share.weight for share in shares)
        parts = [amount * share.weight // total for share in shares]
        # Largest remainders take the units the floors left over, so the parts sum exactly.
        left = amount - sum(parts)
        by_remainder = sorted(range(len(shares)), reverse=True,
                              key=lambda at: (amount * shares[at].weight) % total)
        for at in by_remainder[:left]:
            parts[at] += 1
        for share, part in zip(shares, parts, strict=True):
            given = max(part, -tokens[share.segment])
            tokens[share.segment] += given
            amount -= given
    return 0
