"""Helpers shared by the rules about how a prompt's messages change between requests
(PC106-PC109).

Not a rule (the leading underscore keeps it out of the registry): the prompt cut into rendered
messages, the "system prompt" (the leading system and developer messages), whether one
request continues the conversation of another, and whether two texts differ in more than a
short span. The four rules split the evidence between them with these predicates, so one
change is reported by one rule:

- the current request *continues* an earlier one of a session (its last messages reappear,
  followed by new ones): history-rewritten (PC109) when the history changed, or
  system-prompt-changed (PC108) when the system prompt did; volatile-before-stable (PC106)
  and examples-reshuffled (PC107) stay quiet;
- otherwise (parallel requests built from one template, or a stream without a session),
  PC106 reports volatile content ahead of a stable run, PC107 a reshuffled window.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from promptcache.engine.detect.whitespace import same_apart_from_whitespace
from promptcache.engine.rule_api import extends as extends  # the engine skips on it too
from promptcache.model import ImageRef, Request, Segment, SegmentKind
from promptcache.tokens.counting import CountedRequest
from promptcache.tokens.prefix import (
    common_prefix_chars,
    common_suffix_chars,
    same_content,
)

SHORT_SPAN_CHARS = 64
"""A differing span of at most this many characters is one changing value: the
dynamic-content rules' evidence (PC101-PC104 use the same default), never these rules'."""

INSTRUCTION_ROLES = frozenset({"system", "developer"})
"""Roles of the messages that make up the system prompt when they lead the conversation."""

SegmentKey = tuple[SegmentKind, str | None, str, int, ImageRef | None]


def segment_key(segment: Segment) -> SegmentKey:
    """What makes two segments render the same (as :func:`promptcache.tokens.prefix.same_content`),
    as a hashable value."""
    return (segment.kind, segment.role, segment.text, segment.fixed_tokens, segment.image)


@dataclass(frozen=True, slots=True)
class Message:
    """One rendered message: its frame segment and the content segments after it."""

    start: int
    """Index of the frame segment."""
    end: int
    """Index after the last content segment."""
    role: str | None
    """The role on the frame."""


@dataclass(frozen=True, slots=True)
class Layout:
    """A prompt cut into its prelude (tools, response format) and its rendered messages."""

    prelude: int
    """Segments before the first message."""
    messages: tuple[Message, ...]
    """The messages in order (the reply priming is in none)."""
    system: int
    """How many leading messages are system or developer messages: the system prompt."""

    @property
    def conversation(self) -> tuple[Message, ...]:
        """The messages after the system prompt."""
        return self.messages[self.system:]


def layout(segments: Sequence[Segment]) -> Layout:
    """``segments`` cut into prelude and messages."""
    messages: list[Message] = []
    prelude = len(segments)
    start: int | None = None
    frame, priming = SegmentKind.MESSAGE_FRAME, SegmentKind.REPLY_PRIMING
    for index, segment in enumerate(segments):
        kind = segment.kind
        if kind is frame or kind is priming:
            if start is not None:
                messages.append(Message(start, index, segments[start].role))
            else:
                prelude = min(prelude, index)
            start = index if kind is frame else None
    if start is not None:
        messages.append(Message(start, len(segments), segments[start].role))
    system = 0
    while system < len(messages) and messages[system].role in INSTRUCTION_ROLES:
        system += 1
    return Layout(prelude, tuple(messages), system)


def request_layout(counted: CountedRequest) -> Layout:
    """The :func:`layout` of a request's prompt, worked out once per request: the
    conversation rules look at each earlier request again from every later one."""
    return counted.derived(_layout_of)


def _layout_of(counted: CountedRequest) -> Layout:
    return layout(counted.request.segments)


def same_message(left: Sequence[Segment], message: Message, right: Sequence[Segment],
                 other: Message) -> bool:
    """True when two messages (of two requests) render the same, wherever they sit."""
    length = message.end - message.start
    if other.end - other.start != length:
        return False
    return all(same_content(left[message.start + offset], right[other.start + offset])
               for offset in range(length))


def message_key(segments: Sequence[Segment], message: Message) -> tuple[SegmentKey, ...]:
    """The message's content as a hashable value (paths left out)."""
    return tuple(segment_key(segment) for segment in segments[message.start:message.end])


def message_text(segments: Sequence[Segment], messages: Sequence[Message]) -> str:
    """The text of ``messages``, one piece per segment, joined by a separator no prompt holds."""
    return "\x00".join(segment.text for message in messages
                       for segment in segments[message.start:message.end])


def in_session(request: Request) -> bool:
    """True when the request names its session: a ``prompt_cache_key``, a session id or a
    user, so its stream holds one application's conversations rather than a whole model's."""
    return bool(request.cache_key or request.session or request.user)


def continued_at(earlier: Layout, old_segments: Sequence[Segment], current: Layout,
                 new_segments: Sequence[Segment]) -> int | None:
    """Where the current request continues ``earlier``'s conversation: the index, in the
    current conversation, of the earlier request's last message, when its last two messages
    (one, if it has only one) reappear there in order with at least one new message after
    them. None when the current request does not continue it (another conversation, or the
    last message itself was changed)."""
    old = earlier.conversation
    if not old:
        return None
    new = current.conversation
    tail = old[-2:]
    for position in range(len(new) - 2, len(tail) - 2, -1):
        if not same_message(old_segments, tail[-1], new_segments, new[position]):
            continue
        if len(tail) == 1 or same_message(old_segments, tail[0], new_segments, new[position - 1]):
            return position
    return None


def continues_conversation(earlier: CountedRequest, current: CountedRequest) -> bool:
    """True when the current request is a later turn of ``earlier``'s conversation, whether
    it appends to it or rewrites it (see :func:`continued_at`)."""
    if extends(earlier, current):
        return True
    old, new = earlier.request.segments, current.request.segments
    return continued_at(request_layout(earlier), old, request_layout(current), new) is not None


def differing_span(old: str, new: str) -> tuple[int, int, int]:
    """(start, end in ``old``, end in ``new``) of the part that differs, once the common
    prefix and the common suffix are taken off."""
    start = common_prefix_chars(old, new)
    suffix = common_suffix_chars(old, new, start)
    return start, len(old) - suffix, len(new) - suffix


def substantially_different(old: str, new: str, short: int = SHORT_SPAN_CHARS) -> bool:
    """True when ``old`` and ``new`` differ in more than one short span, and in more than
    whitespace (short spans and whitespace are the dynamic-content rules' evidence)."""
    if old == new:
        return False
    start, old_end, new_end = differing_span(old, new)
    if max(old_end, new_end) - start <= short:
        return False
    return not same_apart_from_whitespace(old[start:old_end], new[start:new_end])
