"""tool-schema-key-order (PC203) where the reordered keys change more than the text: on gpt-4
and gpt-3.5 a tool whose first parameter line is not a comment costs one token less, so the
repaired form must carry the earlier form's own corrections, or the fix never matches it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from promptcache.config import Config, settings_from
from promptcache.rules import ALL_RULES
from promptcache.run.audit import run_audit

SYSTEM = "You are a careful assistant and answer from the documents only. " * 120
TOOL = {"type": "function", "function": {"name": "lookup", "parameters": {
    "type": "object", "properties": {"code": {"type": "string", "description": "The code."},
                                     "name": {"type": "string"}}}}}
REORDERED = {"type": "function", "function": {"name": "lookup", "parameters": {
    "type": "object", "properties": {"name": {"type": "string"},
                                     "code": {"type": "string", "description": "The code."}}}}}


@pytest.mark.parametrize("model", ["gpt-4", "gpt-3.5-turbo", "gpt-4o"])
def test_properties_reordered_so_the_first_loses_its_comment_are_reported(
        tmp_path: Path, model: str) -> None:
    log = tmp_path / "log.jsonl"
    log.write_text("".join(json.dumps({
        "timestamp": f"2025-03-01T10:00:0{n}Z", "meta": {"session": "s"},
        "request": {"model": model, "tools": [tool], "messages": [
            {"role": "system", "content": SYSTEM}, {"role": "user", "content": "hi"}]}}) + "\n"
        for n, tool in enumerate((TOOL, REORDERED))), "utf-8")
    report = run_audit([str(log)], settings_from(Config(), ALL_RULES).rules)
    assert [(finding.code, finding.location.line) for finding in report.findings] == [
        ("PC203", 2)]
