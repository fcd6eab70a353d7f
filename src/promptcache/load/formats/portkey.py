"""Portkey log exports: the in-app export (Exports > Request Data, a JSONL file), the older
support export with its flattened columns, and log objects as Portkey's logs API takes and
returns them (``POST``/``GET /v1/logs``).

Three shapes of one log:

- **In-app export** rows: ``id``, ``trace_id``, ``created_at``, ``request`` and
  ``response`` (the JSON payloads as Portkey's log view shows them), ``ai_org`` (the
  provider), ``ai_model``, ``req_units`` / ``res_units`` / ``total_units`` (tokens),
  ``cost``, ``response_time``, ``response_status_code``, ``config``, ``prompt_slug``,
  ``metadata`` (the ``x-portkey-metadata`` keys, ``_user`` among them).
- **Support export** rows (the email-requested JSONL): the same facts under
  ``request.body``, ``response.body``, ``request_url``, ``cache_status`` (``HIT``,
  ``SEMANTIC HIT``, ``MISS``, ``DISABLED``), ``virtual_key``, ``stream_mode``...
- **Log objects**: ``{"request": {"url", "method", "headers", "body"}, "response":
  {"status", "headers", "body", "response_time"}, "metadata": {"trace_id", "span_id",
  "cacheStatus", ...}}``.

What is read:

- **The body**: the request payload. Through Portkey's unified API the application sends
  OpenAI Chat Completions and Portkey translates it for the provider; the log keeps what the
  application sent. Such a call to a Claude model on Anthropic is complete: the audit
  redoes the translation (:mod:`._gateway_translation`). One to Bedrock, Vertex AI or Google
  is audited as OpenAI Chat Completions and reported partial (the provider's prompt
  differs). A row whose
  request payload is absent or unreadable is one :class:`LoadError` at its JSON path.
- **The API**: the provider URL's path (``request_url``, ``request.url``), else the body's
  shape and the provider.
- **The usage**: the response's own usage in one meaning. Portkey's OpenAI-shaped answer
  for Anthropic keeps Anthropic's meaning (``prompt_tokens`` without the cache, beside
  ``cache_read_input_tokens`` / ``cache_creation_input_tokens``): they are added back.
  Without a response, ``req_units`` is taken as the prompt's tokens.
- **Skipped rows**: answered from Portkey's cache (``cache_status`` ``HIT`` or
  ``SEMANTIC HIT``: the provider never received them), refused by the provider (status 400
  or more), and other endpoints (embeddings, images).
- ``trace_id`` is the session; ``metadata._user`` the end user; ``virtual_key`` (a key's
  name, not the key) the scope. Headers are never read.

References: https://portkey.ai/docs/product/observability/logs-export (in-app export
fields), repo Portkey-AI/docs-core@product/observability/logs-export.mdx (the support
export's columns), https://portkey.ai/docs/api-reference (``/logs``: the log object),
https://portkey.ai/docs/product/observability/metadata (``_user``), repo
Portkey-AI/gateway@src/providers/anthropic/chatComplete.ts (the OpenAI-shaped usage it
writes for Anthropic).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from promptcache.load.formats._reading import calls_of_own_records
from promptcache.load.formats.base import (
    RECOGNIZED,
    InputFormat,
    LoggedCall,
    Recognition,
    Skipped,
    not_recognized,
)
from promptcache.load.sources import LoadError, RawRecord

_EXPORT_FIELDS = frozenset({"ai_org", "ai_provider", "ai_model", "req_units", "res_units",
                            "total_units", "cache_status", "trace_id", "response_time",
                            "response_status_code", "is_success", "prompt_slug",
                            "virtual_key"})
FLAT_REQUEST = "request.body"
"""The key of an export row's request payload (a flattened ``request.body``)."""


class PortkeyFormat(InputFormat):
    """Portkey's log exports and log objects."""

    name = "portkey"
    title = "Portkey log export (in-app export, support export, /v1/logs objects)"
    carries = ("request and response payloads, provider, trace id, metadata._user, cache "
               "status; unified-API calls keep the OpenAI-form body (translated for Claude as "
               "LiteLLM does; for other providers partial)")

    def recognize(self, value: Any) -> Recognition:
        if not isinstance(value, Mapping):
            return not_recognized(_NOT_PORTKEY)
        # A row keeps its "request" key even when Portkey logged no payload (null).
        has_request = FLAT_REQUEST in value or "request" in value
        if has_request and (_EXPORT_FIELDS & value.keys() or _is_log_object(value)):
            return RECOGNIZED
        return not_recognized(_NOT_PORTKEY)

    def calls(self, records: Iterator[RawRecord | LoadError],
              ) -> Iterator[LoggedCall | LoadError | Skipped]:
        # Imported here: telling a file's format needs only recognize().
        from promptcache.load.formats._portkey_logs import record_calls

        return calls_of_own_records(self, "a Portkey log", records, record_calls)


_NOT_PORTKEY = ("no Portkey 'request' with 'ai_org', 'ai_model' or 'trace_id' fields, nor a "
                "log object's 'request.body'")


def _is_log_object(value: Mapping[str, Any]) -> bool:
    request, response = value.get("request"), value.get("response")
    return (isinstance(request, Mapping) and "body" in request
            and isinstance(response, Mapping) and "body" in response)
