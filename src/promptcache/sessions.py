"""Group requests into sessions: the streams of requests that share a cache.

A log that says which requests belong together is taken at its word: ``prompt_cache_key``
first (it is what the provider scopes the cache by), then a session id from the record's
metadata, then ``user``. Otherwise a request joins the session whose latest request it
extends (its prompt begins with that whole earlier prompt, as each turn of a conversation
does) when that request is recent enough to still be cached; anything else starts a session
of its own. Lookups go through a hash of each prompt's segments, so finding the session costs
one dictionary probe per segment, not a comparison with every open conversation.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

from promptcache.model import Segment, SegmentKind
from promptcache.tokens.counting import CountedRequest

MAX_OPEN_SESSIONS = 100_000
"""Inferred sessions remembered at once; the least recently extended is forgotten first."""


@dataclass(frozen=True, slots=True)
class SessionId:
    """Which session a request belongs to, and how that was decided."""

    label: str
    """Unique within the run, e.g. ``key:tenant-7``, ``session:abc``, ``auto:12``."""
    inferred: bool
    """True when the log did not say and the prompt's shape did."""


def _segment_digest(segment: Segment) -> int:
    image = segment.image
    return hash((segment.kind, segment.role, segment.fixed_tokens, segment.text,
                 None if image is None else (image.identity, image.detail)))


def _prompt_digests(segments: tuple[Segment, ...]) -> list[int]:
    """Rolling digests of every prefix of the prompt, without the reply priming."""
    digests = []
    running = 0
    for segment in segments:
        if segment.kind is SegmentKind.REPLY_PRIMING:
            break
        running = hash((running, _segment_digest(segment)))
        digests.append(running)
    return digests


class SessionTracker:
    """Assigns each request, in order, to its session."""

    def __init__(self, lifetime_seconds: float | None = None) -> None:
        self._lifetime = lifetime_seconds
        self._open: OrderedDict[int, tuple[str, float | None]] = OrderedDict()
        self._count = 0

    def assign(self, counted: CountedRequest) -> SessionId:
        """The session of ``counted`` (which then becomes that session's latest request)."""
        request = counted.request
        if request.cache_key:
            return SessionId(f"key:{request.cache_key}", inferred=False)
        if request.session:
            return SessionId(f"session:{request.session}", inferred=False)
        if request.user:
            return SessionId(f"user:{request.user}", inferred=False)
        digests = _prompt_digests(request.segments)
        label = self._continued(digests, request.timestamp,
                                float(self._lifetime if self._lifetime is not None
                                      else counted.facts.cache.lifetime_seconds))
        if label is None:
            self._count += 1
            label = f"auto:{self._count}"
        if digests:
            self._open[digests[-1]] = (label, request.timestamp)
            self._open.move_to_end(digests[-1])
            if len(self._open) > MAX_OPEN_SESSIONS:
                self._open.popitem(last=False)
        return SessionId(label, inferred=True)

    def _continued(self, digests: list[int], now: float | None, lifetime: float) -> str | None:
        # The longest earlier whole prompt this one starts with; not the prompt itself (an
        # identical resend is a retry, which also belongs to that session).
        for digest in reversed(digests):
            entry = self._open.get(digest)
            if entry is None:
                continue
            label, then = entry
            if now is None or then is None or now - then <= lifetime:
                return label
        return None
