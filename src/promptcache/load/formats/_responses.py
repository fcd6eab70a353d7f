"""What a logged response tells about its call: the usage, the response id and the model
that answered, whether the log keeps the response as an object, as JSON text or as the
events of a stream."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from promptcache.load.formats._sse import is_event_stream, merged_stream
from promptcache.load.formats._usage import normalized_usage
from promptcache.load.formats.base import Usage
from promptcache.load.formats.embedded import json_text


@dataclass(frozen=True, slots=True)
class ResponseFacts:
    """The parts of a response a :class:`~promptcache.load.formats.base.LoggedCall` uses."""

    usage: Usage | None = None
    response_id: str | None = None
    model: str | None = None


NO_FACTS = ResponseFacts()


def response_facts(response: Any) -> ResponseFacts:
    """The facts of ``response`` (a decoded body, its JSON text or a stream's text); none
    when it is absent or unreadable: a call without its response is still a call."""
    if isinstance(response, str) and is_event_stream(response):
        response = merged_stream(response)
    else:
        response = json_text(response)
    if not isinstance(response, Mapping):
        return NO_FACTS
    response_id = response.get("id")
    model = response.get("model")
    return ResponseFacts(
        usage=normalized_usage(response.get("usage")),
        response_id=response_id if isinstance(response_id, str) and response_id else None,
        model=model if isinstance(model, str) and model else None,
    )


def served_model(body: Mapping[str, Any], facts: ResponseFacts) -> str | None:
    """The model the response names, when the request named another (an alias, a dated
    snapshot) or none (an Azure deployment)."""
    return facts.model if facts.model and facts.model != body.get("model") else None


REFUSED = "refused by the provider (HTTP status 400 or more)"
"""Why a refused call is skipped (see :func:`refused`)."""


def refused(status: Any) -> bool:
    """Whether an HTTP status is a provider's refusal (a rate limit, an invalid request,
    from 400 on): it processed no prompt, so the call read and wrote no cache, and its
    retry would otherwise count twice."""
    return isinstance(status, int) and not isinstance(status, bool) and status >= 400
