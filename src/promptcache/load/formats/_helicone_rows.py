"""How :mod:`.helicone` reads request rows into calls: kept apart so that telling a file's
format never imports it."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from promptcache.load.formats._endpoints import api_of_url
from promptcache.load.formats._fields import count
from promptcache.load.formats._gateway_translation import ANTHROPIC, translation_missing
from promptcache.load.formats._responses import (
    REFUSED,
    ResponseFacts,
    refused,
    response_facts,
    served_model,
)
from promptcache.load.formats._times import epoch_seconds
from promptcache.load.formats.base import (
    CHAT,
    MESSAGES,
    LoggedCall,
    Skipped,
    Usage,
)
from promptcache.load.formats.embedded import json_text
from promptcache.load.formats.helicone import api_rows, is_row
from promptcache.load.sources import LoadError, RawRecord
from promptcache.model import Location

_NO_CACHE_REFERENCE = "00000000-0000-0000-0000-000000000000"
_SESSION_PROPERTY = "helicone-session-id"
_CUSTOM_EVENT = "_type"
"""Helicone's custom events (``{"_type": "tool" | "vector_db" | ...}``) log no prompt."""


def record_calls(record: RawRecord) -> Iterator[LoggedCall | LoadError | Skipped]:
    """The calls of one record: an export's row, or every row of a query API answer."""
    rows = api_rows(record.value)
    if rows is None:
        yield from _row_call(record.location, record.value, "$")
        return
    for index, row in enumerate(rows):
        yield from _row_call(record.location, row, f"$.data[{index}]")


def _row_call(location: Location, row: Any,
              path: str) -> Iterator[LoggedCall | LoadError | Skipped]:
    if not is_row(row):
        yield LoadError(location, f"{path}: not a Helicone request row")
        return
    if _answered_by_helicone(row):
        yield Skipped(location, "answered by Helicone's cache")
        return
    if refused(row.get("response_status")):
        yield Skipped(location, REFUSED)
        return
    body_path = f"{path}.request_body"
    raw = row.get("request_body")
    body = json_text(raw)
    problem = _body_problem(raw, body)
    if problem is not None:
        yield LoadError(location, f"{body_path}: {problem}")
        return
    if _CUSTOM_EVENT in body:
        return
    api, translated = _api(row, body)
    if api is None:
        return
    facts = response_facts(row.get("response_body"))
    served = served_model(body, _with_model(facts, row))
    missing = (translation_missing("Helicone's AI gateway", str(row.get("provider") or ""),
                                   body, served) if translated else ())
    yield LoggedCall(
        location=location,
        body=body,
        body_path=body_path,
        api=api,
        usage=facts.usage or _column_usage(row, api),
        timestamp=epoch_seconds(row.get("request_created_at")),
        session=_session(row),
        user=_text(row.get("request_user_id")),
        served_model=served,
        missing=missing,
        call_id=row["request_id"],
        relocations=(("$.timestamp", f"{path}.request_created_at"),),
    )


def _answered_by_helicone(row: Mapping[str, Any]) -> bool:
    reference = row.get("cache_reference_id")
    return isinstance(reference, str) and reference not in ("", _NO_CACHE_REFERENCE)


def _body_problem(raw: Any, body: Any) -> str | None:
    if isinstance(raw, str) and raw.strip() and body is None:
        return "not valid JSON (cut short?)"
    if not isinstance(body, Mapping):
        return "no request body: the row holds no JSON object"
    if "helicone_message" in body and len(body) == 1:
        return ("no request body: the export holds Helicone's placeholder (run "
                "npx @helicone/export with --include-body)")
    if not body:
        return "no request body: Helicone did not store it (Helicone-Omit-Request)"
    return None


def _api(row: Mapping[str, Any], body: Mapping[str, Any]) -> tuple[str | None, bool]:
    """The API the body is written for (None: no prompt-taking endpoint), and whether the
    AI gateway sent the provider its translation of it."""
    provider = str(row.get("provider") or "").lower()
    url = next((row[key] for key in ("target_url", "request_path")
                if isinstance(row.get(key), str) and row[key]), None)
    api = api_of_url(url) if url is not None else (MESSAGES if provider == ANTHROPIC else "")
    if api is None:
        return None, False
    if str(row.get("ai_gateway_body_mapping") or "").upper() == "OPENAI" and api != CHAT:
        # The gateway logs the body the application sent (OpenAI Chat Completions) and sends
        # the provider its own translation of it, which the log does not keep.
        return CHAT, True
    return api, False


def _column_usage(row: Mapping[str, Any], api: str) -> Usage | None:
    prompt = count(row.get("prompt_tokens"))
    if prompt is None:
        return None
    read = count(row.get("prompt_cache_read_tokens")) or 0
    write = count(row.get("prompt_cache_write_tokens"))
    if api == MESSAGES or str(row.get("provider") or "").upper() == "ANTHROPIC":
        return Usage(prompt + read + (write or 0), read, write)
    return Usage(prompt + read, read, write if write else None)


def _with_model(facts: ResponseFacts, row: Mapping[str, Any]) -> ResponseFacts:
    """The response's model, else the row's ``response_model``."""
    if facts.model is None and isinstance(row.get("response_model"), str):
        return ResponseFacts(facts.usage, facts.response_id, row["response_model"] or None)
    return facts


def _session(row: Mapping[str, Any]) -> str | None:
    for key in ("request_properties", "properties"):
        properties = json_text(row.get(key))
        if isinstance(properties, Mapping):
            for name, value in properties.items():
                if str(name).lower() == _SESSION_PROPERTY and _text(value):
                    return str(value)
    return None


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None
