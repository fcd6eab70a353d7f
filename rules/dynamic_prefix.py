"""dynamic-prefix (PC101): a value that changes per request sits in front of shared content.

## What it detects
Two requests of the same stream whose prompts are equal up to a short span that differs, and
equal again after it: a timestamp, a date, a request id, a UUID, a counter or per-user data
placed before content that is otherwise the same. The finding names the kind of value, where
it sits, and how many tokens after it could have come from the cache.

## Why it breaks the cache
Providers cache exact prefixes. Everything after the first differing token is a miss, so a
timestamp on the first line of a 3,000-token system prompt makes all 3,000 tokens full price
on every request, although only a dozen of them changed.

## Example
```json
{"role": "system", "content": "Now: 2025-03-01T10:00:03Z\nYou are the support agent for..."}
{"role": "system", "content": "Now: 2025-03-01T10:00:09Z\nYou are the support agent for..."}
```

## Use instead
Keep the prefix byte-identical: move the changing value after the shared part (into the last
user message, or the end of the prompt), or into request metadata the model does not see.
Round times to the day if the model only needs the date, and put even that at the end.

## Will not fire on
- A fixed value that never changes (a date written once into a prompt template).
- Per-request data at the end of the prompt, where nothing shared follows it.
- Requests that differ in large parts (different conversations), or that differ only in what
  they append after a shared prefix.

## Options
- `max-span-chars` (default 64): the longest differing span that still counts as one value.
- `min-shared-tokens` (default 32): how many equal tokens must follow the span.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

from promptcache.findings import Hit, Repair, Severity
from promptcache.model import Segment, SegmentKind
from promptcache.prefix import common_prefix_chars, common_suffix_chars, same_content
from promptcache.rule_api import Context, Group, Rule
from promptcache.snippets import excerpt
from promptcache.values import classify

_TEXT_KINDS = frozenset({SegmentKind.TEXT, SegmentKind.TOOL, SegmentKind.RESPONSE_FORMAT,
                         SegmentKind.TOOL_CALL})
_SLOT_NAMES = {SegmentKind.TOOL: "a tool definition",
               SegmentKind.RESPONSE_FORMAT: "the response format",
               SegmentKind.TOOL_CALL: "a tool call"}


def check(context: Context) -> Iterator[Hit]:
    """A hit when the best-matching earlier request differs from this one in one short span."""
    match = context.best_match()
    if match is None:
        return
    earlier, shared = match
    current = context.current
    index = shared.segments
    old_segments, new_segments = earlier.request.segments, current.request.segments
    if index >= len(old_segments) or index >= len(new_segments):
        return
    old, new = old_segments[index], new_segments[index]
    if old.kind is not new.kind or new.kind not in _TEXT_KINDS or old.path != new.path:
        return
    start = common_prefix_chars(old.text, new.text)
    end_offset = common_suffix_chars(old.text, new.text, start)
    old_span = old.text[start:len(old.text) - end_offset]
    new_span = new.text[start:len(new.text) - end_offset]
    if max(len(old_span), len(new_span)) > int(context.options["max-span-chars"]):
        return
    following = context.encode(new.text[len(new.text) - end_offset:]) if end_offset else ()
    shared_after = len(following) + _equal_tokens_after(context, old_segments, index)
    if shared_after < int(context.options["min-shared-tokens"]):
        return
    old_start, old_end = _whole_words(old.text, start, len(old.text) - end_offset)
    new_start, new_end = _whole_words(new.text, start, len(new.text) - end_offset)
    old_value, new_value = old.text[old_start:old_end], new.text[new_start:new_end]
    kind = classify(old_value, new_value)
    where = _slot_name(new)
    yield Hit(
        location=current.request.location,
        path=new.path,
        group=f"{new.path}",
        message=(f"a {kind} changes inside {where} ({new.path}, character {start}); the "
                 f"{shared_after:,} tokens after it are the same but cannot be cached"),
        fix=f"Move the {kind} after the shared part of the prompt (or into metadata) so the "
            "prefix stays byte-identical.",
        tokens_at_risk=shared_after,
        snippet=f"{excerpt(old_value, 40)} -> {excerpt(new_value, 40)}",
        compared_with=earlier.request.location,
        against=earlier,
        repair=Repair(
            replace=((index, replace(new, text=new.text[:new_start] + new.text[new_end:])),),
            append=(Segment(SegmentKind.TEXT, new.path, new_value, role=new.role),),
        ),
    )


def _equal_tokens_after(context: Context, old_segments: tuple[Segment, ...], index: int) -> int:
    current = context.current
    new_segments = current.request.segments
    total = 0
    for position in range(index + 1, min(len(old_segments), len(new_segments))):
        if not same_content(old_segments[position], new_segments[position]):
            break
        total += current.segment_tokens[position]
    return total


def _whole_words(text: str, start: int, end: int) -> tuple[int, int]:
    """Widen ``text[start:end]`` to whole words, so '2025-03-01T10:00:0' '3' reads as a time
    (and the fix moves the whole value, not the digits that happened to differ)."""
    while start > 0 and not text[start - 1].isspace() and start > end - 64:
        start -= 1
    while end < len(text) and not text[end].isspace() and end < start + 96:
        end += 1
    return start, end


def _slot_name(segment: Segment) -> str:
    if segment.kind in _SLOT_NAMES:
        return _SLOT_NAMES[segment.kind]
    role = segment.role or "a"
    return f"the {role} message"


def summarize(group: Group) -> str:
    """The first hit's message, with how many requests repeat it."""
    return f"{group.first.message} (in {group.occurrences} requests)"


RULE = Rule(
    code="PC101",
    name="dynamic-prefix",
    severity=Severity.WARNING,
    summary="A value that changes per request sits in front of content that is shared.",
    check=check,
    options={"max-span-chars": 64, "min-shared-tokens": 32},
    options_schema={
        "max-span-chars": {"type": "integer", "minimum": 1},
        "min-shared-tokens": {"type": "integer", "minimum": 1},
    },
    summarize=summarize,
)
