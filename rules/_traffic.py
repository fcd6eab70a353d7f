"""Helpers shared by the rules about timing, routing and prefix length (PC002, PC401-PC405).

Not a rule (the leading underscore keeps it out of the registry): small pure functions for
what the provider would serve from its cache, whether one request is the next turn of
another, and how to word rates and durations.
"""

from __future__ import annotations

from promptcache.catalog import CacheRules
from promptcache.model import SegmentKind
from promptcache.rules._compare import body_path as body_path  # shared with the rules
from promptcache.tokens.counting import CountedRequest
from promptcache.tokens.prefix import SharedPrefix

RATE_SAMPLE = 8
"""Requests a rate is measured over: the current one and the seven before it (the engine
keeps eight earlier requests per stream and per model, so eight is what a rule can see)."""


def cacheable(tokens: int, rules: CacheRules) -> int:
    """Of a shared prefix of ``tokens``, what the provider can serve from its cache: nothing
    below the minimum, else whole steps."""
    if tokens < rules.min_tokens:
        return 0
    return tokens - tokens % max(1, rules.step_tokens)


def continues(earlier: CountedRequest, shared: SharedPrefix) -> bool:
    """True when the current request begins with the whole of ``earlier``'s prompt (up to its
    reply priming): a later turn of the same conversation, or a repeat of it."""
    segments = earlier.request.segments
    index = shared.segments
    return index >= len(segments) or (
        index == len(segments) - 1 and segments[index].kind is SegmentKind.REPLY_PRIMING)


def replies_to(current: CountedRequest, earlier: CountedRequest, shared: SharedPrefix) -> bool:
    """True when the current request holds an assistant message right where ``earlier``'s
    prompt ends: it carries that request's reply, so it was sent after the reply came."""
    if not continues(earlier, shared):
        return False
    segments = current.request.segments
    index = shared.segments
    return index < len(segments) and segments[index].role == "assistant"


def timestamp(counted: CountedRequest) -> float | None:
    """When the request was sent, if the log says."""
    return counted.request.timestamp



def per_minute(requests: int, span_seconds: float) -> float:
    """The rate of ``requests`` arrivals (the first opens the span) over ``span_seconds``,
    taken as at least one second: logs often keep whole seconds only."""
    return (requests - 1) * 60.0 / max(span_seconds, 1.0)


def tokens(count: int) -> str:
    """``1 token``, ``1,234 tokens``."""
    return f"{count:,} token" if count == 1 else f"{count:,} tokens"


def duration(seconds: float) -> str:
    """A readable duration: ``45 s``, ``12 min``, ``3.5 h``."""
    if seconds < 120:
        return f"{seconds:,.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:,.0f} min"
    return f"{seconds / 3600:,.1f} h"
