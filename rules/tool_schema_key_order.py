"""tool-schema-key-order (PC203): a tool or schema arrives with its JSON keys in another order.

## What it detects
A tool definition (the same name) or a structured-output schema whose JSON value is the same
as in an earlier request of the stream, but whose keys come in another order (the order of
its properties, or of the keys inside `parameters`), so that it renders to different prompt
text. The first request of the stream that sent the same value (of those long enough to be
cached) sets the form compared against, so a log that switches order once reports every
request after the switch, with the tokens lost where the switch happened.

## Why it breaks the cache
The provider renders a tool's parameters, and a schema, in the order their keys arrive:
`{"city": ..., "unit": ...}` and `{"unit": ..., "city": ...}` are two different prompts. The
tools and the schema come first, so everything after the first reordered key (the other tools,
the system prompt, the history) misses the cache. Schemas built by merging dicts, generated
from sets, or round-tripped through stores that reorder keys (PostgreSQL `jsonb` sorts them by
length) do this without anyone noticing.

## Example
```json
{"name": "start_claim", "parameters": {"properties": {"policy_number": {}, "peril": {}}}}
{"name": "start_claim", "parameters": {"properties": {"peril": {}, "policy_number": {}}}}
```

## Use instead
Build tool definitions and schemas once, at start-up, and send that same object every time;
if they pass through a store or a merge, serialize them with a fixed key order (for example
sorted keys) before sending.

## Will not fire on
- A tool or schema whose value changed (another description, type or property): that is an
  edit (tools-changed, response-format-changed).
- Key-order differences the provider does not render (keys of the tool object itself, such as
  `name` before `description`).
- Tools reordered as a whole (tool-order reports that).
- Prompts below the model's minimum cacheable length (1,024 tokens for OpenAI): with the keys
  in the earlier order the request still could not be served from the cache, so the order
  costs nothing yet. An earlier request below the minimum never left a cache entry, so it
  does not set the form either; the first one at or above the minimum does.

## Options
None.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import replace

from promptcache.engine.findings import Hit, Repair, Severity
from promptcache.engine.rule_api import Context, Group, Rule
from promptcache.model import Segment, SegmentKind
from promptcache.snippets import around, excerpt
from promptcache.tokens.counting import CountedRequest
from promptcache.tokens.prefix import common_prefix_chars

_LEADING = frozenset({SegmentKind.TOOL, SegmentKind.TOOLS_FRAME, SegmentKind.RESPONSE_FORMAT})
_SEPARATOR = "\n\n"
_SHOWN_LINE = 40
_SHOWN_NAMES = 3


def _leading(segments: Sequence[Segment]) -> Iterator[tuple[int, Segment]]:
    """Tools and schema segments with their indices: they all come before the messages."""
    for index, segment in enumerate(segments):
        if segment.kind not in _LEADING:
            return
        if segment.kind is not SegmentKind.TOOLS_FRAME and segment.canonical:
            yield index, segment


def _slot(segment: Segment) -> str:
    # Tools by name; the response format (there is at most one) as "".
    return "tool:" + segment.key if segment.kind is SegmentKind.TOOL else ""


def _slot_name(slot: str) -> str:
    return f"tool {excerpt(slot[5:], 40)!r}" if slot else "the response format"


def _split(segment: Segment) -> tuple[str, str]:
    """(the separator the renderer puts before a schema that follows tools, the rest)."""
    if segment.kind is SegmentKind.RESPONSE_FORMAT and segment.text.startswith(_SEPARATOR):
        return _SEPARATOR, segment.text[len(_SEPARATOR):]
    return "", segment.text


def check(context: Context) -> Iterator[Hit]:
    """A hit when a tool or schema renders otherwise than the stream's first form of it."""
    if not context.history:
        return
    current = context.current.request.segments
    first = context.history[0].request.segments
    # The common case: the stream's first request sent the very same tool segments (the
    # normalizer shares them between requests with equal tools), so every form is the first.
    if all(index < len(first) and segment is first[index]
           for index, segment in _leading(current)):
        return
    wanted: dict[str, tuple[int, Segment]] = {}
    for index, segment in _leading(current):
        wanted.setdefault(_slot(segment), (index, segment))
    if not wanted:
        return
    # The earliest request that sent the same value, and was long enough to leave a cache
    # entry, sets the form a fix converges on.
    forms: dict[str, tuple[Segment, CountedRequest]] = {}
    for earlier in context.history:
        if not earlier.cacheable:
            continue
        for _, segment in _leading(earlier.request.segments):
            slot = _slot(segment)
            entry = wanted.get(slot)
            if entry is not None and slot not in forms and segment.canonical == entry[1].canonical:
                forms[slot] = (segment, earlier)
        if len(forms) == len(wanted):
            break
    changed = sorted(
        (index, slot) for slot, (index, segment) in wanted.items()
        if slot in forms and forms[slot][0] is not segment
        and _split(forms[slot][0])[1] != _split(segment)[1])
    if not changed:
        return
    hit = _hit(context, changed, forms)
    if hit is not None:
        yield hit


def _hit(context: Context, changed: list[tuple[int, str]],
         forms: dict[str, tuple[Segment, CountedRequest]]) -> Hit | None:
    request = context.current.request
    replacements: dict[int, tuple[Segment, int]] = {}
    for index, slot in changed:
        segment = request.segments[index]
        separator, _ = _split(segment)
        form = forms[slot][0]
        text = separator + _split(form)[1]
        # The earlier form's own corrections go with its text: they depend on how it starts
        # (gpt-4 bills a tool whose first parameter line is not a comment one token less).
        replacements[index] = (replace(segment, text=text, fixed_tokens=form.fixed_tokens),
                               form.fixed_tokens + len(context.encode(text)))
    index, slot = changed[0]
    form, earlier = forms[slot]
    at_risk = context.tokens_gained(earlier, replacements)
    if at_risk is None:
        return None  # in the earlier form it would still share less than the minimum
    old_line, new_line = _first_different_line(_split(form)[1], _split(request.segments[index])[1])
    others = [_slot_name(name) for _, name in changed[1:]]
    more = ""
    if others:
        shown = ", ".join(others[:_SHOWN_NAMES])
        more = f"; also {shown}" + (f" and {len(others) - _SHOWN_NAMES} more"
                                    if len(others) > _SHOWN_NAMES else "")
    name = _slot_name(slot)
    return Hit(
        location=request.location,
        path=request.segments[index].path,
        group=name,
        message=(f"{name} has the same definition as at line {earlier.request.location.line} "
                 f"but its JSON keys in another order, which renders differently (here "
                 f"`{new_line}` where that request had `{old_line}`){more}; {at_risk:,} "
                 "tokens miss the cache"),
        fix="Build tool definitions and schemas once and send the same object every time; "
            "serialize them with a fixed key order if they pass through a store or a merge.",
        tokens_at_risk=at_risk,
        snippet=f"{old_line} -> {new_line}",
        compared_with=earlier.request.location,
        against=earlier,
        repair=Repair(replace=tuple((where, segment)
                                    for where, (segment, _) in replacements.items())),
    )


def _first_different_line(old: str, new: str) -> tuple[str, str]:
    """The line of each text where they first differ, trimmed for the report."""
    start = common_prefix_chars(old, new)
    return _line_at(old, start), _line_at(new, start)


def _line_at(text: str, position: int) -> str:
    begin = text.rfind("\n", 0, position) + 1
    end = text.find("\n", position)
    line = text[begin:end if end >= 0 else len(text)]
    if len(line) <= _SHOWN_LINE:
        return excerpt(line.strip(), _SHOWN_LINE)
    # A schema is one long line of JSON: show the neighbourhood of the difference.
    return around(line, position - begin, position - begin + 1, _SHOWN_LINE)


def summarize(group: Group) -> str:
    """The first hit, and how many requests differ from the first form."""
    return (f"{group.first.message} ({group.occurrences} requests send it in another order "
            "than the stream's first)")


RULE = Rule(
    code="PC203",
    name="tool-schema-key-order",
    severity=Severity.WARNING,
    summary="A tool definition or schema arrives with its JSON keys in another order.",
    check=check,
    summarize=summarize,
)
