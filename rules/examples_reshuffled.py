"""examples-reshuffled (PC107): the same messages or content blocks arrive in another order.

## What it detects
A request of a stream whose messages (or content blocks of a message), from the first
difference with an earlier request on, are exactly that request's in another order: the same
few-shot examples, retrieved documents or reference snippets, shuffled, with more of the
prompt after them. The earliest such request (of those long enough to be cached) sets the
order compared against (the order a fix converges on). The finding names where the orders
first differ and how many tokens the reshuffle keeps out of the cache.

## Why it breaks the cache
The cache holds an exact prefix. Swapping two examples makes the prompt differ from the first
swapped one on: that example, every example after it and everything that follows (the
instructions, the question) miss the cache, although the request holds nothing new. Examples
drawn with `random.shuffle` or `random.sample`, documents ranked by a score that ties, sets
and dicts iterated in hash order all do this.

## Example
```json
[{"role": "system", "content": "<instructions>"},
 {"role": "user", "content": "Example: <review A> -> positive"},
 {"role": "user", "content": "Example: <review B> -> negative"},
 {"role": "user", "content": "Classify: <review>"}]
```
and the next request sends example B before example A: from example A on, nothing is cached.

## Use instead
Put examples and documents in one fixed order (sorted by an id, or as written in the prompt
file), chosen once, not per request. If the selection must vary, keep a stable core first and
put the varying part after it.

## Will not fire on
- Requests whose messages differ in content, not only in order (a different example set:
  volatile-before-stable, PC106, may report that).
- A reshuffle at the very end of the prompt, with nothing after it.
- Tools in another order (tool-order, PC201) or images in another order.
- A later turn of a session's conversation that reorders its history: history-rewritten
  (PC109) reports that.
- The same order every time.
- Prompts below the model's minimum cacheable length (1,024 tokens for OpenAI): in the earlier
  order the request still could not be served from the cache, so the order costs nothing
  yet. An earlier request below the minimum never left a cache entry, so it does not set the
  order either; the earliest one at or above the minimum does.

## Options
None.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator, Sequence

from promptcache.engine.findings import Hit, Repair, Severity
from promptcache.engine.rule_api import Context, Group, Rule
from promptcache.model import Segment, SegmentKind
from promptcache.rules._conversation import (
    SegmentKey,
    continues_conversation,
    in_session,
    segment_key,
)
from promptcache.snippets import excerpt
from promptcache.tokens.counting import CountedRequest
from promptcache.tokens.prefix import same_content

_OUTSIDE = frozenset({SegmentKind.TOOL, SegmentKind.TOOLS_FRAME, SegmentKind.RESPONSE_FORMAT,
                      SegmentKind.IMAGE, SegmentKind.REPLY_PRIMING})
"""Segments a reshuffled window may not hold: the prelude (tool-order's), images (the image
rules') and the end of the prompt."""


def check(context: Context) -> Iterator[Hit]:
    """A hit when, from the first difference with an earlier request on, the current request
    holds that request's segments in another order, with more of the prompt after them."""
    current = context.current
    # Reordering keeps the prompt's length: below the minimum, no order could be cached.
    if not current.cacheable:
        return
    new = current.request.segments
    # The earliest request with these segments that was long enough to leave a cache entry
    # sets the order a fix converges on.
    for earlier in context.history:
        if not earlier.cacheable:
            continue
        old = earlier.request.segments
        start = context.divergence(earlier)
        if start is None or old[start].kind in _OUTSIDE or new[start].kind in _OUTSIDE:
            continue
        end = permuted_window(old, new, start)
        if end is None or new[end].kind is SegmentKind.REPLY_PRIMING:
            continue
        if in_session(current.request) and continues_conversation(earlier, current):
            continue  # a later turn that reorders its history: history-rewritten's
        hit = _hit(context, earlier, start, end)
        if hit is not None:
            yield hit
        return


def permuted_window(old: Sequence[Segment], new: Sequence[Segment], start: int) -> int | None:
    """The end of the shortest window from ``start`` in which ``new`` holds exactly the
    segments of ``old`` (as a multiset), or None when there is none before the end."""
    # Cheap test first: in a reshuffle, each request's first differing segment comes later
    # in the other one (for unrelated prompts it usually does not, and the walk is skipped).
    if not (_occurs(new[start], old, start + 1) and _occurs(old[start], new, start + 1)):
        return None
    balance: dict[SegmentKey, int] = {}
    unbalanced = 0
    for index in range(start, min(len(old), len(new))):
        left, right = old[index], new[index]
        if left.kind in _OUTSIDE or right.kind in _OUTSIDE:
            return None
        for key, step in ((segment_key(left), 1), (segment_key(right), -1)):
            count = balance.get(key, 0)
            balance[key] = count + step
            unbalanced += (count == 0) - (count + step == 0)
        if unbalanced == 0:
            return index + 1
    return None


def _occurs(segment: Segment, segments: Sequence[Segment], start: int) -> bool:
    for index in range(start, len(segments)):
        other = segments[index]
        if other.kind in _OUTSIDE:
            return False
        if same_content(segment, other):
            return True
    return False


def _hit(context: Context, earlier: CountedRequest, start: int, end: int) -> Hit | None:
    current = context.current
    old, new = earlier.request.segments, current.request.segments
    tokens = current.segment_tokens
    # Each place in the window gets the current segment that the earlier request had there.
    spare: dict[SegmentKey, deque[int]] = {}
    for index in range(start, end):
        spare.setdefault(segment_key(new[index]), deque()).append(index)
    in_order: dict[int, tuple[Segment, int]] = {}
    for index in range(start, end):
        source = spare[segment_key(old[index])].popleft()
        if source != index:
            in_order[index] = (new[source], tokens[source])
    at_risk = context.tokens_gained(earlier, in_order)
    if at_risk is None:
        return None  # in the earlier order it would still share less than the minimum
    # Messages the window touches: the one it starts in, and each one it opens.
    messages = sum(1 for segment in new[start + 1:end]
                   if segment.kind is SegmentKind.MESSAGE_FRAME) + 1
    units = (f"{messages} messages" if messages > 1
             else f"{sum(1 for segment in new[start:end] if segment.text)} content blocks")
    path = new[start].path
    return Hit(
        location=current.request.location,
        path=path,
        group="order",
        message=(f"the same {units} arrive in a different order than in "
                 f"{earlier.request.location} (first difference at {path}); {at_risk:,} "
                 "tokens miss the cache"),
        fix="Put examples and documents in one fixed order, chosen once (for example sorted "
            "by id), not shuffled or ranked anew per request.",
        tokens_at_risk=at_risk,
        snippet=f"{excerpt(_first_text(old, start, end), 28)} -> "
                f"{excerpt(_first_text(new, start, end), 28)}",
        compared_with=earlier.request.location,
        against=earlier,
        repair=Repair(replace=tuple((index, segment) for index, (segment, _) in
                                    sorted(in_order.items()))),
    )


def _first_text(segments: Sequence[Segment], start: int, end: int) -> str:
    return next((segment.text for segment in segments[start:end] if segment.text), "")


def summarize(group: Group) -> str:
    """How many requests arrive reshuffled."""
    if group.occurrences == 1:
        return group.first.message
    return (f"{group.first.message}; {group.occurrences} requests hold these messages in "
            "another order than the stream's first")


RULE = Rule(
    code="PC107",
    name="examples-reshuffled",
    severity=Severity.WARNING,
    summary="The same few-shot examples or documents arrive in a different order.",
    check=check,
    summarize=summarize,
)
