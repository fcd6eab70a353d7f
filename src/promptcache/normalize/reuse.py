"""Reuse of the previous turn: an agent resends its whole history on every request.

Turn N+1 of a conversation starts with the messages of turn N, parsed anew by the reader into
new objects. Validating and rendering them again is most of the per-request work on an agent
log, so the normalizer remembers, per conversation, the last request's parsed messages and the
segments rendered from them. A new request whose leading messages are equal to those (compared
in C with ``==``) takes their segments as they are and validates and renders only the rest.

Exactness: ``==`` between parsed JSON values ignores object key order (which neither the
schema nor the rendering of a message depends on) but equates ``1``, ``1.0`` and ``true``,
which render differently. So a message is reused only when it is *plain*: made of strings,
nulls, objects and arrays alone (the usual case); any number or boolean in a message stops the
reuse there and the rest is checked and rendered the slow way.

Memory: bounded by conversation count and by the characters of the strings held.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import compress, count
from operator import ne
from typing import Any

import orjson

from promptcache.model import Segment

CONVERSATIONS = 128
"""Conversations remembered; the least recently continued is forgotten first."""
HELD_CHARS = 16_000_000
"""...and at most this many characters of message strings among them."""
Intern = Callable[[str, Segment], Segment]
TOOL_LISTS = 64
"""Distinct tool lists remembered as valid."""


@dataclass(frozen=True, slots=True)
class Boundary:
    """A point between messages where rendering can resume with nothing carried over."""

    message: int
    """Index of the first message after the point."""
    segments: int
    """Message segments rendered before it."""
    after_group: bool
    """True when the messages just before are a parallel-call group, which would take in a
    following tool result that answers it: resuming here needs that message to be unchanged."""


TurnContext = tuple[str, str, bool, tuple[str, int] | None]
"""(base path, model, whether the first message absorbed the tools, what every assistant
turn's header carries): the rendering of messages depends on them."""


@dataclass(frozen=True, slots=True)
class Turn:
    """What the last request of a conversation left for the next."""

    context: TurnContext
    """(base path, model, whether the first message absorbed the tools, the header assistant
    messages carry): rendering depends on them, so a turn is reused only under the same."""
    messages: Sequence[Any]
    """The parsed messages, all valid."""
    plain: tuple[bool, ...]
    """Per message: equality with ``==`` is exact for it (see the module doc)."""
    weights: tuple[int, ...]
    """Per message: characters of its strings (what holding it costs)."""
    segments: tuple[Segment, ...]
    """The message segments rendered from ``messages``."""
    boundaries: tuple[Boundary, ...]
    """Resumable points, in message order."""
    calls: tuple[tuple[int, str, str], ...]
    """(message index, call id, function name) of the tool calls, in order: tool results
    are rendered with the name of the call they answer."""


@dataclass(frozen=True, slots=True)
class Match:
    """A request matched with the last turn of its conversation."""

    key: bytes
    turn: Turn | None
    equal: int
    """Leading messages equal (and plain) in both: already valid."""

    def resume_point(self, context: TurnContext) -> tuple[Turn, Boundary] | None:
        """The previous turn and the furthest boundary of it rendering can resume from; None
        to start afresh."""
        turn = self.turn
        if turn is None or turn.context != context:
            return None
        best = None
        for boundary in turn.boundaries:
            if boundary.message > self.equal:
                break
            if boundary.message < self.equal or not boundary.after_group:
                best = boundary
        return None if best is None else (turn, best)


class TurnMemory:
    """The last turn of recent conversations, keyed by their opening messages."""

    def __init__(self, conversations: int = CONVERSATIONS, chars: int = HELD_CHARS,
                 intern: Intern | None = None) -> None:
        self.intern = intern
        """Swaps a new segment for the equal one the counter keeps (by encoding), so the
        segments a turn leaves to the next are the very objects the counter knows."""
        self._limit = conversations
        self._char_limit = chars
        self._turns: OrderedDict[bytes, Turn] = OrderedDict()
        self._chars = 0
        self._valid_tools: OrderedDict[bytes, None] = OrderedDict()

    def match(self, base_path: str, model: object, messages: object) -> Match | None:
        """Find the conversation of a request by its opening messages (system prompt and
        first user message) and count how many leading messages it repeats."""
        if not isinstance(messages, list) or not messages:
            return None
        try:
            key = orjson.dumps([base_path, model, messages[:2]])
        except TypeError:  # not JSON data; the validator will say why
            return None
        turn = self._turns.get(key)
        if turn is None:
            return Match(key, None, 0)
        # The leading run of plain messages equal in both, compared in C.
        old, plain = turn.messages, turn.plain
        limit = min(len(old), len(messages), plain.index(False) if False in plain else len(plain))
        equal = next(compress(count(), map(ne, old[:limit], messages[:limit])), limit)
        return Match(key, turn, equal)

    def tools_valid(self, tools_json: bytes | None) -> bool:
        """True when a tools list with this JSON (see :func:`serialized_tools`) passed validation
        before: agents send the same tools on every turn."""
        if tools_json is None or tools_json not in self._valid_tools:
            return False
        self._valid_tools.move_to_end(tools_json)
        return True

    def remember_valid_tools(self, tools_json: bytes) -> None:
        """A tools list with this JSON passed validation."""
        self._valid_tools[tools_json] = None
        if len(self._valid_tools) > TOOL_LISTS:
            self._valid_tools.popitem(last=False)

    def __len__(self) -> int:
        return len(self._turns)

    def remember(self, match: Match, turn: Turn) -> None:
        turns = self._turns
        previous = turns.pop(match.key, None)
        if previous is not None:
            self._chars -= sum(previous.weights)
        turns[match.key] = turn
        self._chars += sum(turn.weights)
        while turns and (len(turns) > self._limit or self._chars > self._char_limit):
            self._chars -= sum(turns.popitem(last=False)[1].weights)


def weigh(value: object) -> tuple[int, bool]:
    """(characters held by ``value``, whether it is plain: no number or boolean inside)."""
    try:
        return _weigh(value)
    except RecursionError:  # absurdly deep: hold it, but never trust ``==`` on it
        return 0, False


def _weigh(value: object) -> tuple[int, bool]:
    if isinstance(value, str):
        return len(value), True
    if value is None:
        return 0, True
    if isinstance(value, dict):
        total, plain = 0, True
        for key, item in value.items():
            weight, item_plain = _weigh(item)
            total += len(key) + weight
            plain = plain and item_plain
        return total, plain
    if isinstance(value, list):
        total, plain = 0, True
        for item in value:
            weight, item_plain = _weigh(item)
            total += weight
            plain = plain and item_plain
        return total, plain
    return 8, False


def serialized_tools(tools: object) -> bytes | None:
    """The JSON of a request's ``tools`` list, the key both to the tools already validated and
    to the rendered tools block; None for no list, an empty one, or one that is not JSON data."""
    if not isinstance(tools, list) or not tools:
        return None
    try:
        return orjson.dumps(tools)
    except TypeError:  # keys that are not strings, integers beyond 64 bits...
        return None
