"""Count each request's prompt tokens the way its provider does."""

from __future__ import annotations

from dataclasses import dataclass

from promptcache.catalog import ModelFacts, facts_for
from promptcache.model import Request
from promptcache.tokens.counter import TokenCounter


@dataclass(frozen=True, slots=True)
class CountedRequest:
    """A request with its token counts."""

    request: Request
    """The normalized request."""
    facts: ModelFacts
    """The catalog row for its model."""
    segment_tokens: tuple[int, ...]
    """Tokens of each segment, parallel to ``request.segments``."""
    prompt_tokens: int
    """Total prompt tokens, what the provider reports as ``prompt_tokens``."""

    def tokens_from(self, index: int) -> int:
        """Tokens of segments ``index`` and after."""
        return sum(self.segment_tokens[index:])


class PromptCounter:
    """Counts requests, keeping one memoized :class:`TokenCounter` per encoding."""

    def __init__(self) -> None:
        self._counters: dict[str, TokenCounter] = {}

    def counter_for(self, encoding: str) -> TokenCounter:
        """The shared counter for ``encoding``."""
        counter = self._counters.get(encoding)
        if counter is None:
            counter = self._counters[encoding] = TokenCounter(encoding)
        return counter

    def flush(self) -> None:
        """Keep the tokenizations of this run for later runs (see tokens.disk_memo)."""
        for counter in self._counters.values():
            counter.flush()

    def count(self, request: Request) -> CountedRequest:
        """Count ``request``."""
        facts = facts_for(request.model)
        counter = self.counter_for(facts.encoding)
        per_segment = tuple(
            segment.fixed_tokens + counter.count(segment.text) for segment in request.segments
        )
        return CountedRequest(request, facts, per_segment, sum(per_segment))
