"""Braintrust: the LLM spans of project logs and experiments, as its API and exports give them.

Braintrust (https://www.braintrust.dev) stores one *event* per span. Records come as:

* pages of ``GET``/``POST /v1/project_logs/{id}/fetch`` (or ``/v1/experiment/{id}/fetch``),
  saved whole: ``{"events": [...], "cursor": ...}``
  (https://www.braintrust.dev/docs/reference/api/Logs); and ``POST /btql`` answers with
  ``"fmt": "json"``: ``{"data": [...], "schema": ...}``
  (https://www.braintrust.dev/docs/api-reference/query);
* events one per line (``/btql`` with ``"fmt": "jsonl"``), or a JSON array of them (the
  UI's download).

An event carries ``id``, ``span_id``, ``root_span_id`` (the trace), ``span_attributes``
(``{"name", "type"}``), ``created`` (ISO 8601), ``input``, ``output``, ``metadata``,
``metrics`` (``start``/``end`` in epoch seconds, token counts), ``error``. promptcache reads
the spans whose ``span_attributes.type`` is ``"llm"`` made by the SDK wrappers, which say
``metadata.provider``; other spans (functions, tools, tasks, scores) are no calls.

How each wrapper splits the request (braintrustdata/braintrust-sdk):

* ``wrap_openai`` / ``wrapOpenAI`` (``py/src/braintrust/oai.py``, ``_parse_params``):
  ``input`` is Chat Completions' ``messages`` or Responses' ``input``; ``metadata`` every
  other keyword argument plus ``provider: "openai"``. Responses spans are named
  ``openai.responses.create`` / ``.parse``, Chat spans ``Chat Completion``. A non-streamed
  Responses call then merges the whole response, minus ``output`` and ``usage``, into
  ``metadata`` (``_parse_event_from_result``): ``id``, ``object``, ``status``,
  ``created_at``... are removed again, the echoed parameters' nulls dropped, and ``model``
  is then the served snapshot. Images and files sent as ``data:`` URLs are logged as
  attachment references (``_process_attachments_in_input``): the call is partial.
* ``wrap_anthropic`` (``py/src/braintrust/wrappers/anthropic.py``) and ``wrapAnthropic``
  (``js/src/wrappers/anthropic.ts``, ``coalesceInput``): ``input`` is ``messages`` with the
  ``system`` prompt APPENDED as a last ``{"role": "system"}`` message (Anthropic takes no
  such role, so it is always the wrapper's: moved back); ``metadata`` the other parameters
  (Python: ``model``, ``max_tokens``, ``temperature``, ``top_k``, ``top_p``,
  ``stop_sequences``, ``tool_choice``, ``tools``, ``stream`` only; the first wrapper put
  them under ``model_parameters``) plus ``provider`` and the response's ``stop_reason`` /
  ``stop_sequence`` (JS), which are removed.

Usage, from ``metrics`` (``oai.py`` ``_parse_metrics_from_usage``;
``wrappers/_anthropic_utils.py`` ``finalize_anthropic_tokens``;
``js/src/wrappers/anthropic-tokens-util.ts``): ``prompt_tokens`` is OpenAI's
``prompt_tokens`` / ``input_tokens`` (cache reads included, ``prompt_cached_tokens``) and,
for Anthropic, ``input_tokens`` PLUS cache reads (``prompt_cached_tokens``) and writes
(``prompt_cache_creation_tokens``): the one meaning already, taken as is. Two exceptions are
Anthropic's own ``input_tokens`` and get the cache added: the first Python wrapper's spans
(cache fields named ``cache_read_input_tokens`` / ``cache_creation_input_tokens``), and a JS
stream that ended before its final event (no ``tokens`` total).

Sessions: ``metadata.session_id`` / ``thread_id`` / ``conversation_id`` when the application
logged one (removed from the body: it was never sent), else ``root_span_id``, the trace.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from promptcache.load.formats._fields import SESSION_KEYS, mapping_of, session_of, text_of
from promptcache.load.formats._reading import calls_of_own_records
from promptcache.load.formats._times import epoch_seconds, iso_seconds
from promptcache.load.formats.base import (
    CHAT,
    MESSAGES,
    RECOGNIZED,
    RESPONSES,
    InputFormat,
    LoggedCall,
    Recognition,
    Skipped,
    Usage,
    not_recognized,
)
from promptcache.load.sources import LoadError, RawRecord
from promptcache.model import Location

_PAGE_KEYS = ("events", "data")
"""Where a saved fetch page (``events``) or BTQL answer (``data``) lists its events."""
_PROVIDERS = ("openai", "anthropic")
_CLIENT_OPTIONS = ("extra_headers", "extra_query", "timeout", "span_info")
"""Keyword arguments the SDK sends as headers or uses itself, not as body fields."""
_ANTHROPIC_RESPONSE_KEYS = ("stop_reason", "stop_sequence")
"""What ``wrapAnthropic`` merges into the metadata from the response."""
_RESPONSE_ONLY_KEYS = ("id", "object", "created_at", "completed_at", "status", "error",
                       "incomplete_details", "output_text", "billing", "usage", "output")
"""Fields of a Responses response, not of its request, that ``wrap_openai`` merges into the
span's metadata."""
_ATTACHMENT_TYPES = ("braintrust_attachment", "external_attachment")
ATTACHMENT_REPLACED = "image or file data replaced by a Braintrust attachment reference"
"""What a call lacks when the wrapper uploaded a ``data:`` URL and logged a reference."""


class Braintrust(InputFormat):
    """Braintrust events: fetch pages, BTQL answers, events one per line."""

    name = "braintrust"
    title = "Braintrust logs and experiments (wrap_openai / wrap_anthropic LLM spans)"
    carries = ("messages or input, request parameters, usage with cache reads and writes, "
               "start time, trace; lacks images sent as data URLs (attachments) and, from "
               "Python's wrap_anthropic, parameters other than the sampling ones and tools")

    def recognize(self, value: Any) -> Recognition:
        _, page = _page(value)
        if _is_event(value) or (page is not None and (not page or _is_event(page[0]))):
            return RECOGNIZED
        return not_recognized("Braintrust: no span event ('span_id', 'root_span_id', "
                              "'span_attributes') nor a page of them ({'events': [...]})")

    def calls(self, records: Iterator[RawRecord | LoadError],
              ) -> Iterator[LoggedCall | LoadError | Skipped]:
        return calls_of_own_records(self, "a Braintrust log", records, _record_calls)


def _record_calls(record: RawRecord) -> list[LoggedCall | LoadError | Skipped]:
    value = record.value
    key, page = _page(value)
    if page is None:
        return list(_event_calls(record.location, value, "$"))
    found = [item for index, event in enumerate(page)
             for item in _event_calls(record.location, event, f"$.{key}[{index}]")]
    errors = [item for item in found if isinstance(item, LoadError | Skipped)]
    calls = [item for item in found if isinstance(item, LoggedCall)]
    if all(call.timestamp is not None for call in calls):
        # The fetch endpoint pages newest first: the page's calls are put back in the
        # order they started (the page is one record, already held whole).
        calls.sort(key=lambda call: call.timestamp or 0.0)
    return [*errors, *calls]


FAILED = "failed before the provider answered (an error and no token count)"
"""Why an LLM span that raised before any answer is skipped."""


def _page(value: Any) -> tuple[str, list[Any] | None]:
    """The key and the events of a saved fetch page or BTQL answer; no events when
    ``value`` is neither."""
    if isinstance(value, Mapping):
        for key in _PAGE_KEYS:
            events = value.get(key)
            if isinstance(events, list) and ("cursor" in value or "schema" in value
                                             or (events and _is_event(events[0]))):
                return key, events
    return "", None


def _is_event(value: Any) -> bool:
    return (isinstance(value, Mapping) and isinstance(value.get("span_attributes"), Mapping)
            and ("span_id" in value or "root_span_id" in value))


def _event_calls(location: Location, event: Any,
                 path: str) -> Iterator[LoggedCall | LoadError | Skipped]:
    if not _is_event(event):
        yield LoadError(location, f"{path}: not a Braintrust span event (no 'span_id', "
                                  "'root_span_id' and 'span_attributes')")
        return
    if event["span_attributes"].get("type") != "llm":
        return
    metadata = mapping_of(event.get("metadata"))
    metrics = mapping_of(event.get("metrics"))
    if event.get("error") and _tokens(metrics.get("prompt_tokens")) is None:
        # Raised before an answer (a refusal, a rate limit): no prompt was processed.
        yield Skipped(location, FAILED)
        return
    # The first wrapOpenAI Responses spans name the provider in span_attributes instead.
    provider = metadata.get("provider") or event["span_attributes"].get("provider")
    if provider not in _PROVIDERS:
        yield LoadError(location, f"{path}.metadata: an LLM span not made by wrap_openai or "
                                  "wrap_anthropic (no metadata.provider 'openai' or "
                                  "'anthropic'): its input is not a request's")
        return
    api = _api(provider, str(event["span_attributes"].get("name") or ""))
    input_path = f"{path}.input"
    problem = _input_problem(event.get("input"), api)
    if problem:
        yield LoadError(location, f"{input_path}: {problem}")
        return
    value, replaced = _without_attachments(event["input"])
    if api == RESPONSES and "provider" not in metadata:
        value, metadata = _unwrapped_responses_input(value, metadata)
    body, served = _body(value, metadata, api)
    yield LoggedCall(
        location=location, body=body, body_path=input_path, api=api,
        usage=_usage(metrics, api),
        timestamp=epoch_seconds(metrics.get("start")) or iso_seconds(event.get("created")),
        session=session_of(metadata) or text_of(event.get("root_span_id")),
        served_model=served,
        missing=(ATTACHMENT_REPLACED,) if replaced else (),
        call_id=text_of(event.get("id")) or text_of(event.get("span_id")),
        relocations=(("$.timestamp", f"{path}.metrics.start" if epoch_seconds(metrics.get("start"))
                      else f"{path}.created"),),
    )


def _api(provider: str, span_name: str) -> str:
    if provider == "anthropic":
        return MESSAGES
    return RESPONSES if "responses" in span_name.lower() else CHAT


def _input_problem(value: Any, api: str) -> str:
    if value is None:
        return "the LLM span has no input (not logged, or its start event is missing)"
    if api == RESPONSES and isinstance(value, str | list):
        return ""
    if not isinstance(value, list) or not all(isinstance(item, Mapping) for item in value):
        return "expected the request's messages, a list of objects"
    return ""


def _body(value: Any, metadata: Mapping[str, Any],
          api: str) -> tuple[dict[str, Any], str | None]:
    """The request body rebuilt from the span's input and metadata, and the model the
    response named when the metadata holds it instead of the request's."""
    params = {key: item for key, item in metadata.items()
              if key not in _CLIENT_OPTIONS and key not in SESSION_KEYS
              and key not in ("provider", "extra_body") and not _braintrust_prompt(key, item)}
    extra_body = metadata.get("extra_body")
    if isinstance(extra_body, Mapping):
        params.update(extra_body)  # the SDK merges it into the body it sends
    if api == MESSAGES:
        return _anthropic_body(list(value), params), None
    if api == CHAT:
        return {**params, "messages": value}, None
    served = None
    if params.get("object") == "response":
        params = {key: item for key, item in params.items()
                  if key not in _RESPONSE_ONLY_KEYS and not _unset(item)}
        served = text_of(params.get("model"))
    return {**params, "input": value}, served


def _unwrapped_responses_input(value: Any, metadata: Mapping[str, Any]
                               ) -> tuple[Any, Mapping[str, Any]]:
    """The first ``wrapOpenAI`` Responses spans (``js/src/wrappers/oai_responses.ts``,
    ``parseSpanFromResponseCreateParams``) log ``[{"role": "user", "content": INPUT}]`` and,
    when given, ``{"role": "system", "content": INSTRUCTIONS}``: the request's own
    ``input`` and ``instructions`` back."""
    if not (isinstance(value, list) and 1 <= len(value) <= 2
            and all(isinstance(item, Mapping) for item in value)
            and value[0].get("role") == "user" and "content" in value[0]):
        return value, metadata
    if len(value) == 2:
        if value[1].get("role") != "system":
            return value, metadata
        metadata = {**metadata, "instructions": value[1].get("content")}
    return value[0]["content"], metadata


def _anthropic_body(messages: list[Any], params: dict[str, Any]) -> dict[str, Any]:
    legacy = params.pop("model_parameters", None)
    if isinstance(legacy, Mapping):
        params.update(legacy)
    for key in _ANTHROPIC_RESPONSE_KEYS:
        params.pop(key, None)
    body = {**params, "messages": messages}
    if messages and messages[-1].get("role") == "system":
        body["system"] = messages[-1].get("content")
        body["messages"] = messages[:-1]
    return body


def _braintrust_prompt(key: str, value: Any) -> bool:
    """Whether ``metadata.prompt`` names the Braintrust prompt the call was built from
    (``Prompt.build()``'s ``span_info``: ``id``, ``project_id``, ``version``,
    ``variables``), not a Responses stored prompt (``{"id": "pmpt_...", ...}``), which is
    sent."""
    return key == "prompt" and isinstance(value, Mapping) and "project_id" in value


def _unset(value: Any) -> bool:
    """A parameter the response echoes as unset (``null``, ``{"effort": null, ...}``)."""
    return value is None or (isinstance(value, Mapping) and bool(value)
                             and all(item is None for item in value.values()))


def _usage(metrics: Mapping[str, Any], api: str) -> Usage | None:
    prompt = _tokens(metrics.get("prompt_tokens"))
    if prompt is None:
        return None
    legacy = ("cache_read_input_tokens", "cache_creation_input_tokens")
    if any(key in metrics for key in legacy):
        read, write = (_tokens(metrics.get(key)) for key in legacy)
        return Usage(prompt + (read or 0) + (write or 0), read or 0, write)
    read = _tokens(metrics.get("prompt_cached_tokens")) or 0
    write = _tokens(metrics.get("prompt_cache_creation_tokens"))
    if api == MESSAGES and "tokens" not in metrics:
        # Not finalized: Anthropic's input_tokens, without the cache.
        return Usage(prompt + read + (write or 0), read, write)
    return Usage(prompt, read, write)


def _tokens(value: Any) -> int | None:
    """A token count; the Python wrappers log them as floats (``1024.0``)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if value < 0 or value != int(value):
        return None
    return int(value)


def _without_attachments(value: Any) -> tuple[Any, bool]:
    """``value`` with each attachment reference (an object where the request had a
    ``data:`` URL or base64 text) written as a string naming it, so the body keeps the
    request's shape; and whether there was one."""
    if isinstance(value, Mapping):
        if value.get("type") in _ATTACHMENT_TYPES:
            return f"{value['type']}:{value.get('filename') or value.get('key') or ''}", True
        pairs = [(key, _without_attachments(item)) for key, item in value.items()]
        return ({key: item for key, (item, _) in pairs},
                any(found for _, (_, found) in pairs))
    if isinstance(value, list):
        items = [_without_attachments(item) for item in value]
        return [item for item, _ in items], any(found for _, found in items)
    return value, False
