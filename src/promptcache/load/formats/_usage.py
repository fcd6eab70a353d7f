"""A provider's usage block, as a response or a gateway's copy of it carries it, in the one
meaning of :class:`~promptcache.load.formats.base.Usage`.

Three shapes reach the formats built on captured responses:

- OpenAI Chat Completions: ``prompt_tokens`` counts every prompt token, cache reads
  (``prompt_tokens_details.cached_tokens``) included;
- OpenAI Responses: ``input_tokens`` likewise, reads in ``input_tokens_details``;
- Anthropic Messages: ``input_tokens`` counts only what was neither read from nor written to
  the cache (``cache_read_input_tokens``, ``cache_creation_input_tokens``).

Gateways that turn an Anthropic response into the OpenAI shape (Portkey) keep Anthropic's
meaning under OpenAI's name: ``prompt_tokens`` without the cache, the two cache fields beside
it. When a block has both names, its ``total_tokens`` tells which meaning it uses.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from promptcache.load.formats._fields import count
from promptcache.load.formats.base import Usage

_READ = "cache_read_input_tokens"
_WRITE = "cache_creation_input_tokens"
_WRITE_1H = "ephemeral_1h_input_tokens"
"""In Anthropic's ``cache_creation`` breakdown of ``cache_creation_input_tokens`` by lifetime
(beside ``ephemeral_5m_input_tokens``)."""


def as_sent(usage: Mapping[str, Any]) -> Mapping[str, Any]:
    """The usage of the request body as it was sent. When Anthropic runs one request in
    several iterations (``usage.iterations``: context-management compaction, the advisor
    tool), the top-level figures are not the body's: after a compaction they are the last
    iteration's, on the compacted prompt (pydantic-ai
    ``test_anthropic_compaction_end_to_end.yaml#0``: 55,196 input in the compaction
    iteration, 220 at the top level), and with the advisor the sum of the executor's turns
    (``test_anthropic_advisor_tool.yaml#0``: 1,128 + 1,262 = 2,390). The first iteration
    processed the body as sent, its cache reads and writes included: that one is kept."""
    iterations = usage.get("iterations")
    if isinstance(iterations, list) and iterations:
        first = iterations[0]
        if isinstance(first, Mapping) and count(first.get("input_tokens")) is not None:
            return first
    return usage


def written_1h(usage: Mapping[str, Any]) -> int | None:
    """Cache writes with the 1-hour lifetime, from an Anthropic usage block's
    ``cache_creation`` breakdown; None when the block has none."""
    breakdown = usage.get("cache_creation")
    return count(breakdown.get(_WRITE_1H)) if isinstance(breakdown, Mapping) else None


def normalized_usage(usage: Any) -> Usage | None:
    """``usage`` in the one meaning, or None when it holds no prompt count."""
    if not isinstance(usage, Mapping):
        return None
    usage = as_sent(usage)
    prompt = count(usage.get("prompt_tokens"))
    base = prompt if prompt is not None else count(usage.get("input_tokens"))
    if base is None:
        return None
    if _READ in usage or _WRITE in usage:
        read = count(usage.get(_READ)) or 0
        write = count(usage.get(_WRITE))
        if prompt is not None and _cache_already_counted(usage, prompt, read + (write or 0)):
            return Usage(prompt, read, write, written_1h(usage))
        return Usage(base + read + (write or 0), read, write, written_1h(usage))
    details = usage.get("prompt_tokens_details" if prompt is not None else "input_tokens_details")
    cached = count(details.get("cached_tokens")) if isinstance(details, Mapping) else None
    return Usage(base, cached or 0)


def _cache_already_counted(usage: Mapping[str, Any], prompt: int, cache: int) -> bool:
    """Whether an OpenAI-shaped block's ``prompt_tokens`` already includes its Anthropic
    cache fields: its total then adds only the completion to it."""
    total = count(usage.get("total_tokens"))
    completion = count(usage.get("completion_tokens")) or 0
    return cache > 0 and total is not None and total == prompt + completion
