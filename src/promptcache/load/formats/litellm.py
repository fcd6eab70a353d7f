"""LiteLLM: the standard logging payload, and the proxy's spend-log rows.

**The standard logging payload** (``StandardLoggingPayload``) is what LiteLLM hands every
logging callback as ``kwargs["standard_logging_object"]``: a ``CustomLogger``, the s3 / GCS
bucket loggers and the JSON file logger write it as is, one object per call. A record is
that object, or a callback's ``kwargs`` holding it under ``standard_logging_object``.
It keeps the request as the caller gave it to LiteLLM: ``messages`` (OpenAI format) and
``model_parameters`` (the OpenAI parameters: ``tools``, ``temperature``, ``max_tokens``,
``user``, ``response_format``, ``tool_choice``...), with ``model`` and
``custom_llm_provider`` naming where it went. The body is rebuilt from them: as it is for
OpenAI-compatible providers, as LiteLLM translates it for Anthropic
(:mod:`._litellm_anthropic`).

Usage: ``prompt_tokens`` (top level) counts every prompt token, cache reads and writes
included, for Anthropic too (LiteLLM adds ``cache_read_input_tokens`` and
``cache_creation_input_tokens`` to Anthropic's ``input_tokens``: ``calculate_usage`` in
``litellm/llms/anthropic/chat/transformation.py``): it is :class:`~.base.Usage`'s
``input_tokens`` as is. Cache reads come from ``metadata.usage_object.prompt_tokens_details
.cached_tokens`` (or the response's usage), cache writes (Anthropic) from
``metadata.usage_object.cache_creation_input_tokens``.

Also read: ``startTime`` (epoch seconds), the session (``session_id``, else ``trace_id``,
which holds ``litellm_session_id`` / ``litellm_trace_id`` when given), ``end_user``, the
hashed API key ``metadata.user_api_key_hash`` as the cache scope, ``response.model`` when
it differs, the call id (``id``, else ``litellm_call_id``). A record LiteLLM's own cache
answered (``cache_hit: true``) never reached the provider and is not a call.

What the payload loses (the call is then partial, with what is missing): base64 image data
(LiteLLM logs ``data:image/png;base64,[base64_data truncated: 75B]``), strings LiteLLM
truncated (``... (litellm_truncated skipped N chars ...) ...``), messages redacted by
``turn_off_message_logging``, and what the Anthropic translation cannot redo.

**Spend-log rows** are :mod:`._litellm_spend`'s.

Sources (BerriAI/litellm 1.110.2): ``litellm/types/utils.py`` (``StandardLoggingPayload``),
``litellm/litellm_core_utils/litellm_logging.py`` (``get_standard_logging_object_payload``,
``append_system_prompt_messages``), ``litellm/litellm_core_utils/model_param_helper.py``
(which parameters ``model_parameters`` keeps), ``litellm/litellm_core_utils/logging_utils.py``
(``truncate_base64_in_messages``), ``docs/my-website/docs/proxy/logging_spec.md``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from promptcache.load.formats._litellm_anthropic import Unreadable
from promptcache.load.formats._litellm_request import (
    CACHE_HIT,
    MESSAGES_CALL_TYPES,
    NO_PROMPT,
    int_of,
    mapping_of,
    provider_request,
    text_of,
)
from promptcache.load.formats._litellm_spend import is_spend_row, spend_row_call
from promptcache.load.formats.base import (
    RECOGNIZED,
    InputFormat,
    LoggedCall,
    Recognition,
    Skipped,
    Usage,
    not_recognized,
)
from promptcache.load.sources import LoadError, RawRecord

_PAYLOAD_KEYS = ("messages", "model_parameters", "call_type")
"""Keys every standard logging payload has, and a bare request body does not."""
_WRAPPER = "standard_logging_object"


class LiteLLM(InputFormat):
    """LiteLLM's standard logging payload and its proxy's spend-log rows."""

    name = "litellm"
    title = "LiteLLM standard logging payload / proxy spend logs"
    carries = ("messages and model_parameters (tools included) rebuilt into the provider's "
               "body (Anthropic's as LiteLLM translates it), usage with cache reads and writes, "
               "start time, session, end user, key hash; lacks image data and content LiteLLM "
               "truncated; spend-log rows carry a prompt only with store_prompts_in_spend_logs")
    priority = 40

    def recognize(self, value: Any) -> Recognition:
        if _payload(value) is not None or is_spend_row(value):
            return RECOGNIZED
        return not_recognized(
            "LiteLLM: no standard_logging_object fields (messages, model_parameters, call_type) "
            "nor spend-log columns (request_id, call_type, proxy_server_request)")

    def calls(self, records: Iterator[RawRecord | LoadError],
              ) -> Iterator[LoggedCall | LoadError | Skipped]:
        for record in records:
            if isinstance(record, LoadError):
                yield record
                continue
            found = _payload(record.value)
            if found is not None:
                yield from _payload_call(record, *found)
            elif is_spend_row(record.value):
                yield from spend_row_call(record)
            else:
                yield LoadError(record.location, self.recognize(record.value).reason)


def _payload(value: Any) -> tuple[Mapping[str, Any], str] | None:
    """The standard logging payload in a record, and its JSON path."""
    if isinstance(value, Mapping) and isinstance(value.get(_WRAPPER), Mapping):
        value, path = value[_WRAPPER], f"$.{_WRAPPER}"
    else:
        path = "$"
    if isinstance(value, Mapping) and all(key in value for key in _PAYLOAD_KEYS):
        return value, path
    return None


def _payload_call(record: RawRecord, payload: Mapping[str, Any],
                  path: str) -> Iterator[LoggedCall | LoadError | Skipped]:
    if payload.get("cache_hit") is True:
        # Answered from LiteLLM's own cache: the provider never saw it.
        yield Skipped(record.location, CACHE_HIT)
        return
    params = payload.get("model_parameters")
    if not isinstance(params, Mapping):
        yield LoadError(record.location, f"{path}.model_parameters: not an object")
        return
    model = payload.get("model")
    if not isinstance(model, str) or not model:
        yield LoadError(record.location, f"{path}.model: no model")
        return
    call_type = str(payload.get("call_type") or "")
    messages, params, system_missing = _messages_with_system(
        payload.get("messages"), call_type, params)
    try:
        request = provider_request(
            call_type=call_type, provider=str(payload.get("custom_llm_provider") or ""),
            model=model, messages=messages, params=params, messages_path=f"{path}.messages",
            params_path=f"{path}.model_parameters", call_type_path=f"{path}.call_type")
    except Unreadable as problem:
        yield LoadError(record.location, str(problem))
        return
    if request is None:  # an embedding, a transcription: no prompt to cache
        yield Skipped(record.location, NO_PROMPT)
        return
    metadata = mapping_of(payload.get("metadata"))
    response = mapping_of(payload.get("response"))
    served = response.get("model")
    yield LoggedCall(
        location=record.location,
        body=request.body,
        body_path=path,
        api=request.api,
        usage=_usage(payload, metadata, response),
        timestamp=_seconds(payload.get("startTime")),
        session=text_of(payload.get("session_id")) or text_of(payload.get("trace_id")),
        user=text_of(payload.get("end_user")) or text_of(metadata.get("user_api_key_end_user_id")),
        scope=text_of(metadata.get("user_api_key_hash")),
        served_model=served if isinstance(served, str) and served != model else None,
        missing=(*system_missing, *request.missing),
        call_id=text_of(payload.get("id")) or text_of(payload.get("litellm_call_id")),
    )


def _messages_with_system(messages: Any, call_type: str, params: Mapping[str, Any]
                          ) -> tuple[Any, Mapping[str, Any], tuple[str, ...]]:
    """For a ``/v1/messages`` call, the messages and parameters with the system prompt back
    in ``system``: LiteLLM logs it as a system message in front of the others
    (``append_system_prompt_messages``), and only when it was a string."""
    if call_type not in MESSAGES_CALL_TYPES or not isinstance(messages, list):
        return messages, params, ()
    first = messages[0] if messages else None
    if isinstance(first, Mapping) and first.get("role") == "system":
        return messages[1:], {**params, "system": first.get("content")}, ()
    return messages, params, (
        "the system prompt (LiteLLM logs a /v1/messages system only when it is a string)",)


def _usage(payload: Mapping[str, Any], metadata: Mapping[str, Any],
           response: Mapping[str, Any]) -> Usage | None:
    prompt_tokens = payload.get("prompt_tokens")
    if not isinstance(prompt_tokens, int) or isinstance(prompt_tokens, bool) or (
            prompt_tokens == 0 and payload.get("status") == "failure"):
        return None
    usage_object = mapping_of(metadata.get("usage_object")) or mapping_of(response.get("usage"))
    details = mapping_of(usage_object.get("prompt_tokens_details"))
    cache_read = int_of(details.get("cached_tokens"),
                        int_of(usage_object.get("cache_read_input_tokens")))
    cache_write: int | None = None
    if (payload.get("custom_llm_provider") == "anthropic"
            or "cache_creation_input_tokens" in usage_object):
        cache_write = int_of(usage_object.get("cache_creation_input_tokens"),
                           int_of(details.get("cache_creation_tokens")))
    return Usage(input_tokens=prompt_tokens, cache_read_tokens=cache_read or 0,
                 cache_write_tokens=cache_write)


def _seconds(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None
