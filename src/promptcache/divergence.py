"""Where two prompts stop sharing a prefix, explained for a person.

Every cross-request finding carries one of these, and ``promptcache diff`` prints one for any
two requests: which request was compared, the JSON path and token offset of the first
difference, and the two values there, trimmed.
"""

from __future__ import annotations

from dataclasses import dataclass

from promptcache.model import Location, Segment, SegmentKind
from promptcache.snippets import around
from promptcache.tokens.counting import CountedRequest
from promptcache.tokens.prefix import Encode, common_prefix_chars, shared_prefix

SNIPPET_CHARS = 48


@dataclass(frozen=True, slots=True)
class Divergence:
    """The first difference between an earlier request and a later one."""

    compared_with: Location
    """The earlier request."""
    path: str
    """JSON path, in the later request, of the first value that differs ('' if none does)."""
    token_offset: int
    """Prompt tokens the two share before the difference."""
    cacheable_tokens: int
    """Of those, what the provider could serve from its cache (its minimum and step)."""
    tokens_after: int
    """Prompt tokens of the later request from the difference on: what it must pay in full."""
    before: str
    """The earlier value at the difference, trimmed and redacted."""
    after: str
    """The later value at the difference, trimmed and redacted."""


def first_divergence(earlier: CountedRequest, later: CountedRequest,
                     encode: Encode) -> Divergence:
    """Explain where ``later`` stops sharing ``earlier``'s prefix."""
    old, new = earlier.request.segments, later.request.segments
    shared = shared_prefix(old, new, later.segment_tokens, encode)
    index = shared.segments
    tokens_after = later.prompt_tokens - shared.tokens
    rules = later.facts.cache
    cacheable = shared.tokens - shared.tokens % max(1, rules.step_tokens)
    cacheable = cacheable if cacheable >= rules.min_tokens else 0

    def explain(path: str, before: str, after: str) -> Divergence:
        return Divergence(earlier.request.location, path, shared.tokens, cacheable,
                          tokens_after, before, after)

    if index >= len(new):
        return explain("", "", "")
    ends_earlier = index >= len(old) or (
        index == len(old) - 1 and old[index].kind is SegmentKind.REPLY_PRIMING)
    if ends_earlier:
        # An append-only conversation: the earlier prompt ends where the new turn begins.
        return explain(new[index].path, "(the earlier prompt ends here)",
                       _describe(new[index], 0))
    start = common_prefix_chars(old[index].text, new[index].text)
    return explain(new[index].path, _describe(old[index], start), _describe(new[index], start))


def _describe(segment: Segment, start: int) -> str:
    if segment.kind is SegmentKind.IMAGE and segment.image is not None:
        image = segment.image
        detail = image.detail if image.detail_explicit else f"{image.detail} (not set)"
        return f"image {image.source_hint} #{image.identity[:8]}, detail {detail}"
    if not segment.text:
        words = _KIND_WORDS[segment.kind]
        return f"{words} ({segment.role} message)" if segment.role else words
    return around(segment.text, start, min(len(segment.text), start + 12), SNIPPET_CHARS)


_KIND_WORDS = {
    SegmentKind.TOOL: "a tool definition",
    SegmentKind.TOOLS_FRAME: "the framing around the tool definitions",
    SegmentKind.RESPONSE_FORMAT: "the response format",
    SegmentKind.MESSAGE_FRAME: "the message's role and framing",
    SegmentKind.TEXT: "empty text",
    SegmentKind.IMAGE: "an image",
    SegmentKind.TOOL_CALL: "a tool call",
    SegmentKind.OTHER: "a file or audio part",
    SegmentKind.REPLY_PRIMING: "the start of the reply",
}
"""What each part of a prompt is called in reports (the segment kinds are internal names)."""
