"""LangSmith: the LLM runs its SDK wrappers record, as posted and as exported.

LangSmith (https://smith.langchain.com) records each traced call as a *run*. promptcache
reads the runs of ``langsmith.wrappers.wrap_openai`` / ``wrap_anthropic`` (``run_type:
"llm"``), whose ``inputs`` are the SDK call's keyword arguments, i.e. the request body
(langsmith-sdk ``python/langsmith/wrappers/_openai.py`` and ``_anthropic.py``, langsmith
0.15.1). Records come as:

* operations ``{"op": "post"|"patch", "run": {...}}``, one a line: what the client sends to
  ``/runs/multipart`` (or ``/runs/batch``), decoded; a batch ``{"post": [...], "patch":
  [...]}`` is read the same way;
* runs as exported: one run object a line (``client.list_runs(...)``, each run's ``.dict()``
  / ``.json()``), or a JSON array of them (``GET /api/v1/runs/{id}``, the UI's export);
  https://docs.smith.langchain.com/reference/python/client/langsmith.client.Client#list_runs.

Rebuilt bodies, from the wrappers' source:

* OpenAI: ``inputs`` minus the client-only options (``extra_headers``, ``extra_query``,
  ``timeout``), with ``extra_body`` merged in as the SDK does.
* Anthropic: the wrapper moves ``system`` into ``messages`` as a first ``{"role":
  "system"}`` message (``_strip_not_given``); it is moved back.
* Usage: ``extra.metadata.usage_metadata`` (or the outputs'), whose ``input_tokens`` is
  "the sum of all input token types" (``langsmith/schemas.py``, ``UsageMetadata``): OpenAI's
  ``prompt_tokens`` as is, Anthropic's ``input_tokens`` plus cache reads and writes (the
  wrapper adds them). ``input_token_details.cache_read`` is the cache read;
  ``cache_creation`` (or ``ephemeral_5m_input_tokens`` + ``ephemeral_1h_input_tokens``) the
  write.

A run whose call raised (``error`` set, no usage: a 429, a connection error) is skipped and
counted (:mod:`._failed_calls`). Order and merging (what is held, and for how long) are
:mod:`._langsmith_runs`.
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

_OPS = ("post", "patch")


class LangSmith(InputFormat):
    """LangSmith runs: post/patch operations and exported runs."""

    name = "langsmith"
    title = "LangSmith runs (wrap_openai / wrap_anthropic)"
    carries = ("the request kwargs as sent, usage with cache reads and writes, start time, "
               "thread; reads LLM runs of the SDK wrappers only (LangChain chat-model runs "
               "keep messages, not the request)")

    def recognize(self, value: Any) -> Recognition:
        if holds_runs(value):
            return RECOGNIZED
        return not_recognized("LangSmith: no run ('id', 'run_type', 'start_time') nor "
                              "{'op': 'post'|'patch', 'run': {...}}")

    def calls(self, records: Iterator[RawRecord | LoadError],
              ) -> Iterator[LoggedCall | LoadError | Skipped]:
        # Imported here: telling a file's format needs only the checks below.
        from promptcache.load.formats._langsmith_reading import run_calls

        return run_calls(self, records)

def _operation(value: Any) -> str | None:
    if (isinstance(value, Mapping) and value.get("op") in _OPS
            and isinstance(value.get("run"), Mapping)):
        return str(value["op"])
    return None


def _is_batch(value: Any) -> bool:
    return (isinstance(value, Mapping) and any(isinstance(value.get(op), list) for op in _OPS)
            and all(isinstance(run, Mapping) for op in _OPS for run in value.get(op) or []))


def _is_run(value: Any) -> bool:
    return (isinstance(value, Mapping) and "run_type" in value and "id" in value
            and "start_time" in value)


def holds_runs(value: Any) -> bool:
    """Whether a record holds runs (an operation, a batch of them, an exported run)."""
    return _operation(value) is not None or _is_batch(value) or _is_run(value)


def runs(value: Any) -> Iterator[tuple[str, str, Mapping[str, Any]]]:
    """(operation, JSON path, run) for every run in a record."""
    op = _operation(value)
    if op is not None:
        yield op, "$.run", value["run"]
    elif _is_batch(value):
        for op in _OPS:
            for n, run in enumerate(value.get(op) or []):
                yield op, f"$.{op}[{n}]", run
    elif _is_run(value):
        yield "post", "$", value
