"""bench/partitions.py: how a log splits into cache scopes and rule streams (the bound on what
auditing partitions on separate cores can gain)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .conftest import bench_script

LONG = "Answer questions about the shipping policy of the store, politely. " * 120


def _body(model: str, system: str, question: str, **extra: Any) -> str:
    return json.dumps({"model": model, "messages": [{"role": "system", "content": system},
                                                    {"role": "user", "content": question}],
                       **extra})


def test_scopes_and_streams_of_a_written_log(tmp_path: Path) -> None:
    log = tmp_path / "log.jsonl"
    log.write_text("\n".join([
        _body("gpt-4o", LONG, "one"),           # scope A, stream model gpt-4o
        _body("gpt-4o", LONG, "two"),           # scope A
        _body("gpt-4o", "Short.", "three"),     # under 1,024 tokens: a scope of its own
        _body("gpt-4o-mini", LONG, "four"),     # scope B, stream model gpt-4o-mini
        _body("gpt-4o", LONG, "five", prompt_cache_key="t1"),       # scope C, key t1
        _body("gpt-4o-mini", LONG, "six", prompt_cache_key="t1"),   # key t1 joins the models
        "{\"model\": 3}",                       # invalid: not a request
    ]) + "\n", "utf-8")
    by_scope, by_stream = bench_script("partitions").split(str(log))
    assert (by_scope.requests, by_scope.partitions, by_scope.largest) == (6, 5, 2)
    assert by_scope.bound == 3.0
    # gpt-4o and gpt-4o-mini are one component: cache key t1 was sent to both.
    assert (by_stream.partitions, by_stream.largest) == (1, 6)


def test_separate_models_are_separate_streams(tmp_path: Path) -> None:
    log = tmp_path / "log.jsonl"
    log.write_text("\n".join([_body("gpt-4o", LONG, "a"), _body("gpt-4o-mini", LONG, "b"),
                              _body("gpt-4o-mini", LONG, "c", user="u1")]) + "\n", "utf-8")
    _, by_stream = bench_script("partitions").split(str(log))
    assert (by_stream.partitions, by_stream.largest) == (2, 2)
