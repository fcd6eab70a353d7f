"""How :mod:`.langsmith` reads runs into calls: kept apart so that telling a file's format
never imports it."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from promptcache.load.formats._failed_calls import failure
from promptcache.load.formats._fields import mapping_of, session_of, text_of
from promptcache.load.formats._langsmith_runs import Run, RunOrder
from promptcache.load.formats._request_fields import CLASS_RESPONSE_FORMAT, is_wire_response_format
from promptcache.load.formats._strict_schema import put_back_class_formats
from promptcache.load.formats._times import iso_seconds
from promptcache.load.formats.base import (
    CHAT,
    MESSAGES,
    RESPONSES,
    InputFormat,
    LoggedCall,
    Skipped,
    Usage,
)
from promptcache.load.formats.langsmith import holds_runs, runs
from promptcache.load.sources import LoadError, RawRecord

_CLIENT_OPTIONS = ("extra_headers", "extra_query", "timeout")
"""Keyword arguments the SDK sends as headers or uses itself, not as body fields."""


def _call(run: Run) -> LoggedCall | LoadError | Skipped:
    fields = run.fields
    inputs = fields.get("inputs")
    metadata = mapping_of(mapping_of(fields.get("extra")).get("metadata"))
    body_path = f"{run.path}.inputs"
    problem = _not_a_request(inputs)
    if problem:
        return LoadError(run.location, f"{body_path}: {problem}")
    assert isinstance(inputs, Mapping)
    provider = str(metadata.get("ls_provider") or "")
    body, api = _body(inputs, provider)
    missing = _class_schemas_dropped(body)
    outputs = mapping_of(fields.get("outputs"))
    served = outputs.get("model")
    usage = _usage(metadata.get("usage_metadata") or outputs.get("usage_metadata")
                   # An exported run's own columns, the same counts (schemas.Run).
                   or {"input_tokens": fields.get("prompt_tokens"),
                       "input_token_details": fields.get("prompt_token_details")})
    # The wrappers log a call that raised (a 429...) as a run with the exception's text.
    failed = failure(fields.get("error")) if usage is None else None
    if failed:
        return Skipped(run.location, failed)
    return LoggedCall(
        location=run.location, body=body, body_path=body_path, api=api, usage=usage,
        timestamp=iso_seconds(fields.get("start_time")),
        session=session_of(metadata) or text_of(fields.get("trace_id")),
        served_model=served if isinstance(served, str) and served != body.get("model") else None,
        missing=missing, call_id=text_of(fields.get("id")),
        relocations=(("$.timestamp", f"{run.path}.start_time"),),
    )


def _not_a_request(inputs: Any) -> str:
    if not isinstance(inputs, Mapping) or not inputs:
        return ("the LLM run has no inputs (hidden with LANGSMITH_HIDE_INPUTS, or its post "
                "is missing)")
    messages = inputs.get("messages")
    if isinstance(messages, list) and messages and isinstance(messages[0], list | str):
        return ("LangChain chat-model inputs (messages as LangChain objects), not the request "
                "body: trace the provider SDK with langsmith.wrappers instead")
    if not isinstance(messages, list) and "input" not in inputs:
        return "not a request's keyword arguments: expected 'messages' or 'input'"
    return ""


def _body(inputs: Mapping[str, Any], provider: str) -> tuple[dict[str, Any], str]:
    body = {key: value for key, value in inputs.items()
            if key not in _CLIENT_OPTIONS and key != "extra_body"}
    extra_body = inputs.get("extra_body")
    if isinstance(extra_body, Mapping):
        body.update(extra_body)
    if provider == "anthropic":
        # `client.beta.messages.create(betas=[...])`: the SDK sends them as the
        # `anthropic-beta` header, not in the body.
        body.pop("betas", None)
        messages = body.get("messages")
        if (isinstance(messages, list) and messages and isinstance(messages[0], Mapping)
                and messages[0].get("role") == "system"):
            # The wrapper's own move (Anthropic takes no system role in messages): undone.
            body["system"] = messages[0].get("content")
            body["messages"] = messages[1:]
        return body, MESSAGES
    return body, RESPONSES if "messages" not in body else CHAT


def _class_schemas_dropped(body: dict[str, Any]) -> tuple[str, ...]:
    """``parse()`` calls: the wrapper logs the Python class (Chat Completions'
    ``response_format``, as its repr) or its plain JSON schema (Responses' ``text_format``,
    ``_process_inputs``), not the strict schema the SDK derives and sends. A JSON schema is
    derived again as the SDK does (:mod:`._strict_schema`); a class's repr cannot be: it is
    removed, and the call is partial."""
    response_format = body.get("response_format")
    if is_wire_response_format(response_format):
        response_format = None
    else:
        body.pop("response_format", None)
    derived = put_back_class_formats(body, response_format=response_format,
                                     text_format=body.pop("text_format", None))
    return () if derived else (CLASS_RESPONSE_FORMAT,)


def _usage(value: Any) -> Usage | None:
    usage = mapping_of(value)
    total = usage.get("input_tokens")
    if not isinstance(total, int):
        return None
    details = mapping_of(usage.get("input_token_details"))
    write_parts = [details[key] for key in ("cache_creation", "ephemeral_5m_input_tokens",
                                            "ephemeral_1h_input_tokens")
                   if isinstance(details.get(key), int)]
    read = details.get("cache_read")
    return Usage(input_tokens=total, cache_read_tokens=read if isinstance(read, int) else 0,
                 cache_write_tokens=sum(write_parts) if write_parts else None)



def _is_llm_patch(fields: Mapping[str, Any]) -> bool:
    """Whether a patch whose post never came was an LLM run's: it says so, or it carries what
    only the wrappers' LLM runs carry (token usage, the provider)."""
    if "run_type" in fields:
        return bool(fields["run_type"] == "llm")
    metadata = mapping_of(mapping_of(fields.get("extra")).get("metadata"))
    return "usage_metadata" in metadata or "ls_provider" in metadata


def _orphan_error(orphan: Run) -> LoadError:
    run_id = orphan.fields.get("id")
    return LoadError(orphan.location, f"{orphan.path}: patch of LLM run {run_id}, whose post "
                     "(with the inputs) is not in this file: the call cannot be read")




def run_calls(fmt: InputFormat, records: Iterator[RawRecord | LoadError],
              ) -> Iterator[LoggedCall | LoadError | Skipped]:
    """The calls of one file's runs, each once its post and patch are both read."""
    order = RunOrder()
    for record in records:
        if isinstance(record, LoadError):
            yield record
            continue
        for op, path, run in runs(record.value):
            located = Run(record.location, path, run)
            if run.get("run_type", "llm") != "llm" or (op == "post" and "run_type" not in run):
                order.skip(str(run.get("id")))
            elif op == "patch":
                order.patch(located)  # a patch may leave out the run's type
            else:
                order.post(located)
        if not holds_runs(record.value):
            yield LoadError(record.location, "$: " + fmt.recognize(record.value).reason)
        for ready in order.ready():
            yield _call(ready)
    finished, orphans = order.drain()
    for left in finished:
        yield _call(left)
    for orphan in orphans:
        if _is_llm_patch(orphan.fields):
            yield _orphan_error(orphan)
