"""How :mod:`.litellm` reads a standard logging payload into a call: kept apart so that
telling a file's format never imports LiteLLM's request rebuilding."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from promptcache.load.formats._fields import mapping_of, text_of
from promptcache.load.formats._litellm_anthropic import Unreadable
from promptcache.load.formats._litellm_python_repr import message_from_repr
from promptcache.load.formats._litellm_request import (
    CACHE_HIT,
    MESSAGES_CALL_TYPES,
    NO_PROMPT,
    int_of,
    provider_request,
)
from promptcache.load.formats._responses import REFUSED, refused
from promptcache.load.formats.base import LoggedCall, Skipped, Usage
from promptcache.load.sources import LoadError, RawRecord


def payload_call(record: RawRecord, payload: Mapping[str, Any],
                  path: str) -> Iterator[LoggedCall | LoadError | Skipped]:
    if payload.get("cache_hit") is True:
        # Answered from LiteLLM's own cache: the provider never saw it.
        yield Skipped(record.location, CACHE_HIT)
        return
    if payload.get("status") == "failure" and refused(_error_status(payload)):
        # A rate limit, an invalid request (LiteLLM's own refusals, such as an image URL
        # it would not fetch, are 400s too): no prompt was processed, nothing cached.
        yield Skipped(record.location, REFUSED)
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
        _objects_as_dicts(payload.get("messages")), call_type, params)
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
        relocations=(("$.timestamp", f"{path}.startTime"),
                     *((f"{path}.{key}", f"{path}.model_parameters.{key}")
                       for key in params if key in request.body)),
    )


def _objects_as_dicts(messages: Any) -> Any:
    """The messages with those a logger wrote as Python text (LiteLLM's ``Message``
    objects, through ``default=str``) read back as the dicts they stand for."""
    if not isinstance(messages, list):
        return messages
    return [message_from_repr(message) or message if isinstance(message, str) else message
            for message in messages]


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


def _error_status(payload: Mapping[str, Any]) -> int | None:
    """The HTTP status of a failed call: ``error_information.error_code`` ("429")."""
    code = mapping_of(payload.get("error_information")).get("error_code")
    if isinstance(code, str) and code.isdigit():
        return int(code)
    return int_of(code)


def _seconds(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None
