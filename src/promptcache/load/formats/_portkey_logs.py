"""How :mod:`.portkey` reads log rows into calls: kept apart so that telling a file's format
never imports it."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from promptcache.load.formats._endpoints import api_of_url
from promptcache.load.formats._fields import count, text_of
from promptcache.load.formats._gateway_translation import translation_missing
from promptcache.load.formats._responses import REFUSED, refused, response_facts, served_model
from promptcache.load.formats._times import epoch_seconds
from promptcache.load.formats.base import (
    CHAT,
    MESSAGES,
    LoggedCall,
    Skipped,
    Usage,
)
from promptcache.load.formats.embedded import json_text
from promptcache.load.formats.portkey import FLAT_REQUEST
from promptcache.load.sources import LoadError, RawRecord
from promptcache.model import Location

_FLAT_RESPONSE = "response.body"
_PORTKEY_CACHE_HITS = frozenset({"HIT", "SEMANTIC HIT", "SEMANTIC_HIT"})
_TRANSLATED_FOR = frozenset({"anthropic", "bedrock", "vertex-ai", "google"})
"""Providers whose own API is not OpenAI Chat Completions: Portkey sends them a
translation of the body it logs."""
_OPENAI_ONLY_ROLES = frozenset({"system", "developer", "tool"})


def record_calls(record: RawRecord) -> Iterator[LoggedCall | LoadError | Skipped]:
    """The call of one log row or log object, if it records one."""
    found = _row_call(record.location, record.value)
    if found is not None:
        yield found


def _row_call(location: Location,
              row: Mapping[str, Any]) -> LoggedCall | LoadError | Skipped | None:
    request, response = _part(row, "request"), _part(row, "response")
    metadata = json_text(row.get("metadata"), {})
    metadata = metadata if isinstance(metadata, Mapping) else {}
    if _answered_by_portkey(row, metadata):
        return Skipped(location, "answered by Portkey's cache")
    if refused(_status(row, response)):
        return Skipped(location, REFUSED)
    raw, body_path = _payload(row, request, FLAT_REQUEST, "request")
    body = json_text(raw)
    if not isinstance(body, Mapping) or not body:
        problem = ("not valid JSON (cut short?)" if isinstance(raw, str) and raw.strip()
                   else "no request payload: the log kept no request body")
        return LoadError(location, f"{body_path}: {problem}")
    provider = str(row.get("ai_org") or row.get("ai_provider") or "").lower()
    api, translated = _api(row, request, body, provider)
    if api is None:
        return None
    facts = response_facts(_payload(row, response, _FLAT_RESPONSE, "response")[0])
    served = served_model(body, facts)
    missing = translation_missing("Portkey", provider, body, served) if translated else ()
    record_id = row.get("id")
    return LoggedCall(
        location=location,
        body=body,
        body_path=body_path,
        api=api,
        usage=facts.usage or _units_usage(row),
        timestamp=epoch_seconds(row.get("created_at")),
        session=text_of(row.get("trace_id")) or text_of(metadata.get("trace_id"))
        or text_of(metadata.get("traceId")),
        user=text_of(metadata.get("_user")),
        scope=text_of(row.get("virtual_key")),
        served_model=served,
        missing=missing,
        call_id=text_of(record_id) or facts.response_id,
    )


def _part(row: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    """A log object's ``request`` / ``response`` wrapper (with its ``body``), else {}."""
    part = row.get(key)
    return part if isinstance(part, Mapping) and "body" in part else {}


def _payload(row: Mapping[str, Any], wrapper: Mapping[str, Any], flat: str,
             key: str) -> tuple[Any, str]:
    """The payload and its JSON path: ``request.body`` (a flattened column), a wrapper's
    ``body``, or the field itself."""
    if flat in row:
        return row[flat], f'$["{flat}"]'
    if wrapper:
        return wrapper["body"], f"$.{key}.body"
    return row.get(key), f"$.{key}"


def _answered_by_portkey(row: Mapping[str, Any], metadata: Mapping[str, Any]) -> bool:
    status = row.get("cache_status") or metadata.get("cacheStatus")
    return isinstance(status, str) and status.upper() in _PORTKEY_CACHE_HITS


def _status(row: Mapping[str, Any], response: Mapping[str, Any]) -> Any:
    return row.get("response_status_code", response.get("status"))


def _api(row: Mapping[str, Any], request: Mapping[str, Any], body: Mapping[str, Any],
         provider: str) -> tuple[str | None, bool]:
    """The API the logged body is written for (None: no prompt-taking endpoint), and whether
    Portkey sent the provider its translation of it."""
    url = next((value for value in (row.get("request_url"), request.get("url"))
                if isinstance(value, str) and value), None)
    api = api_of_url(url) if url is not None else _api_of_body(body, provider)
    if api is None:
        return None, False
    if api != CHAT and _openai_chat_shaped(body):
        api = CHAT  # the unified API: the log keeps the body before Portkey's translation
    return api, api == CHAT and provider in _TRANSLATED_FOR


def _api_of_body(body: Mapping[str, Any], provider: str) -> str | None:
    if "embed" in str(body.get("model") or ""):
        return None
    if provider == "anthropic" and not _openai_chat_shaped(body):
        return MESSAGES
    return ""


def _openai_chat_shaped(body: Mapping[str, Any]) -> bool:
    """Whether a body with ``messages`` is OpenAI Chat Completions rather than Anthropic
    Messages: OpenAI's roles, tools or fields, and no top-level ``system``."""
    messages = body.get("messages")
    if not isinstance(messages, list) or "system" in body:
        return False
    tools = body.get("tools")
    return (any(isinstance(message, Mapping) and message.get("role") in _OPENAI_ONLY_ROLES
                for message in messages)
            or (isinstance(tools, list)
                and any(isinstance(tool, Mapping) and "function" in tool for tool in tools))
            or "response_format" in body or "max_completion_tokens" in body)


def _units_usage(row: Mapping[str, Any]) -> Usage | None:
    units = count(row.get("req_units"))
    return None if units is None else Usage(units)
