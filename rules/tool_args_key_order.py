"""tool-args-key-order (PC204): a tool call in the re-sent history is re-serialized differently.

## What it detects
An assistant tool call that an earlier request of the stream sent in the conversation history,
and that this request re-sends at the same place with the same arguments, but written
differently: keys in another order, or (in the Responses API, which renders arguments as
sent) other JSON formatting (non-ASCII characters escaped on one side only), with or without
spacing changes besides. The earlier request must share
everything before the call with this one, so the two are demonstrably the same conversation.
The first request that sent the call (of those long enough to be cached) sets the form
compared against, so every later request that re-sends it otherwise is reported.

## Why it breaks the cache
The provider caches the prompt text, not the meaning of the JSON: `{"city":"Oslo","unit":"c"}`
and `{"unit": "c", "city": "Oslo"}` are different tokens. A history re-serialized on each turn
(loaded from a store that reorders keys, such as PostgreSQL `jsonb`, or rebuilt with
`json.dumps` defaults after the first turn sent the model's own string) breaks the prefix in
the middle of the conversation: everything after the call misses the cache.

## Example
Turn 2 re-sends the model's call as it came back, `{"policy_number":"QH20481133","postcode":
"BS3 4QA"}`; turn 3 loads the history from the database and sends
`{"postcode": "BS3 4QA", "policy_number": "QH20481133"}`: the call and the rest of the
conversation after it miss the cache.

## Use instead
Store each tool call's `arguments` as the exact string the model returned and send that string
back unchanged on every later turn; never parse and re-serialize it.

## Will not fire on
- A call whose arguments changed in value (a history edit, not a formatting difference).
- Arguments that differ only in whitespace (`{"a":1}` and `{"a": 1}`): whitespace-drift
  reports those, whatever the kind of text.
- Chat Completions calls that differ only in spacing or escapes: that API parses a call's
  arguments and renders them compactly, so both forms are the same prompt.
- The newest turn's calls, before they were ever re-sent.
- Requests that do not share everything before the call (another conversation that happens
  to make the same call at the same place).
- Prompts below the model's minimum cacheable length (1,024 tokens for OpenAI): with the call
  in the earlier form the request would still share less than that minimum with the earlier
  one, so the re-serialization costs nothing yet. An earlier request below the minimum never
  left a cache entry, so it does not set the form either; the first one at or above the
  minimum does.

## Options
None.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace

from promptcache.engine.detect.whitespace import same_apart_from_whitespace
from promptcache.engine.findings import Hit, Repair, Severity
from promptcache.engine.rule_api import Context, Group, Rule
from promptcache.model import Segment, SegmentKind, same_place
from promptcache.snippets import around, excerpt
from promptcache.tokens.counting import CountedRequest
from promptcache.tokens.prefix import common_prefix_chars

_LEADING = frozenset({SegmentKind.TOOL, SegmentKind.TOOLS_FRAME, SegmentKind.RESPONSE_FORMAT})
_SHOWN_CHARS = 40
_PARALLEL = "multi_tool_use.parallel"
"""The key the normalizer gives an assistant message with several calls (one wrapper call)."""


def _calls(counted: CountedRequest) -> tuple[tuple[int, Segment], ...]:
    return tuple((index, segment) for index, segment in enumerate(counted.request.segments)
                 if segment.kind is SegmentKind.TOOL_CALL and segment.canonical)


def _messages_start(counted: CountedRequest) -> int:
    """Index of the first segment after the tools and schema: history indices align from here
    even when the tools differ."""
    segments = counted.request.segments
    for index, segment in enumerate(segments):
        if segment.kind not in _LEADING:
            return index
    return len(segments)


def check(context: Context) -> Iterator[Hit]:
    """A hit when a re-sent tool call is written otherwise than when the stream first sent it."""
    current = context.current
    calls = current.derived(_calls)
    if not calls or not context.history:
        return
    start = current.derived(_messages_start)
    # path -> (the stream's first form of the call, the request that sent it)
    forms: dict[str, tuple[Segment, CountedRequest]] = {}
    for earlier in context.history:
        if not earlier.cacheable:
            continue  # never cached: its form of the call is not what a fix converges on
        old_segments = earlier.request.segments
        shift = earlier.derived(_messages_start) - start
        for index, call in calls:
            if call.path in forms:
                continue
            where = index + shift
            if 0 <= where < len(old_segments):
                old = old_segments[where]
                if (old.kind is SegmentKind.TOOL_CALL
                        and same_place(earlier.request, old.path, current.request, call.path)
                        and old.key == call.key and old.canonical == call.canonical):
                    forms[call.path] = (old, earlier)
        if len(forms) == len(calls):
            break
    changed = [(index, call) for index, call in calls
               if call.path in forms and forms[call.path][0].text != call.text
               # spacing alone is whitespace-drift's evidence (for every kind of text)
               and not same_apart_from_whitespace(forms[call.path][0].text, call.text)]
    if not changed:
        return
    index, call = changed[0]
    form, earlier = forms[call.path]
    # Evidence that this is the same conversation: all before the call is shared.
    if context.shared_with(earlier).segments < index:
        return
    replacements = {
        where: (replace(segment, text=forms[segment.path][0].text),
                segment.fixed_tokens + len(context.encode(forms[segment.path][0].text)))
        for where, segment in changed}
    at_risk = context.tokens_gained(earlier, replacements)
    if at_risk is None:
        return  # in the earlier form it would still share less than the minimum
    more = f" (and {len(changed) - 1} later calls likewise)" if len(changed) > 1 else ""
    yield Hit(
        location=current.request.location,
        path=call.path,
        group=call.key,
        message=(f"{_call_name(call)} in the history is re-sent with "
                 f"{_difference(form.text, call.text)} than at line "
                 f"{earlier.request.location.line}{more}; {at_risk:,} tokens from it on miss "
                 "the cache"),
        fix="Keep each tool call's arguments as the exact string the model returned and send "
            "it back unchanged; do not parse and re-serialize the history.",
        tokens_at_risk=at_risk,
        snippet=f"{_near(form.text, call.text)} -> {_near(call.text, form.text)}",
        compared_with=earlier.request.location,
        against=earlier,
        repair=Repair(replace=tuple((where, segment)
                                    for where, (segment, _) in replacements.items())),
    )


def _call_name(call: Segment) -> str:
    if call.key == _PARALLEL:
        return "an assistant message's parallel tool calls"
    return f"the call to {excerpt(call.key, 40)!r}"


def _difference(old: str, new: str) -> str:
    """'its arguments' keys in another order' or 'other JSON formatting'."""
    try:
        old_value, new_value = json.loads(old), json.loads(new)
    except (ValueError, RecursionError):
        return "other JSON formatting"
    if json.dumps(old_value) == json.dumps(new_value):
        return "other JSON formatting (escapes)"
    return "its arguments' keys in another order"


def _near(text: str, other: str) -> str:
    start = common_prefix_chars(text, other)
    return around(text, start, min(len(text), start + 1), _SHOWN_CHARS)


def summarize(group: Group) -> str:
    """The first hit, and how many requests re-send the call otherwise."""
    return f"{group.first.message} ({group.occurrences} requests)"


RULE = Rule(
    code="PC204",
    name="tool-args-key-order",
    severity=Severity.WARNING,
    summary="A tool call in the re-sent history is re-serialized with other key order or spacing.",
    check=check,
    summarize=summarize,
)
