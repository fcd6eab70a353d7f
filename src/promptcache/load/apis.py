"""Which provider API a request body is written for, told from its fields."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from promptcache.load.formats._fields import count
from promptcache.load.formats._usage import as_sent, written_1h
from promptcache.load.formats.base import CHAT, MESSAGES, RESPONSES


def looks_anthropic(body: Mapping[str, Any]) -> bool:
    """An Anthropic Messages body: a top-level ``system`` (Chat Completions has none), a
    ``claude`` model, or ``cache_control`` breakpoints."""
    model = body.get("model")
    if "system" in body or (isinstance(model, str) and "claude" in model.lower()):
        return True
    messages = body.get("messages")
    return isinstance(messages, list) and any(
        isinstance(message, dict) and isinstance(message.get("content"), list)
        and any(isinstance(part, dict) and "cache_control" in part
                for part in message["content"])
        for message in messages)


def api_of(body: Mapping[str, Any]) -> str | None:
    """:data:`CHAT`, :data:`RESPONSES` or :data:`MESSAGES` from a body's fields; None when it
    is a request of none of them."""
    if "messages" in body:
        return MESSAGES if looks_anthropic(body) else CHAT
    if "input" in body or "instructions" in body or stored_prompt(body.get("prompt")):
        return RESPONSES
    return None


def stored_prompt(prompt: object) -> bool:
    """A Responses ``prompt`` reference (``{"id": "pmpt_...", "variables": ...}``): a valid
    body with neither ``input`` nor ``model``, both stored server-side (dd-trace-js
    ``openai_responses_post_*`` records). A string is the legacy Completions ``prompt``."""
    return isinstance(prompt, Mapping) and isinstance(prompt.get("id"), str)


def usage_of(usage: Any, api: str) -> tuple[int, int, int | None, int | None] | None:
    """A response's usage block as (every prompt token, cache reads, cache writes or None,
    the 1-hour part of those writes or None), the one meaning of
    :class:`~promptcache.load.formats.base.Usage`; None when it has no prompt count. Chat
    Completions' ``prompt_tokens`` and Responses' ``input_tokens`` include cached tokens;
    Anthropic's ``input_tokens`` excludes cache reads and writes, which are added."""
    if not isinstance(usage, Mapping):
        return None
    if api == MESSAGES:
        usage = as_sent(usage)
        base = count(usage.get("input_tokens"))
        if base is None:
            return None
        read = count(usage.get("cache_read_input_tokens")) or 0
        write = count(usage.get("cache_creation_input_tokens"))
        return base + read + (write or 0), read, write, written_1h(usage)
    total_key, details_key = (("prompt_tokens", "prompt_tokens_details") if api == CHAT
                              else ("input_tokens", "input_tokens_details"))
    total = count(usage.get(total_key))
    if total is None:
        return None
    details = usage.get(details_key)
    cached = count(details.get("cached_tokens")) if isinstance(details, Mapping) else None
    return total, cached or 0, None, None
