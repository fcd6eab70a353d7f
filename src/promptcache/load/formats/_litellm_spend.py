"""LiteLLM proxy spend-log rows: the ``LiteLLM_SpendLogs`` table, as exported or as the
proxy's ``GET /spend/logs`` returns it.

A row's columns (``schema.prisma``, ``model LiteLLM_SpendLogs``): ``request_id`` (the
provider's response id), ``call_type``, ``api_key`` (the virtual key's hash), ``model``,
``custom_llm_provider``, ``startTime`` (an ISO date-time), ``user``, ``end_user``,
``session_id``, ``metadata`` (JSON: ``additional_usage_values`` holds Anthropic's
``cache_read_input_tokens`` / ``cache_creation_input_tokens``, also set from OpenAI's
``cached_tokens``), ``prompt_tokens``, ``cache_hit`` (the string ``"True"`` when LiteLLM's
cache answered), ``response``, ``proxy_server_request`` (JSON), ``litellm_call_id``. JSON
columns come as objects from ``/spend/logs`` and as strings from a table export; both are read.

The prompt is in ``proxy_server_request``: the body the client sent to the proxy (OpenAI
format, ``model`` the proxy's alias), stored only when the proxy runs with
``store_prompts_in_spend_logs: true``; strings over ``MAX_STRING_LENGTH_PROMPT_IN_DB``
(2048 characters by default) are cut with a ``litellm_truncated`` marker. Without it the
column is ``{}``: the row is a call with no prompt, reported as partial (its usage still
counts). The provider's body is rebuilt from it as for the standard logging payload
(``model`` is the row's, the deployment's model).

``prompt_tokens`` counts every prompt token (LiteLLM's usage, cache reads and writes
included): :class:`~.base.Usage`'s ``input_tokens`` as is.

Sources (BerriAI/litellm 1.110.2): ``litellm/proxy/schema.prisma``,
``litellm/proxy/spend_tracking/spend_tracking_utils.py`` (``get_logging_payload``,
``_get_proxy_server_request_for_spend_logs_payload``, ``_truncated_for_db``),
``litellm/proxy/_types.py`` (``SpendLogsPayload``, ``SpendLogsMetadata``),
``docs/my-website/docs/proxy/cost_tracking.md`` (``/spend/logs``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

from promptcache.load.formats._fields import mapping_of, text_of
from promptcache.load.formats._litellm_anthropic import Unreadable
from promptcache.load.formats._litellm_request import (
    CACHE_HIT,
    MESSAGES_CALL_TYPES,
    NO_PROMPT,
    NOT_PROMPT_CALL_TYPES,
    RESPONSES_CALL_TYPES,
    int_of,
    provider_request,
)
from promptcache.load.formats.base import CHAT, MESSAGES, LoggedCall, Skipped, Usage
from promptcache.load.formats.embedded import json_text
from promptcache.load.sources import LoadError, RawRecord

_PROMPT_NOT_STORED = ("the prompt (the proxy stores request bodies only with "
                      "store_prompts_in_spend_logs: true)")


def spend_row_call(record: RawRecord) -> Iterator[LoggedCall | LoadError | Skipped]:
    """The call a spend-log row records (skipped when LiteLLM's cache answered it, or for an
    embedding or another call without a prompt)."""
    row: Mapping[str, Any] = record.value
    call_type = str(row.get("call_type") or "")
    if str(row.get("cache_hit")) == "True":
        yield Skipped(record.location, CACHE_HIT)
        return
    if call_type in NOT_PROMPT_CALL_TYPES:
        yield Skipped(record.location, NO_PROMPT)
        return
    model = text_of(row.get("model"))
    if model is None:
        yield LoadError(record.location, "$.model: no model")
        return
    started = _seconds(row.get("startTime"))
    if started is None:
        yield LoadError(record.location, "$.startTime: not a date-time")
        return
    provider = str(row.get("custom_llm_provider") or "")
    stored = json_text(row.get("proxy_server_request"), None)
    if not isinstance(stored, Mapping):
        yield LoadError(record.location, "$.proxy_server_request: not a JSON object")
        return
    if stored:
        turns_key = "input" if call_type in RESPONSES_CALL_TYPES else "messages"
        try:
            request = provider_request(
                call_type=call_type, provider=provider, model=model, messages=stored.get(turns_key),
                params=stored, messages_path=f"$.proxy_server_request.{turns_key}",
                params_path="$.proxy_server_request", call_type_path="$.call_type")
        except Unreadable as problem:
            yield LoadError(record.location, str(problem))
            return
        if request is None:  # an embedding, a transcription: no prompt to cache
            yield Skipped(record.location, NO_PROMPT)
            return
        body, api, missing = request.body, request.api, request.missing
    else:
        anthropic = provider == "anthropic" or call_type in MESSAGES_CALL_TYPES
        body, api, missing = ({"model": model, "messages": []}, MESSAGES if anthropic else CHAT,
                              (_PROMPT_NOT_STORED,))
    metadata = mapping_of(json_text(row.get("metadata"), {}))
    served = mapping_of(json_text(row.get("response"), {})).get("model")
    yield LoggedCall(
        location=record.location,
        body=body,
        body_path="$.proxy_server_request",
        relocations=(("$.timestamp", "$.startTime"),),
        api=api,
        usage=_usage(row, metadata),
        timestamp=started,
        session=text_of(row.get("session_id")),
        user=text_of(row.get("end_user")),
        scope=text_of(row.get("api_key")),
        served_model=served if isinstance(served, str) and served != model else None,
        missing=missing,
        call_id=text_of(row.get("request_id")) or text_of(row.get("litellm_call_id")),
    )


def _usage(row: Mapping[str, Any], metadata: Mapping[str, Any]) -> Usage | None:
    prompt_tokens = int_of(row.get("prompt_tokens"))
    if prompt_tokens is None or (prompt_tokens == 0 and row.get("status") == "failure"):
        return None
    extra = mapping_of(metadata.get("additional_usage_values"))
    details = mapping_of(mapping_of(metadata.get("usage_object")).get("prompt_tokens_details"))
    cache_read = int_of(extra.get("cache_read_input_tokens"), int_of(details.get("cached_tokens")))
    cache_write = int_of(extra.get("cache_creation_input_tokens"),
                         int_of(details.get("cache_creation_tokens")))
    if cache_write is None and row.get("custom_llm_provider") == "anthropic":
        cache_write = 0  # LiteLLM records only a nonzero write
    return Usage(input_tokens=prompt_tokens, cache_read_tokens=cache_read or 0,
                 cache_write_tokens=cache_write)


def _seconds(value: Any) -> float | None:
    """``startTime`` as epoch seconds: an ISO date-time (UTC when it names no zone, as the
    proxy's database stores it) or, from some exports, a number already."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.replace(" ", "T", 1))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()
