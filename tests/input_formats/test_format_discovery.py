"""Finding the formats and telling a file's format stay cheap: a module is told a format or a
helper by its name, and telling a file's format imports no format's record-reading code."""

from __future__ import annotations

import importlib
import json
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

from promptcache.load import formats
from promptcache.load.formats import all_formats, format_modules
from promptcache.load.formats.base import InputFormat

_READING_HELPERS = (
    "_har_entries", "_helicone_rows", "_langfuse_generation", "_langfuse_reading",
    "_langsmith_reading", "_langsmith_runs", "_litellm_anthropic", "_litellm_payload",
    "_litellm_request", "_litellm_spend", "_portkey_logs", "_responses", "_sse", "otlp",
    "otel_events", "otel_reader", "otel_semconv", "otel_span", "otel_vercel",
)
"""Modules that read one format's records: a file of another format never needs them."""


@pytest.mark.parametrize(("names", "expected"), [
    pytest.param({"otel", "otel_span", "otel_reader"}, ["otel"], id="part-of-a-format"),
    pytest.param({"openai_batch", "anthropic_batch"}, ["anthropic_batch", "openai_batch"],
                 id="underscore-but-no-module-before-it"),
    pytest.param({"_sse", "_batches", "har"}, ["har"], id="leading-underscore"),
    pytest.param({"base", "otlp", "embedded", "request"}, ["request"], id="shared-modules"),
])
def test_a_module_is_told_a_format_or_a_helper_by_its_name(
        names: set[str], expected: list[str]) -> None:
    assert format_modules(frozenset(names)) == expected


def _own_formats(module_name: str) -> list[str]:
    module = importlib.import_module(f"{formats.__name__}.{module_name}")
    return [member.__name__ for member in vars(module).values()
            if isinstance(member, type) and issubclass(member, InputFormat)
            and member.__module__ == module.__name__
            and not getattr(member, "__abstractmethods__", None)]


def test_every_module_named_a_format_holds_one_and_every_helper_none() -> None:
    names = frozenset(module.name for module in pkgutil.iter_modules(formats.__path__))
    told = set(format_modules(names))
    held = {name: _own_formats(name) for name in sorted(names)}

    assert {name: len(found) for name, found in held.items() if name in told} == dict.fromkeys(
        told, 1)
    assert {name: found for name, found in held.items() if name not in told and found} == {}
    assert sorted(fmt.__module__.rpartition(".")[2] for fmt in all_formats()) == sorted(told)


def test_telling_a_request_file_imports_no_format_reading_code(tmp_path: Path) -> None:
    log = tmp_path / "requests.jsonl"
    log.write_text(json.dumps({"model": "gpt-4.1", "messages": [
        {"role": "user", "content": "hello"}]}) + "\n", "utf-8")
    script = (
        "import sys\n"
        "from promptcache.load.calls import tell_format\n"
        f"print(tell_format({str(log)!r}))\n"
        "print(' '.join(sorted(name.rpartition('.')[2] for name in sys.modules\n"
        "                      if name.startswith('promptcache.load.formats.'))))\n"
    )

    told, imported = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True,
    ).stdout.splitlines()

    assert told == "request"
    assert sorted(set(imported.split()) & set(_READING_HELPERS)) == []
