"""Every recorded OpenAI request whose prompt holds input the API adds from outside the body
(a file by id, a built-in tool, server-side context, a remote image of unknown size, reasoning
of the current turn) is counted as an estimate, never as exact: run over every shared file
with usage through ``bench/accuracy.py``, and on hand-written bodies. Skipped, saying why,
without ../shared/data."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

import pytest

from promptcache.catalog import facts_for
from promptcache.normalize.openai_responses import responses_segments

from .conftest import bench_script, shared_data

_REMOTE_IMAGE = re.compile(r'"(?:image_url|url)": "https?:')
_BUILT_IN = re.compile(r'"type": "(?:web_search[a-z_0-9]*|file_search|code_interpreter|'
                       r'image_generation|mcp|computer_use_preview|local_shell|shell)"')


def _unknowable(body: Mapping[str, Any]) -> list[str]:
    """What in ``body`` the API fills in from outside it (empty when nothing)."""
    text = json.dumps(body)
    found = [name for name in ("previous_response_id", "conversation", "prompt")
             if body.get(name)]
    if '"file_id"' in text or '"input_file"' in text or '"type": "file"' in text:
        found.append("file")
    if _BUILT_IN.search(text):
        found.append("built-in tool")
    if _REMOTE_IMAGE.search(text):
        found.append("remote image")
    return found


@pytest.mark.parametrize("name", ["openai-cassettes.jsonl", "openai-chat-more.jsonl",
                                  "openai-responses-cassettes.jsonl",
                                  "openai-responses-more.jsonl"])
def test_no_recorded_request_with_input_from_outside_its_body_is_counted_exact(
        name: str) -> None:
    path = shared_data(name)
    bodies = [json.loads(line).get("request") for line in path.read_text("utf-8").splitlines()]
    unmarked = [(outcome.line, outcome.source, _unknowable(bodies[outcome.line - 1]))
                for outcome in bench_script("accuracy").outcomes(path)
                if not outcome.estimated and isinstance(bodies[outcome.line - 1], dict)
                and _unknowable(bodies[outcome.line - 1])]
    assert unmarked == []


_ASK = {"role": "user", "content": "What does it say?"}


@pytest.mark.parametrize("body", [
    pytest.param({"input": [_ASK], "previous_response_id": "resp_1"}, id="previous-response"),
    pytest.param({"input": [{"role": "user", "content": [
        {"type": "input_file", "file_id": "file-1"}]}]}, id="file-by-id"),
    pytest.param({"input": [_ASK], "tools": [{"type": "web_search"}]}, id="web-search"),
    pytest.param({"input": [{"role": "user", "content": [
        {"type": "input_image", "image_url": "https://example.com/cat.png"}]}]},
        id="remote-image"),
    pytest.param({"input": [_ASK, {"type": "reasoning", "encrypted_content": "x" * 2000,
                                   "summary": []}]}, id="current-turn-reasoning"),
])
def test_a_responses_body_with_input_from_outside_it_is_an_estimate(
        body: dict[str, Any]) -> None:
    segments = responses_segments({"model": "gpt-5-mini", **body}, "$", facts_for("gpt-5-mini"))
    assert any(segment.estimated for segment in segments)
