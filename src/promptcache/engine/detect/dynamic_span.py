"""One short span that changes between two requests, with equal content after it.

The evidence behind dynamic-prefix (PC101), timestamp-in-prefix (PC102), id-in-prefix
(PC103) and user-data-in-prefix (PC104): the current request and the earlier request of its
stream that shares the longest prefix with it are equal up to a short span of one segment,
and equal again after it for at least a few dozen tokens. The span is widened to whole words,
named by :func:`promptcache.values.classify`, and given a :class:`ValueFamily`; each of the
four rules reports only the spans of its family, so one span makes exactly one of them fire.

Texts that differ only in whitespace are not a changing value: whitespace-drift (PC105)
reports them, and :func:`find_dynamic_span` leaves them alone.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum

from promptcache.engine.detect.whitespace import same_apart_from_whitespace
from promptcache.engine.findings import Hit, Repair
from promptcache.engine.rule_api import Context, Group
from promptcache.model import Segment, SegmentKind, same_place
from promptcache.snippets import excerpt
from promptcache.tokens.counting import CountedRequest
from promptcache.tokens.prefix import common_prefix_chars, common_suffix_chars, same_content
from promptcache.values import ID_KINDS, TIME_KINDS, USER_DATA_KINDS, classify

TEXT_KINDS = frozenset({SegmentKind.TEXT, SegmentKind.TOOL, SegmentKind.RESPONSE_FORMAT,
                        SegmentKind.TOOL_CALL})
"""Segments whose text a changing value can sit in."""
INSTRUCTION_ROLES = frozenset({"system", "developer"})
"""Roles whose messages hold the application's instructions, the same for every user."""

_SLOT_NAMES = {SegmentKind.TOOL: "a tool definition",
               SegmentKind.RESPONSE_FORMAT: "the response format",
               SegmentKind.TOOL_CALL: "a tool call"}
_WIDEN_LEFT, _WIDEN_RIGHT, _CUE_CHARS = 64, 96, 48


class ValueFamily(StrEnum):
    """Which rule reports a changing value."""

    TIME = "time"
    """A timestamp, date, time of day or weekday: timestamp-in-prefix (PC102)."""
    ID = "id"
    """A UUID, request, trace or session id, hex id or nonce: id-in-prefix (PC103)."""
    USER_DATA = "user data"
    """An email address, name, phone or account number in the instructions or tool
    definitions: user-data-in-prefix (PC104)."""
    OTHER = "other"
    """Anything else (a counter, a random token, user data in a conversation message):
    dynamic-prefix (PC101)."""


@dataclass(frozen=True, slots=True)
class DynamicSpan:
    """A short span of one segment that differs from the earlier request, with equal
    content after it."""

    earlier: CountedRequest
    """The earlier request of the stream compared with (the one sharing the longest prefix)."""
    index: int
    """Index of the segment holding the span, in both requests."""
    segment: Segment
    """That segment, in the current request."""
    start: int
    """Character offset in the segment's text where the two requests first differ."""
    old_value: str
    """The earlier request's value, widened to whole words."""
    new_value: str
    """The current request's value, widened to whole words."""
    kind: str
    """What the value is, as :func:`promptcache.values.classify` names it."""
    family: ValueFamily
    """Which rule reports it."""
    where: str
    """The slot in words: "the system message", "a tool definition"..."""
    tokens_after: int
    """Tokens of the current request after the span that equal the earlier request's."""
    repair: Repair
    """The fix as a segment edit: the value cut out of the segment and appended at the end."""

    @property
    def path(self) -> str:
        """JSON path of the segment holding the value."""
        return self.segment.path


SPAN_OPTIONS: dict[str, int] = {"max-span-chars": 64, "min-shared-tokens": 32}
"""The options every rule built on this detector has, with their defaults."""
SPAN_OPTIONS_SCHEMA: dict[str, dict[str, object]] = {
    "max-span-chars": {"type": "integer", "minimum": 1},
    "min-shared-tokens": {"type": "integer", "minimum": 1},
}
"""Their JSON Schema, for configuration."""


def find_dynamic_span(context: Context) -> DynamicSpan | None:
    """The changing span of the current request, or None.

    Reads the rule's ``max-span-chars`` (the longest span that is one value) and
    ``min-shared-tokens`` (how many equal tokens must follow it) from ``context.options``.
    """
    match = context.best_match()
    if match is None:
        return None
    earlier, shared = match
    if not earlier.cacheable:
        return None  # below the minimum nothing of it was cached: the span cost nothing
    index = shared.segments
    old_segments, new_segments = earlier.request.segments, context.current.request.segments
    if index >= len(old_segments) or index >= len(new_segments):
        return None
    old, new = old_segments[index], new_segments[index]
    if (old.kind is not new.kind or new.kind not in TEXT_KINDS
            or not same_place(earlier.request, old.path, context.current.request, new.path)):
        return None
    if old.canonical and old.canonical == new.canonical:
        return None  # the same JSON with its keys reordered: the key-order rules' evidence
    start = common_prefix_chars(old.text, new.text)
    end_offset = common_suffix_chars(old.text, new.text, start)
    old_end, new_end = len(old.text) - end_offset, len(new.text) - end_offset
    old_span, new_span = old.text[start:old_end], new.text[start:new_end]
    if max(len(old_span), len(new_span)) > int(context.options["max-span-chars"]):
        return None
    if same_apart_from_whitespace(old_span, new_span):
        return None  # only whitespace changed: whitespace-drift's evidence, not a value
    following = context.encode(new.text[new_end:]) if end_offset else ()
    tokens_after = len(following) + _equal_tokens_after(context, old_segments, index)
    if tokens_after < int(context.options["min-shared-tokens"]):
        return None
    if shared.tokens + tokens_after < context.current.facts.cache.min_tokens:
        return None  # even without the span the shared prefix stays below the minimum
    old_start, old_stop = _whole_words(old.text, start, old_end)
    new_start, new_stop = _whole_words(new.text, start, new_end)
    old_value, new_value = old.text[old_start:old_stop], new.text[new_start:new_stop]
    line_start = new.text.rfind("\n", 0, new_start) + 1
    before = new.text[max(line_start, new_start - _CUE_CHARS):new_start]
    kind = classify(old_value, new_value, before)
    return DynamicSpan(
        earlier=earlier,
        index=index,
        segment=new,
        start=start,
        old_value=old_value,
        new_value=new_value,
        kind=kind,
        family=family_of(kind, new),
        where=slot_name(new),
        tokens_after=tokens_after,
        repair=Repair(
            replace=((index, replace(new, text=new.text[:new_start] + new.text[new_stop:])),),
            append=(Segment(SegmentKind.TEXT, new.path, new_value, role=new.role),),
        ),
    )


def family_of(kind: str, segment: Segment) -> ValueFamily:
    """Which rule reports a value of ``kind`` found in ``segment``."""
    if kind in TIME_KINDS:
        return ValueFamily.TIME
    if kind in ID_KINDS:
        return ValueFamily.ID
    if kind in USER_DATA_KINDS and in_instructions(segment):
        return ValueFamily.USER_DATA
    return ValueFamily.OTHER


def in_instructions(segment: Segment) -> bool:
    """True for the parts of a prompt the application writes for every user alike: system and
    developer messages, tool definitions, the response format."""
    if segment.kind in (SegmentKind.TOOL, SegmentKind.RESPONSE_FORMAT):
        return True
    return segment.kind is SegmentKind.TEXT and segment.role in INSTRUCTION_ROLES


def slot_name(segment: Segment) -> str:
    """The slot in words, for messages: "the system message", "a tool definition"."""
    if segment.kind in _SLOT_NAMES:
        return _SLOT_NAMES[segment.kind]
    return f"the {segment.role or 'a'} message"


def span_hit(context: Context, span: DynamicSpan, subject: str, fix: str) -> Hit:
    """The hit for ``span``: ``subject`` names the value in the message ("a timestamp")."""
    return Hit(
        location=context.current.request.location,
        path=span.path,
        group=f"{context.current.request.place(span.path)} {span.kind}",
        message=(f"{subject} changes inside {span.where} ({span.path}, character "
                 f"{span.start}); the {span.tokens_after:,} tokens after it are the same but "
                 "cannot be cached"),
        fix=fix,
        tokens_at_risk=span.tokens_after,
        snippet=f"{excerpt(span.old_value, 40)} -> {excerpt(span.new_value, 40)}",
        compared_with=span.earlier.request.location,
        against=span.earlier,
        repair=span.repair,
    )


def summarize(group: Group) -> str:
    """The first hit's message, with how many requests repeat it."""
    return f"{group.first.message} (in {group.occurrences} requests)"


def differs_only_in_whitespace(old: str, new: str) -> bool:
    """True when ``old`` and ``new`` differ, but not once whitespace is taken out."""
    if old == new:
        return False
    start = common_prefix_chars(old, new)
    end_offset = common_suffix_chars(old, new, start)
    return same_apart_from_whitespace(old[start:len(old) - end_offset],
                                      new[start:len(new) - end_offset])


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
    while start > 0 and not text[start - 1].isspace() and start > end - _WIDEN_LEFT:
        start -= 1
    while end < len(text) and not text[end].isspace() and end < start + _WIDEN_RIGHT:
        end += 1
    return start, end
