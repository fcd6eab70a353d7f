"""Anthropic's explicit prompt cache (``cache_control`` breakpoints), replayed over the log.

Evidence: Anthropic's "Prompt caching" guide (platform.claude.com, build-with-claude/
prompt-caching; checked 2026-12), sections named below; shared/domain.md; the recorded calls
in shared/data (see ``bench/anthropic_cache.py`` for how the model compares with them).

- Prefix order is tools, then system, then messages ("How prompt caching works"). An entry is
  the whole prefix through one content block: a chained hash of every segment up to and
  including that block (message frames included, so a role change is a different prefix),
  with the tokens of that prefix. Changing a tool definition changes every later hash, which
  is the guide's "tool definitions invalidate everything" by construction.
- Only breakpoints write ("Cache breakpoints"): a request with no ``cache_control`` neither
  reads nor writes. A breakpoint whose prefix is below the model's minimum cacheable length
  (per model, in the catalogue) is not cached and costs nothing extra ("Cache limitations").
- Reads ("Lookback" / automatic prefix checking): from each breakpoint the provider checks the
  block boundaries behind it, 20 at most counting the breakpoint's own block, for an entry an
  earlier request wrote; the read is the longest such hit over all breakpoints.
- Writes and their lifetimes ("Mixing different TTLs"): with A the read point, B the last
  1-hour breakpoint past A and C the last breakpoint past A, the request writes B - A tokens
  at the 1-hour lifetime and C - max(A, B) at the 5-minute one. Entries live 5 minutes (or 1
  hour) from their last use: a read refreshes them ("Cache lifetime").
- Requests the API rejects, so nothing is read or written: more than 4 breakpoints
  ("Cache limitations"), and a 1-hour breakpoint after a 5-minute one (1-hour entries must come
  first, "Mixing different TTLs").
- Caches are separate per organization (one log is one organization) and per model; a
  ``tool_choice`` or thinking setting that changes, and images added to or removed from the
  prompt, invalidate the messages but not the tools or system ("What invalidates the cache"):
  those settings, and whether the prompt has an image, are mixed into the chain where the
  messages begin (:data:`MESSAGES_INVALIDATED_BY`).

The recorded calls (shared/data, by ``meta.source``) that show these rules at work:

- append-only turns read the last turn's write and write only the new turn: Future-House/ldp
  ``TestCachedTokenCosts.test_anthropic_incremental_cache_with_conversation.yaml#1..#3``
  (reads 2,611 / 2,701 / 2,611, writes 90 / 131 / 7), tidyverse/ellmer
  ``anthropic-web-fetch.yml#2..#3``;
- a write then a read of the same prefix: traceloop/openllmetry
  ``test_prompt_caching/test_anthropic_prompt_caching_legacy.yaml#0..#1`` (1,163 written,
  then 1,163 read);
- the entry ends with its breakpoint's block, not with the prompt: what follows the last block
  (the reply priming) is billed as input, Future-House/ldp
  ``test_cache_read_cost_accuracy[claude-sonnet-4-5-20250929-True].yaml#0`` (1,764 read of
  1,767, ``input_tokens`` 3);
- the 1-hour part first: DataDog/dd-trace-py
  ``litellm/cassettes/completion_anthropic_cache_write_1h_ttl.yaml#0`` (a 1h breakpoint on the
  system, a 5m one on the message: 2,056 written for an hour, the 14 after it for 5 minutes).

``bench/anthropic_cache.py`` replays all of them and says where the model and they differ.

The same machinery replays gpt-5.6's explicit mode (``prompt_cache_breakpoint`` markers), with
that mode's rules from the catalogue: a lookback of one block (no fallback to an unmarked
prefix) and one lifetime.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from itertools import accumulate

from promptcache.cache.simulator import SWEEP_EVERY, Prediction
from promptcache.catalog import CacheRules
from promptcache.model import BLOCK_KINDS, Segment, SegmentKind
from promptcache.tokens.prefix import identical_prefix

FIVE_MINUTES = "5m"
ONE_HOUR = "1h"

MESSAGES_INVALIDATED_BY = ("tool_choice", "thinking")
"""Request settings whose change invalidates the cached messages but not the tools or system
(the guide's "What invalidates the cache" table, checked 2026-12)."""

_PROMPT_ROLES = (None, "system")
"""Roles of the segments before the messages: tool definitions have none, system blocks
``system``."""


@dataclass(frozen=True, slots=True)
class Block:
    """One content block's place in the prompt."""

    prefix_hash: bytes
    """Chained hash of the prompt through this block."""
    end: int
    """Tokens of the prompt through this block, frames before it included."""
    breakpoint: str
    """``5m`` / ``1h`` when the block carries ``cache_control``, else ''."""


@dataclass(slots=True)
class _Chain:
    """A prompt's segments with the chained digest and token end after each."""

    segments: tuple[Segment, ...]
    settings: bytes
    digests: list[bytes]
    ends: list[int]
    messages_at: int
    """Index of the first segment of the messages (where the settings enter the chain)."""

    def extend(self, segments: Sequence[Segment], tokens: Sequence[int], start: int) -> None:
        """Chain ``segments[start:]`` on after the first ``start`` segments."""
        digest = self.digests[start - 1] if start else b""
        end = self.ends[start - 1] if start else 0
        del self.digests[start:], self.ends[start:]
        for index in range(start, len(segments)):
            segment = segments[index]
            step = hashlib.blake2b(digest, digest_size=16)
            if index == self.messages_at:
                step.update(self.settings)
            step.update(_identity(segment))
            digest = step.digest()
            end += tokens[index]
            self.digests.append(digest)
            self.ends.append(end)

    def blocks(self) -> tuple[Block, ...]:
        """The content blocks, each with the hash and tokens of the prefix it ends."""
        return tuple(Block(digest, end, segment.breakpoint) for segment, digest, end
                     in zip(self.segments, self.digests, self.ends, strict=True)
                     if segment.kind in BLOCK_KINDS)


def _chain(segments: Sequence[Segment], settings: Mapping[str, str]) -> _Chain:
    messages_at = next((index for index, segment in enumerate(segments)
                        if segment.role not in _PROMPT_ROLES), len(segments))
    has_image = any(segment.kind is SegmentKind.IMAGE for segment in segments)
    return _Chain(tuple(segments), _settings_identity(settings, has_image), [], [],
                  messages_at)


def prompt_blocks(segments: Sequence[Segment], tokens: Sequence[int],
                  settings: Mapping[str, str]) -> tuple[Block, ...]:
    """The content blocks of a prompt, each with the hash and token length of the prefix it
    ends. ``tokens`` is parallel to ``segments``."""
    chain = _chain(segments, settings)
    chain.extend(segments, tokens, 0)
    return chain.blocks()


class BlockHasher:
    """:func:`prompt_blocks` of successive prompts, hashing only what changed since the last
    prompt of the same lane (a conversation resends its history: only the new turn is
    hashed)."""

    def __init__(self, lanes: int = 128) -> None:
        self._lanes: OrderedDict[str, _Chain] = OrderedDict()
        self._limit = lanes

    def blocks(self, lane: str, segments: tuple[Segment, ...], tokens: Sequence[int],
               settings: Mapping[str, str]) -> tuple[Block, ...]:
        """The content blocks of the prompt ``segments``."""
        chain = _chain(segments, settings)
        previous = self._lanes.get(lane)
        kept = 0
        if previous is not None:
            kept = identical_prefix(previous.segments, segments)
            if previous.settings != chain.settings or previous.messages_at != chain.messages_at:
                kept = min(kept, previous.messages_at, chain.messages_at)
            # The same segments may be counted otherwise in this prompt (a count anchored on
            # recorded usage, see promptcache.anchoring): token ends are kept only as far as
            # they still add up.
            kept = _same_ends(previous.ends, tokens, kept)
            chain.digests, chain.ends = previous.digests[:kept], previous.ends[:kept]
        chain.extend(segments, tokens, kept)
        self._lanes[lane] = chain
        self._lanes.move_to_end(lane)
        if len(self._lanes) > self._limit:
            self._lanes.popitem(last=False)
        return chain.blocks()


def _same_ends(ends: Sequence[int], tokens: Sequence[int], kept: int) -> int:
    """How many of the first ``kept`` ``ends`` are the running sums of ``tokens``."""
    running = list(accumulate(tokens[:kept]))
    if running == ends[:kept]:
        return kept  # the common case, compared in C
    return next(index for index, end in enumerate(running) if end != ends[index])


def _identity(segment: Segment) -> bytes:
    image = segment.image
    picture = "" if image is None else f"{image.identity}|{image.detail}"
    return (f"{segment.kind}\x00{segment.role}\x00{segment.key}\x00{segment.fixed_tokens}"
            f"\x00{picture}\x00{segment.text}\x01").encode()


def _settings_identity(settings: Mapping[str, str], has_image: bool) -> bytes:
    named = "\x00".join(f"{name}={settings.get(name, '')}" for name in MESSAGES_INVALIDATED_BY)
    return f"{named}\x00image={has_image}\x02".encode()


def rejection(blocks: Sequence[Block], rules: CacheRules, every_breakpoint: str = "") -> str:
    """Why the API would reject the request's breakpoints ('' when it accepts them), with
    every breakpoint at ``every_breakpoint`` when given."""
    marks = [every_breakpoint or block.breakpoint for block in blocks if block.breakpoint]
    if len(marks) > rules.max_breakpoints:
        return (f"{len(marks)} cache_control breakpoints: the API allows "
                f"{rules.max_breakpoints} and rejects the request")
    if ONE_HOUR in marks and FIVE_MINUTES in marks[:marks.index(ONE_HOUR)]:
        return ("a 1h cache_control breakpoint after a 5m one: the API requires the "
                "1-hour entries first and rejects the request")
    return ""


def read_point(blocks: Sequence[Block], marks: Sequence[int], lookback: int,
               cached: Callable[[bytes], bool]) -> int:
    """Index of the block ending the longest prefix that any breakpoint (``marks``, indexes
    into ``blocks``) finds ``cached`` within ``lookback`` blocks of itself, its own included;
    -1 when none does."""
    best = -1
    for mark in sorted(marks, reverse=True):
        if mark <= best:
            break  # an earlier breakpoint cannot find anything past this one's hit
        for index in range(mark, max(best, mark - lookback), -1):
            if cached(blocks[index].prefix_hash):
                best = index
                break
    return best


@dataclass(slots=True)
class _Entry:
    tokens: int
    lifetime: float
    last_used: float

    def alive(self, now: float | None) -> bool:
        return now is None or now - self.last_used <= self.lifetime


class ExplicitCache:
    """Entries written at breakpoints, per scope (model and cache key), each with its own
    lifetime from last use."""

    def __init__(self, rules: CacheRules, lifetime_seconds: float | None = None,
                 every_breakpoint: str = "") -> None:
        """``lifetime_seconds`` replaces the 5-minute lifetime (the run's ``--lifetime``);
        ``every_breakpoint`` (``5m`` / ``1h``) replays every breakpoint at that lifetime, to
        compare what each would cost."""
        self._lifetimes = {
            FIVE_MINUTES: float(rules.lifetime_seconds if lifetime_seconds is None
                                else lifetime_seconds),
            ONE_HOUR: float(rules.long_lifetime_seconds or rules.lifetime_seconds),
        }
        self._every = every_breakpoint
        self._scopes: dict[str, dict[bytes, _Entry]] = {}
        self._replays = 0

    def replay(self, scope: str, blocks: Sequence[Block], rules: CacheRules,
               now: float | None) -> Prediction:
        """Predict one request at time ``now`` (None: no clock, nothing expires), then keep
        what it writes."""
        reason = rejection(blocks, rules, self._every)
        if reason:
            return Prediction(0, 0, 0, rejected=reason)
        entries = self._scopes.setdefault(scope, {})
        if now is not None:
            self._replays += 1
            if self._replays % SWEEP_EVERY == 0:
                self._sweep(now)
        marks = [index for index, block in enumerate(blocks) if block.breakpoint]
        read_at = self._read_point(entries, blocks, marks, rules.lookback_blocks, now)
        read = blocks[read_at].end if read_at >= 0 else 0
        stamp = now if now is not None else 0.0
        if read_at >= 0:
            entries[blocks[read_at].prefix_hash].last_used = stamp
        written = written_1h = 0
        for index in marks:
            block = blocks[index]
            if block.end < rules.min_tokens:
                continue  # below the minimum: not cached, no premium
            lifetime = self._lifetime(block.breakpoint)
            entry = entries.get(block.prefix_hash)
            if index <= read_at:
                # Inside what was read: kept warm, never billed as a write.
                if entry is None or not entry.alive(now):
                    entries[block.prefix_hash] = _Entry(block.end, lifetime, stamp)
                else:
                    entry.last_used, entry.lifetime = stamp, max(entry.lifetime, lifetime)
                continue
            entries[block.prefix_hash] = _Entry(block.end, lifetime, stamp)
            if self._ttl(block.breakpoint) == ONE_HOUR:
                written_1h = block.end - read
            written = block.end - read
        return Prediction(cached_tokens=read, written_tokens=written, cached_tokens_low=read,
                          written_1h_tokens=written_1h)

    @staticmethod
    def _read_point(entries: dict[bytes, _Entry], blocks: Sequence[Block], marks: list[int],
                    lookback: int, now: float | None) -> int:
        """Index of the block ending the longest live entry any breakpoint finds in its
        lookback, or -1."""
        def alive(prefix_hash: bytes) -> bool:
            entry = entries.get(prefix_hash)
            return entry is not None and entry.alive(now)
        return read_point(blocks, marks, lookback, alive)

    def _ttl(self, breakpoint: str) -> str:
        return self._every or breakpoint

    def _lifetime(self, breakpoint: str) -> float:
        # Any breakpoint but a 1-hour one lives the rules' default lifetime (OpenAI's explicit
        # mode marks its breakpoints with its own 30-minute ttl).
        return self._lifetimes.get(self._ttl(breakpoint), self._lifetimes[FIVE_MINUTES])

    def _sweep(self, now: float) -> None:
        for scope, entries in list(self._scopes.items()):
            for key in [key for key, entry in entries.items() if not entry.alive(now)]:
                del entries[key]
            if not entries:
                del self._scopes[scope]

    def copy(self) -> ExplicitCache:
        """An independent cache with the same entries."""
        twin = ExplicitCache.__new__(ExplicitCache)
        twin._lifetimes = dict(self._lifetimes)
        twin._every = self._every
        twin._scopes = {scope: {key: _Entry(entry.tokens, entry.lifetime, entry.last_used)
                                for key, entry in entries.items()}
                        for scope, entries in self._scopes.items()}
        twin._replays = self._replays
        return twin

    def __len__(self) -> int:
        return sum(len(entries) for entries in self._scopes.values())
