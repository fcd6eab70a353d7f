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
answered (``cache_hit: true``) never reached the provider and is not a call; a payload
written twice for one call (a streaming ``responses()`` call runs both success callbacks)
is read once.

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

from promptcache.load.formats.base import (
    RECOGNIZED,
    InputFormat,
    LoggedCall,
    Recognition,
    Skipped,
    not_recognized,
)
from promptcache.load.sources import LoadError, RawRecord

_PAYLOAD_KEYS = ("messages", "model_parameters", "call_type")
"""Keys every standard logging payload has, and a bare request body does not."""
_WRAPPER = "standard_logging_object"
LOGGED_TWICE = "logged twice by LiteLLM (the same litellm_call_id)"
"""Why a payload that repeats one already read is skipped: the provider saw one call."""
_ROW_KEYS = ("request_id", "call_type", "startTime")
"""Keys every spend-log row has."""


class LiteLLM(InputFormat):
    """LiteLLM's standard logging payload and its proxy's spend-log rows."""

    name = "litellm"
    title = "LiteLLM standard logging payload / proxy spend logs"
    carries = ("messages and model_parameters (tools included) rebuilt into the provider's "
               "body (Anthropic's as LiteLLM translates it), usage with cache reads and writes, "
               "start time, session, end user, key hash; lacks image data and content LiteLLM "
               "truncated; spend-log rows carry a prompt only with store_prompts_in_spend_logs")
    priority = 40

    def __init__(self) -> None:
        self._logged: set[tuple[str, str, str]] = set()
        """The payloads read so far, by :func:`_same_call_key`."""

    def recognize(self, value: Any) -> Recognition:
        if _payload(value) is not None or is_spend_row(value):
            return RECOGNIZED
        return not_recognized(
            "LiteLLM: no standard_logging_object fields (messages, model_parameters, call_type) "
            "nor spend-log columns (request_id, call_type, proxy_server_request)")

    def calls(self, records: Iterator[RawRecord | LoadError],
              ) -> Iterator[LoggedCall | LoadError | Skipped]:
        # Imported here: telling a file's format needs only the checks above.
        from promptcache.load.formats._litellm_payload import payload_call
        from promptcache.load.formats._litellm_spend import spend_row_call

        for record in records:
            if isinstance(record, LoadError):
                yield record
                continue
            found = _payload(record.value)
            if found is not None:
                key = _same_call_key(found[0])
                if key is not None and key in self._logged:
                    yield Skipped(record.location, LOGGED_TWICE)
                    continue
                if key is not None:
                    self._logged.add(key)
                yield from payload_call(record, *found)
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




def _same_call_key(payload: Mapping[str, Any]) -> tuple[str, str, str] | None:
    """What a payload LiteLLM wrote twice for one call shares: its call id, status and start
    time. A sync streaming ``responses()`` call runs both the sync and the async success
    callbacks, and a logger written as the docs show (the same line in both) writes the
    payload twice; a retried call's attempts start at different times."""
    call_id = payload.get("litellm_call_id")
    if not isinstance(call_id, str) or not call_id:
        return None
    return call_id, str(payload.get("status")), str(payload.get("startTime"))


def is_spend_row(value: Any) -> bool:
    """Whether a record is a spend-log row."""
    return (isinstance(value, Mapping) and all(key in value for key in _ROW_KEYS)
            and ("proxy_server_request" in value or "spend" in value))
