"""volatile-before-stable (PC106): content that changes per request sits ahead of stable content.

## What it detects
Two requests of a stream that first differ in a large part (retrieved documents, search
results, few-shot examples picked per request: more than 64 characters, or most of a message
that was added or removed), after which a long run of content (at least `min-shared-tokens`
tokens) is the same in both: typically a system message of retrieved context followed by an
identical instruction message, or a user message that starts with context and ends with
identical instructions. The finding says where the changing part is, how large it is, and how
many identical tokens after it miss the cache.

## Why it breaks the cache
Providers cache exact prefixes. Everything after the first differing token is billed in full,
so per-request context placed first makes the stable instructions after it miss the cache on
every request, although they never change. With the stable part first, it would be cached
once and read at a discount on every request after.

## Example
```json
[{"role": "system", "content": "Context: <3 documents retrieved for this question>"},
 {"role": "system", "content": "<1,500 tokens of instructions, the same every time>"},
 {"role": "user", "content": "<question>"}]
```
The documents change with every question, so the 1,500 tokens of instructions after them are
never served from the cache.

## Use instead
Put what is the same on every request first (tools, instructions, fixed examples), then what
changes (retrieved documents, selected examples), then the question: for example a system
message of instructions, followed by a user message holding the context and the question.

## Will not fire on
- A short changing span (at most 64 characters: a timestamp, an id, a name): the
  dynamic-content rules (PC101-PC104) report those; a change only in whitespace
  (whitespace-drift, PC105).
- Requests that differ only in what follows the shared part (the context already placed
  after the instructions, or an append-only conversation).
- Different conversations: their differences are not followed by a long identical run of
  instructions (tool calls and tool results never count as that run).
- The same messages in another order: examples-reshuffled (PC107).
- A later turn of a session's conversation: if its system prompt or history changed,
  system-prompt-changed (PC108) or history-rewritten (PC109) report it.
- Changing images, tools or response format (their own rules).
- Prompts below the model's minimum cacheable length (1,024 tokens for OpenAI), and changes
  where, with the stable part moved first, the requests would still share less than that
  minimum (what precedes the change plus the identical run): the fix would not make anything
  cacheable. An earlier request below the minimum never left a cache entry, so it is not
  compared with.

## Options
- `min-shared-tokens` (default 256): how many identical tokens must follow the changing part.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace

from promptcache.engine.detect.whitespace import same_apart_from_whitespace
from promptcache.engine.findings import Hit, Repair, Severity
from promptcache.engine.rule_api import Context, Rule
from promptcache.model import Segment, SegmentKind, same_place
from promptcache.rules._conversation import (
    SHORT_SPAN_CHARS,
    SegmentKey,
    continues_conversation,
    differing_span,
    in_session,
    segment_key,
)
from promptcache.snippets import excerpt
from promptcache.tokens.counting import CountedRequest
from promptcache.tokens.prefix import same_content

_MESSAGE_ROLES = frozenset({"system", "developer", "user", "assistant"})


def _movable(segment: Segment) -> bool:
    """Message text and framing: what volatile content and a stable run may consist of (not
    tool calls or results, images, the prelude or the reply priming)."""
    return (segment.kind is SegmentKind.TEXT or segment.kind is SegmentKind.MESSAGE_FRAME) and (
        segment.role in _MESSAGE_ROLES)


@dataclass(frozen=True, slots=True)
class _Found:
    """A changing part and the identical run after it, in the current request."""

    start: int
    """First segment of the changing part (the first divergence)."""
    stable: int
    """First segment of the identical run (for a change inside one segment: that segment)."""
    end: int
    """Segment after the identical run."""
    tokens: int
    """Tokens of the identical run."""
    changed_chars: int
    """Size of the changing part, in characters."""
    cut: tuple[int, int] | None = None
    """For a change inside one segment: the character span of it that moves."""


def check(context: Context) -> Iterator[Hit]:
    """A hit when, against an earlier request of the stream, a large changing part is followed
    by a long identical run."""
    current = context.current
    minimum = int(context.options["min-shared-tokens"])
    cacheable = current.facts.cache.min_tokens
    # Moving content keeps the prompt's length: below the minimum, no order could be cached.
    if current.prompt_tokens < max(minimum, cacheable):
        return
    new = current.request.segments
    for earlier in reversed(context.history):
        if not earlier.cacheable:
            continue  # too short to have left a cache entry: nothing after the change was lost
        old = earlier.request.segments
        start = context.divergence(earlier)
        if start is None or not _movable(old[start]) or not _movable(new[start]):
            continue  # one extends the other, or the difference is not in message text
        found = (_segment_run(current, earlier, start, minimum)
                 or _inside_segment(context, old, new, start, minimum))
        if found is None:
            continue
        # With the stable part first in both, they would share what precedes the change and
        # the identical run: below the minimum, that could not be cached either.
        if context.shared_with(earlier).tokens + found.tokens < cacheable:
            continue
        if in_session(current.request) and continues_conversation(earlier, current):
            continue  # a later turn: system-prompt-changed or history-rewritten report it
        yield _hit(context, earlier, found)
        return


def _segment_run(current: CountedRequest, earlier: CountedRequest, start: int,
                 minimum: int) -> _Found | None:
    """The changing part as whole segments: the first identical run of ``minimum`` tokens
    after ``start``, wherever it sits in the earlier request (the changing part may have
    another number of segments there)."""
    old, new = earlier.request.segments, current.request.segments
    anchors: dict[SegmentKey, int] = {}
    for index in range(start, len(old)):
        segment = old[index]
        if not _movable(segment):
            break
        if segment.kind is SegmentKind.TEXT and segment.text.strip():
            anchors.setdefault(segment_key(segment), index)
    tokens = current.segment_tokens
    position = start + 1
    while position < len(new):
        segment = new[position]
        if not _movable(segment):
            return None
        match = anchors.get(segment_key(segment)) if segment.kind is SegmentKind.TEXT else None
        if match is None:
            position += 1
            continue
        # Widen the run back over equal framing, then forward as far as it stays equal.
        here, there = position, match
        while here - 1 > start and there - 1 >= start and same_content(new[here - 1],
                                                                        old[there - 1]):
            here, there = here - 1, there - 1
        length, run = 0, 0
        while (here + length < len(new) and there + length < len(old)
               and _movable(new[here + length])
               and same_content(new[here + length], old[there + length])):
            run += tokens[here + length]
            length += 1
        if run >= minimum:
            return _volatile(old[start:there], new[start:here], start, here, length, run,
                             same_slot=len(old[start:there]) == len(new[start:here]) == 1
                             and same_place(earlier.request, old[start].path,
                                            current.request, new[start].path))
        position = max(position + 1, here + length)
    return None


def _volatile(old: Sequence[Segment], new: Sequence[Segment], start: int, stable: int,
              length: int, run: int, *, same_slot: bool) -> _Found | None:
    """The run, when what precedes it differs in more than a short span and is not the same
    segments in another order."""
    if Counter(map(segment_key, old)) == Counter(map(segment_key, new)):
        return None  # reshuffled: examples-reshuffled's evidence
    old_text = "\x00".join(segment.text for segment in old)
    new_text = "\x00".join(segment.text for segment in new)
    first, old_end, new_end = differing_span(old_text, new_text)
    if same_apart_from_whitespace(old_text[first:old_end], new_text[first:new_end]):
        return None  # only framing or whitespace changed: not volatile content
    changed = max(old_end, new_end) - first
    # One segment in the same slot is where the dynamic-content rules look for a value: leave
    # them every short span there. Elsewhere (a message added, removed or replaced whole), a
    # short part counts when it is most of what changed.
    one_slot = same_slot and old[0].kind is new[0].kind
    if changed <= SHORT_SPAN_CHARS and (one_slot or 2 * changed <= len(new_text)):
        return None
    return _Found(start, stable, stable + length, run, changed)


def _inside_segment(context: Context, old: Sequence[Segment], new: Sequence[Segment],
                    start: int, minimum: int) -> _Found | None:
    """The changing part inside one segment whose end (and what follows) is identical: a
    user message of context followed by the same instructions."""
    left, right = old[start], new[start]
    if left.kind is not SegmentKind.TEXT or right.kind is not SegmentKind.TEXT:
        return None
    if left.role != right.role or not left.text or not right.text or (
            left.text[-1] != right.text[-1]):
        return None  # the segment ends differently: nothing identical follows inside it
    first, old_end, new_end = differing_span(left.text, right.text)
    if max(old_end, new_end) - first <= SHORT_SPAN_CHARS or same_apart_from_whitespace(
            left.text[first:old_end], right.text[first:new_end]):
        return None  # one short value, or whitespace: the dynamic-content rules' evidence
    run = len(context.encode(right.text[new_end:]))
    tokens = context.current.segment_tokens
    index = start + 1
    while (index < len(new) and index < len(old) and _movable(new[index])
           and same_content(new[index], old[index])):
        run += tokens[index]
        index += 1
    if run < minimum:
        return None
    # Move whole lines: "Context: <documents>" goes, not just the characters that differ.
    line = right.text.rfind("\n", 0, first) + 1
    return _Found(start, start, index, run, max(old_end, new_end) - first, (line, new_end))


def _hit(context: Context, earlier: CountedRequest, found: _Found) -> Hit:
    current = context.current
    segments = current.request.segments
    first = segments[found.start]
    # Messages the changing part touches: the one it starts in, and each one it opens.
    messages = sum(1 for segment in segments[found.start + 1:found.stable]
                   if segment.kind is SegmentKind.MESSAGE_FRAME) + 1
    if found.cut is not None:
        where = f"the start of the {first.role} message ({first.path})"
        moving = first.text[found.cut[0]:found.cut[1]]
        stable_text = first.text[found.cut[1]:]
        repair = Repair(
            replace=((found.start, replace(
                first, text=first.text[:found.cut[0]] + first.text[found.cut[1]:])),),
            append=(Segment(SegmentKind.TEXT, first.path, moving, role=first.role),))
    else:
        role = first.role or "a"
        where = (f"{messages} messages from {first.path}" if messages > 1
                 else f"the {role} message content at {first.path}")
        moving = "".join(segment.text for segment in segments[found.start:found.stable])
        stable_text = next((segment.text for segment in segments[found.stable:found.end]
                            if segment.text), "")
        # Reorder: the identical run first, then the changing part, in the same slots.
        order = [*segments[found.stable:found.end], *segments[found.start:found.stable]]
        repair = Repair(replace=tuple(
            (found.start + offset, segment) for offset, segment in enumerate(order)
            if segment is not segments[found.start + offset]))
    return Hit(
        location=current.request.location,
        path=first.path,
        group=current.request.place(first.path),
        message=(f"content that changes per request ({found.changed_chars:,} characters "
                 f"differ from {earlier.request.location}) sits in {where}, ahead of "
                 f"{found.tokens:,} tokens that are identical in both requests; they cannot be "
                 "cached while the changing part comes first"),
        fix="Move the changing content (retrieved documents, selected examples) after the "
            "stable instructions: stable parts first, then per-request context, then the "
            "question.",
        tokens_at_risk=found.tokens,
        snippet=f"{excerpt(moving.strip(), 30)} | then: {excerpt(stable_text.strip(), 24)}",
        compared_with=earlier.request.location,
        against=earlier,
        repair=repair,
    )



RULE = Rule(
    code="PC106",
    name="volatile-before-stable",
    severity=Severity.WARNING,
    summary="Content that changes per request (documents, examples) sits ahead of stable "
            "instructions.",
    check=check,
    options={"min-shared-tokens": 256},
    options_schema={"min-shared-tokens": {"type": "integer", "minimum": 1}},
)
