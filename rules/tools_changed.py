"""tools-changed (PC202): tools are added, removed or edited between requests of a stream.

## What it detects
A request whose tool definitions differ from those of the previous request of its stream: a
tool added, a tool removed, or a tool edited (the same name with another definition), while
the request re-sends what followed the tools (the system prompt, the history) and that
re-sent part would have been served from the cache had the tools stayed the same. The finding
names the tools added, removed and edited, says how many tokens miss, and says when the
stream switches back to a tool set it used before.

The finding carries no repair for the savings estimate: a different tool set is usually what
the request needs, and a list that stays fixed would have to be the union of every set the
session uses, which a bounded look-back cannot know.

## Why it breaks the cache
Tool definitions are rendered at the very start of the prompt. Changing one changes the
prefix from that tool on: the tools after it, the schema, the system prompt and the whole
conversation miss the cache. Agents that load tools per turn (retrieved tool subsets, plugins
that connect late, tools hidden once used) pay full price for the whole prompt on every such
turn.

## Example
Turns 1 to 3 of a claims session send `[lookup_policy, start_claim]`; turn 4 adds
`book_inspection` at the end: the 7,000 tokens of policy and history after the tools, which
turn 3 had cached, are billed in full again.

## Use instead
Send the session's full tool list from the first request on, in one fixed order, and keep it.
To stop the model from calling some of them on a turn, leave the list alone and restrict the
turn instead (`tool_choice: {"type": "allowed_tools", ...}`, or an instruction in the newest
message). If the set must change, change it once, not back and forth.

## Will not fire on
- The same tools in another order (tool-order reports that) or with their JSON keys in
  another order (tool-schema-key-order).
- A change where the tools and what the request re-sends after them stay below the model's
  minimum cacheable length (nothing cacheable was lost), or where the previous request was
  below it (it left no cache entry): a tool added to a prompt just under the minimum, say.
- Unrelated requests (two applications on one model, without sessions) that share nothing
  after the tools.
- Requests that send no tools, like the previous one (a missing and an empty list alike).

## Options
None.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from promptcache.engine.findings import Hit, Severity
from promptcache.engine.rule_api import Context, Group, Rule
from promptcache.model import Segment, SegmentKind
from promptcache.rules._compare import body_path, carried_tokens
from promptcache.snippets import excerpt
from promptcache.tokens.counting import CountedRequest

_TOOL_KINDS = frozenset({SegmentKind.TOOL, SegmentKind.TOOLS_FRAME})
_SHOWN_NAMES = 3


def _tools(request: CountedRequest) -> tuple[tuple[int, Segment], ...]:
    """The tool segments (with their indices): they all come first, before anything else.
    Worked out once per request (see ``derived``): each is compared with the next."""
    found = []
    for index, segment in enumerate(request.request.segments):
        if segment.kind is SegmentKind.TOOL:
            found.append((index, segment))
        elif segment.kind is not SegmentKind.TOOLS_FRAME:
            break
    return tuple(found)


def _same_definition(old: Segment, new: Segment) -> bool:
    """Equal rendering, or a rendering that differs only in key order (equal canonical)."""
    return old.text == new.text or (bool(new.canonical) and new.canonical == old.canonical)


def _signature(request: CountedRequest) -> list[tuple[str, str]]:
    """The tools regardless of order (worked out once per request: see ``derived``)."""
    return sorted((tool.key, tool.text) for _, tool in request.derived(_tools))


def check(context: Context) -> Iterator[Hit]:
    """A hit when the tool set differs from the previous request's in names or definitions."""
    if not context.history:
        return
    current, previous = context.current, context.history[-1]
    if not previous.cacheable:
        return  # too short to have left a cache entry: the change lost nothing
    new_tools = current.derived(_tools)
    old_tools = previous.derived(_tools)
    if len(new_tools) == len(old_tools) and all(
            old is new or (old.key == new.key and old.text == new.text)
            for (_, old), (_, new) in zip(old_tools, new_tools, strict=True)):
        return  # the common case: the very same tools (often the very same objects)
    old_by_name = {tool.key: tool for _, tool in reversed(old_tools)}
    new_by_name = {tool.key: (index, tool) for index, tool in reversed(new_tools)}
    added = [name for name in new_by_name if name not in old_by_name]
    removed = [name for name in old_by_name if name not in new_by_name]
    edited = [name for name, (_, tool) in new_by_name.items()
              if name in old_by_name and not _same_definition(old_by_name[name], tool)]
    if not (added or removed or edited):
        return
    # Had the tools stayed as the previous request sent them, the tools block and everything
    # after it that this request re-sends would have been cached; what is cached instead is
    # the best prefix any earlier request shares. The difference is what the change costs.
    block = sum(current.segment_tokens[:_end(new_tools)])
    after = carried_tokens(current, previous, _TOOL_KINDS)
    # Both the re-sent prompt and the one kept in the cache (the previous tools block before
    # it) must reach the minimum: below it nothing was cached, or nothing could be served.
    old_block = sum(previous.segment_tokens[:_end(old_tools)])
    if min(block, old_block) + after < current.facts.cache.min_tokens:
        return
    best = context.best_match()
    at_risk = max(0, block + after - (best[1].tokens if best else 0))
    if at_risk == 0:
        return
    changed = set(added) | set(edited)
    request = current.request
    first_changed = min((new_by_name[name][0] for name in changed), default=None)
    path = (request.segments[first_changed].path if first_changed is not None
            else f"{body_path(request)}.tools")
    back = _back_to(context, current)
    back_note = (f"; the stream sent this same tool set at line {back.request.location.line}, "
                 "so it switches back and forth" if back is not None else "")
    yield Hit(
        location=request.location,
        path=path,
        group=",".join(sorted(set(added) | set(removed) | set(edited))),
        message=(f"the tools change since line {previous.request.location.line} "
                 f"({_describe(added, removed, edited)}){back_note}; {at_risk:,} tokens "
                 "miss the cache that an unchanged tool list would have kept (the request "
                 f"re-sends {after:,} tokens after the tools)"),
        fix="Send the session's full tool list from the first request on and keep it; restrict "
            "a turn with tool_choice allowed_tools or an instruction instead of changing the "
            "list.",
        tokens_at_risk=at_risk,
        snippet=excerpt(" ".join([*(f"+{n}" for n in added), *(f"-{n}" for n in removed),
                                  *(f"~{n}" for n in edited)]), 80),
        compared_with=previous.request.location,
        against=previous,
    )


def _end(tools: Sequence[tuple[int, Segment]]) -> int:
    """Index just past the tools block (its closing frame included)."""
    return tools[-1][0] + 2 if tools else 0


def _describe(added: list[str], removed: list[str], edited: list[str]) -> str:
    parts = []
    for verb, names in (("added", added), ("removed", removed), ("edited", edited)):
        if names:
            shown = ", ".join(repr(excerpt(name, 40)) for name in names[:_SHOWN_NAMES])
            more = f" and {len(names) - _SHOWN_NAMES} more" if len(names) > _SHOWN_NAMES else ""
            parts.append(f"{verb} {shown}{more}")
    return "; ".join(parts)


def _back_to(context: Context, current: CountedRequest) -> CountedRequest | None:
    """An earlier request (before the previous one) with exactly the current tools."""
    signature = current.derived(_signature)
    for earlier in reversed(context.history[:-1]):
        if earlier.derived(_signature) == signature:
            return earlier
    return None


def summarize(group: Group) -> str:
    """The first change, and how many requests change their tools this way."""
    return f"{group.first.message} ({group.occurrences} requests change their tools this way)"


RULE = Rule(
    code="PC202",
    name="tools-changed",
    severity=Severity.WARNING,
    summary="Tools are added, removed or edited between requests of a stream.",
    check=check,
    summarize=summarize,
)
