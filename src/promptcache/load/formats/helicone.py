"""Helicone request exports: ``npx @helicone/export`` (JSONL, the default, or a JSON array)
and the rows of its REST API (``POST /v1/request/query-clickhouse``, also saved whole as
``{"data": [...], "error": null}``).

Each row is one ``HeliconeRequest``: ``request_id``, ``request_created_at`` (ISO 8601, or
ClickHouse's ``2025-08-16 00:31:37.805``, UTC), ``request_body`` and ``response_body``
(objects, or JSON text; with ``--include-body`` the export fetches them from their signed
URL, without it both are a placeholder ``{"helicone_message": "fetching body from
signed_url..."}``), ``target_url`` (the provider URL), ``provider`` (``OPENAI``,
``ANTHROPIC``, ``AZURE``...), ``request_user_id`` (``Helicone-User-Id``),
``request_properties`` / ``properties`` (custom properties, and ``Helicone-Session-Id``),
the token columns ``prompt_tokens``, ``prompt_cache_read_tokens``,
``prompt_cache_write_tokens``, ``completion_tokens``, ``cache_reference_id`` (set when
Helicone's own cache answered), ``ai_gateway_body_mapping`` (set when Helicone's AI gateway
translated an OpenAI-shaped body for another provider).

What is read:

- **The body**: ``request_body``, as Helicone forwarded it to the provider. A row without
  one (the placeholder of an export run without ``--include-body``, a body Helicone was told
  not to store) is one :class:`LoadError` saying so: there is nothing to count.
- **The API**: ``target_url``'s path (``/v1/chat/completions``, ``/v1/responses``,
  ``/v1/messages``), else ``provider``; rows of other endpoints (embeddings, Helicone's
  custom tool and vector-database events) are no calls and are skipped.
- **The usage**: the response body's own usage when the export kept it (the provider's
  figures, one conversion); else the columns, in Helicone's meaning: ``prompt_tokens``
  excludes the cache reads for OpenAI (its OpenAI body processor subtracts them) and both
  reads and writes for Anthropic (it stores Anthropic's ``input_tokens``); they are added
  back.
- **Skipped rows**: answered from Helicone's own response cache (``cache_reference_id``
  other than the zero UUID: the provider never received them), or refused by the provider
  (``response_status`` 400 or more: it processed no prompt).

The CSV export (``--format csv``) is not read: promptcache reads JSON and JSONL, and that
CSV keeps neither the response body nor the cache columns.

References, repo Helicone/helicone: examples/export/typescript/index.ts
(``@helicone/export``: rows written, bodies fetched, the CSV's twelve columns);
valhalla/jawn/src/lib/stores/request/request.ts (the row's columns);
valhalla/jawn/src/lib/shared/bodyProcessors/openaiBodyProcessor.ts and
anthropicBodyProcessor.ts (what ``prompt_tokens`` holds). Docs:
https://docs.helicone.ai/rest/request/post-v1requestquery-clickhouse,
https://docs.helicone.ai/use-cases/etl.
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


class HeliconeFormat(InputFormat):
    """Helicone's request export (JSON/JSONL) and query API rows."""

    name = "helicone"
    title = "Helicone request export (npx @helicone/export, /v1/request/query-clickhouse)"
    carries = ("request and response bodies (with --include-body), cache read and write "
               "columns, user, Helicone-Session-Id; the CSV export is not read")

    def recognize(self, value: Any) -> Recognition:
        rows = api_rows(value)
        if is_row(value) or (rows and is_row(rows[0])):
            return RECOGNIZED
        return not_recognized("no Helicone 'request_id', 'request_created_at' and "
                              "'request_body' fields")

    def calls(self, records: Iterator[RawRecord | LoadError],
              ) -> Iterator[LoggedCall | LoadError | Skipped]:
        # Imported here: telling a file's format needs only recognize().
        from promptcache.load.formats._helicone_rows import record_calls

        return calls_of_own_records(self, "a Helicone request", records, record_calls)


def is_row(value: Any) -> bool:
    """A request row: an export's line, or one of a query API answer's rows."""
    return (isinstance(value, Mapping) and isinstance(value.get("request_id"), str)
            and "request_created_at" in value
            and ("request_body" in value or "prompt_tokens" in value))


def api_rows(value: Any) -> list[Any] | None:
    """The rows of a query API answer saved whole (``{"data": [...], "error": null}``)."""
    if isinstance(value, Mapping) and "error" in value and isinstance(value.get("data"), list):
        rows: list[Any] = value["data"]
        return rows
    return None
