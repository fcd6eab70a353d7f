"""whitespace-drift (PC105): the same text comes back with different whitespace.

## What it detects
A segment (the same message, tool definition or tool call, at the same JSON path) whose text
differs from the earlier request's only in whitespace: `\\r\\n` instead of `\\n`, trailing
spaces, runs of spaces or blank lines, a leading or trailing newline, re-serialized JSON
spacing. The stream's first request sets the form compared against (so a log that changes
form once reports every request after the change); when its text differs for real, or it
is too short to have been cached, the earlier request sharing the longest prefix is
compared instead. The finding says which kind
of whitespace changed and how many tokens follow the change.

## Why it breaks the cache
Providers cache exact token prefixes, and whitespace is tokens: `"\\r\\n"`, `"  "` and
`" \\n"` encode differently from `"\\n"` and `" "`. A template re-read with other line endings,
a history message stripped before it is sent again, or arguments re-serialized with other
spacing make a different prefix although the content is equal: everything after the change
misses the cache.

## Example
```json
{"role": "system", "content": "You are the support agent for Alder & Pine.\n\nRefunds..."}
{"role": "system", "content": "You are the support agent for Alder & Pine.\r\n\r\nRefunds..."}
```

## Use instead
Render every piece of the prompt the same way each time: normalize line endings and strip
(or keep) trailing whitespace in one place, store history exactly as it was sent, and
serialize JSON with fixed separators.

## Will not fire on
- Texts that differ in anything but whitespace (a real edit, a changing value: see
  dynamic-prefix and its siblings).
- Whitespace that differs in different slots (another message path or segment kind).
- A change with fewer than `min-shared-tokens` equal tokens after it (a trailing newline on
  the last message).
- Requests that differ only in what they append.
- Prompts below the model's minimum cacheable length (1,024 tokens for OpenAI): with the
  whitespace as before the request still could not be served from the cache, so the drift
  costs nothing yet. An earlier request below the minimum never left a cache entry, so it is
  not compared against either.

## Options
- `min-shared-tokens` (default 32): how many tokens from the first whitespace change on must
  be otherwise equal to the earlier request's.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace

from promptcache.engine.detect.dynamic_span import (
    TEXT_KINDS,
    differs_only_in_whitespace,
    slot_name,
    summarize,
)
from promptcache.engine.findings import Hit, Repair, Severity
from promptcache.engine.rule_api import Context, Rule
from promptcache.model import same_place
from promptcache.snippets import around
from promptcache.tokens.counting import CountedRequest
from promptcache.tokens.prefix import common_prefix_chars, shared_prefix

_BLANK_LINES = re.compile(r"\n(?:[ \t]*\n)+")
_SPACE_RUNS = re.compile(r"[ \t]+")


def check(context: Context) -> Iterator[Hit]:
    """A hit when the first segment that differs from the stream's first request (or, failing
    that, from the best match) differs from it only in whitespace."""
    if not context.history:
        return
    # The stream's first form is what a fix converges on; the best match catches drift in a
    # stream whose first request differs from this one for real.
    first, best = context.history[0], context.best_match()
    candidates = (first,) if best is None or best[0] is first else (first, best[0])
    for earlier in candidates:
        hit = _drift(context, earlier)
        if hit is not None:
            yield hit
            return


def _drift(context: Context, earlier: CountedRequest) -> Hit | None:
    if not earlier.cacheable:
        return None  # too short to have left a cache entry: nothing to lose against it
    current = context.current
    old_segments, new_segments = earlier.request.segments, current.request.segments
    index = context.divergence(earlier)
    if index is None:
        return None
    old, new = old_segments[index], new_segments[index]
    if (old.kind is not new.kind or new.kind not in TEXT_KINDS
            or not same_place(earlier.request, old.path, current.request, new.path)
            or old.role != new.role or old.fixed_tokens != new.fixed_tokens
            or not differs_only_in_whitespace(old.text, new.text)):
        return None
    fixed = replace(new, text=old.text)
    fixed_tokens = new.fixed_tokens + len(context.encode(old.text))
    # What the fix makes equal to the compared request: the rest of the segment and the
    # equal segments after it.
    segments = (*new_segments[:index], fixed, *new_segments[index + 1:])
    tokens = (*current.segment_tokens[:index], fixed_tokens,
              *current.segment_tokens[index + 1:])
    shared_fixed = shared_prefix(old_segments, segments, tokens, context.encode).tokens
    equal_after = shared_fixed - context.shared_with(earlier).tokens
    if equal_after < int(context.options["min-shared-tokens"]):
        return None
    at_risk = context.gain_beyond_best(shared_fixed)
    if at_risk is None:
        return None  # as before it would still share less than the minimum
    start = common_prefix_chars(old.text, new.text)
    where = slot_name(new)
    return Hit(
        location=current.request.location,
        path=new.path,
        group=f"{current.request.place(new.path)} {new.kind}",
        message=(f"{where} ({new.path}) differs from the earlier request's only in whitespace "
                 f"({_describe(old.text, new.text)}, from character {start}); the "
                 f"{equal_after:,} tokens from there on are otherwise the same but cannot be "
                 "cached"),
        fix=("Render this text the same way every time: normalize line endings and "
             "trailing whitespace in one place, and send history exactly as first sent."),
        tokens_at_risk=at_risk,
        snippet=(f"{around(old.text, start, start + 1, 28)} -> "
                 f"{around(new.text, start, start + 1, 28)}"),
        compared_with=earlier.request.location,
        against=earlier,
        repair=Repair(replace=((index, fixed),)),
    )


def _describe(old: str, new: str) -> str:
    """Which kind of whitespace changed, in words."""
    if old.replace("\r\n", "\n") == new.replace("\r\n", "\n"):
        return "\\r\\n and \\n line endings"
    if old.strip() == new.strip():
        return "leading or trailing whitespace"
    if _lines(old) == _lines(new):
        return "trailing spaces on lines"
    old_lines, new_lines = _lines(old), _lines(new)
    if _BLANK_LINES.sub("\n", old_lines) == _BLANK_LINES.sub("\n", new_lines):
        return "blank lines"
    if _SPACE_RUNS.sub(" ", old) == _SPACE_RUNS.sub(" ", new):
        return "runs of spaces"
    return "spacing"


def _lines(text: str) -> str:
    return "\n".join(line.rstrip() for line in text.replace("\r\n", "\n").split("\n"))


RULE = Rule(
    code="PC105",
    name="whitespace-drift",
    severity=Severity.WARNING,
    summary="The same text comes back with different whitespace, breaking the prefix.",
    check=check,
    options={"min-shared-tokens": 32},
    options_schema={"min-shared-tokens": {"type": "integer", "minimum": 1}},
    summarize=summarize,
)
