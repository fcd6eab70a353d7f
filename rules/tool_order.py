"""tool-order (PC201): the same tools arrive in a different order.

## What it detects
A request whose tool definitions are exactly those of an earlier request in the same stream
(same names, same definitions) but in another order. The earliest such request (of those
long enough to be cached) sets the order compared against, so a log that switches order once
reports every request after the switch, with the tokens lost where the switch happened. The
finding shows both orders up to the first difference and how many tokens the reordering kept
out of the cache.

## Why it breaks the cache
Tool definitions are rendered at the very start of the prompt, in the order they are sent.
A different order is a different prefix: the tools and everything after them (system prompt,
history) miss the cache. Sets and dicts iterated in hash order, tools gathered from several
plugins concurrently, and registries keyed by insertion time all produce this.

## Example
Request 1 sends `[search, get_weather, book_flight]`, request 2 sends
`[get_weather, search, book_flight]`: nothing after the first tool name can be served from
the cache.

## Use instead
Send tools in one fixed order, for example sorted by name, built once at start-up.

## Will not fire on
- Requests whose tool sets differ (a tool added, removed or edited): that is a different
  problem with its own rule.
- A single tool, or requests without tools.
- Prompts below the model's minimum cacheable length (1,024 tokens for OpenAI): with the tools
  in the earlier order the request still could not be served from the cache, so the order
  costs nothing yet. An earlier request below the minimum never left a cache entry, so it
  does not set the order either; the earliest one at or above the minimum does.

## Options
None.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from promptcache.engine.findings import Hit, Repair, Severity
from promptcache.engine.rule_api import Context, Group, Rule
from promptcache.model import Segment, SegmentKind
from promptcache.snippets import excerpt
from promptcache.tokens.counting import CountedRequest

_SHOWN_NAMES = 4


def _tools(request: CountedRequest) -> tuple[Segment, ...]:
    return tuple(segment for segment in request.request.segments
                 if segment.kind is SegmentKind.TOOL)


def _signature(request: CountedRequest) -> list[tuple[str, str]]:
    """The tools regardless of order (worked out once per request: see ``derived``)."""
    return sorted((tool.key, tool.text) for tool in request.derived(_tools))


def check(context: Context) -> Iterator[Hit]:
    """A hit when an earlier request had the same tool definitions in another order."""
    current = context.current
    # Reordering keeps the prompt's length: below the minimum, no order could be cached.
    if not current.cacheable:
        return
    current_tools = current.derived(_tools)
    if len(current_tools) < 2:
        return
    signature = current.derived(_signature)
    # The earliest request with these tools that was long enough to leave a cache entry sets
    # the order a fix converges on.
    for earlier in context.history:
        if not earlier.cacheable:
            continue
        earlier_tools = earlier.derived(_tools)
        if (len(earlier_tools) != len(current_tools)
                or earlier.derived(_signature) != signature):
            continue
        if [tool.text for tool in earlier_tools] != [tool.text for tool in current_tools]:
            hit = _hit(context, earlier, earlier_tools, current_tools)
            if hit is not None:
                yield hit
        return


def _hit(context: Context, earlier: CountedRequest, earlier_tools: Sequence[Segment],
         current_tools: Sequence[Segment]) -> Hit | None:
    current = context.current
    fixed_order = _in_order(context, earlier_tools)
    at_risk = context.tokens_gained(earlier, fixed_order)
    if at_risk is None:
        return None  # in the earlier order it would still share less than the minimum
    moved = next(index for index, (left, right) in enumerate(zip(earlier_tools, current_tools,
                                                                 strict=True))
                 if left.text != right.text)
    return Hit(
        location=current.request.location,
        path=current_tools[moved].path,
        group="tools",
        message=(f"the same {len(current_tools)} tools arrive in a different order (first "
                 f"difference at tool {moved}: {excerpt(current_tools[moved].key, 60)!r} where "
                 f"the earlier request had {excerpt(earlier_tools[moved].key, 60)!r}); "
                 f"{at_risk:,} tokens miss the cache"),
        fix="Send tools in one fixed order (for example sorted by name), built once.",
        tokens_at_risk=at_risk,
        snippet=f"{_names(earlier_tools)} -> {_names(current_tools)}",
        compared_with=earlier.request.location,
        against=earlier,
        repair=Repair(replace=tuple((slot, tool) for slot, (tool, _) in fixed_order.items())),
    )


def _in_order(context: Context,
              order: Sequence[Segment]) -> dict[int, tuple[Segment, int]]:
    """The current request's tools moved into ``order``: slot index -> (tool, its tokens)."""
    current = context.current
    segments, tokens = current.request.segments, current.segment_tokens
    slots = [index for index, segment in enumerate(segments) if segment.kind is SegmentKind.TOOL]
    by_text = {segments[index].text: (segments[index], tokens[index]) for index in slots}
    return {slot: by_text[wanted.text] for slot, wanted in zip(slots, order, strict=True)}


def _names(tools: Sequence[Segment]) -> str:
    names = [tool.key for tool in tools[:_SHOWN_NAMES]]
    more = ", …" if len(tools) > _SHOWN_NAMES else ""
    return excerpt("[" + ", ".join(names) + more + "]", 80)


def summarize(group: Group) -> str:
    """How often the order changed."""
    if group.occurrences == 1:
        return group.first.message
    return (f"{group.first.message}; {group.occurrences} requests send them in another order "
            "than the stream's first")


RULE = Rule(
    code="PC201",
    name="tool-order",
    severity=Severity.WARNING,
    summary="The same tool definitions arrive in different orders across requests.",
    check=check,
    summarize=summarize,
)
