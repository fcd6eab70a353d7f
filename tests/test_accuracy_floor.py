"""The counter's exact rate on every shared OpenAI file with recorded usage, through
``bench/accuracy.py`` (the benchmark the README's accuracy table comes from), held at what it
reached: a change that loses exact records on any file, or in any family x shape row with
ten records or more, fails here, naming the rows. Skipped, saying why, without ../shared/data.

Every record of a file is in its denominator, estimated ones included (an estimate that
happens to be exact counts as exact).
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from .conftest import bench_script, shared_data

# Exact records per file, measured on the merged issue-14 rendering (bench/accuracy.py).
FILE_FLOORS = {
    "openai-cassettes.jsonl": 211,  # of 230
    "openai-chat-more.jsonl": 1217,  # of 1278
    "openai-cookbook-prompt-caching.jsonl": 5,  # of 5
    "openai-responses-cassettes.jsonl": 126,  # of 286
    "openai-responses-more.jsonl": 889,  # of 1089
}
# Rows of ten records or more whose exact count must not fall (file, family, shape): floor.
ROW_FLOORS = {
    ("openai-cassettes.jsonl", "4o", "toolhist"): 53,  # of 54
    ("openai-cassettes.jsonl", "4o", "tools"): 32,  # of 34
    ("openai-cassettes.jsonl", "4o", "text"): 44,  # of 44
    ("openai-cassettes.jsonl", "reasoning", "toolhist"): 10,  # of 18
    ("openai-cassettes.jsonl", "reasoning", "tools"): 41,  # of 41
    ("openai-cassettes.jsonl", "reasoning", "text"): 10,  # of 11
    ("openai-chat-more.jsonl", "4o", "image"): 20,  # of 30
    ("openai-chat-more.jsonl", "4o", "toolhist"): 174,  # of 174
    ("openai-chat-more.jsonl", "4o", "rf_schema"): 56,  # of 56
    ("openai-chat-more.jsonl", "4o", "rf_object"): 22,  # of 22
    ("openai-chat-more.jsonl", "4o", "tools"): 175,  # of 189
    ("openai-chat-more.jsonl", "4o", "text"): 270,  # of 273
    ("openai-chat-more.jsonl", "cl100k", "toolhist"): 10,  # of 11
    ("openai-chat-more.jsonl", "cl100k", "tools"): 102,  # of 118
    ("openai-chat-more.jsonl", "cl100k", "text"): 246,  # of 249
    ("openai-chat-more.jsonl", "reasoning", "image"): 5,  # of 10
    ("openai-chat-more.jsonl", "reasoning", "toolhist"): 14,  # of 15
    ("openai-chat-more.jsonl", "reasoning", "rf_schema"): 11,  # of 11
    ("openai-chat-more.jsonl", "reasoning", "tools"): 13,  # of 15
    ("openai-chat-more.jsonl", "reasoning", "parts"): 11,  # of 13
    ("openai-chat-more.jsonl", "reasoning", "text"): 67,  # of 67
    ("openai-responses-cassettes.jsonl", "4o", "toolhist"): 8,  # of 13
    ("openai-responses-cassettes.jsonl", "4o", "tools"): 7,  # of 16
    ("openai-responses-cassettes.jsonl", "4o", "text"): 23,  # of 37
    ("openai-responses-cassettes.jsonl", "reasoning", "toolhist"): 5,  # of 51
    ("openai-responses-cassettes.jsonl", "reasoning", "tools"): 50,  # of 109
    ("openai-responses-cassettes.jsonl", "reasoning", "text"): 24,  # of 30
    ("openai-responses-more.jsonl", "4o", "image"): 7,  # of 20
    ("openai-responses-more.jsonl", "4o", "toolhist"): 128,  # of 160
    ("openai-responses-more.jsonl", "4o", "rf_schema"): 46,  # of 51
    ("openai-responses-more.jsonl", "4o", "rf_object"): 22,  # of 22
    ("openai-responses-more.jsonl", "4o", "tools"): 100,  # of 143
    ("openai-responses-more.jsonl", "4o", "parts"): 44,  # of 55
    ("openai-responses-more.jsonl", "4o", "text"): 181,  # of 201
    ("openai-responses-more.jsonl", "reasoning", "image"): 2,  # of 11
    ("openai-responses-more.jsonl", "reasoning", "toolhist"): 83,  # of 112
    ("openai-responses-more.jsonl", "reasoning", "rf_schema"): 56,  # of 56
    ("openai-responses-more.jsonl", "reasoning", "tools"): 80,  # of 93
    ("openai-responses-more.jsonl", "reasoning", "parts"): 63,  # of 74
    ("openai-responses-more.jsonl", "reasoning", "text"): 73,  # of 73
}


@pytest.mark.parametrize("name", sorted(FILE_FLOORS))
def test_no_shared_file_loses_exact_counts(name: str) -> None:
    path: Path = shared_data(name)
    outcomes = list(bench_script("accuracy").outcomes(path))
    exact = sum(outcome.exact for outcome in outcomes)
    rows = Counter((name, o.family, o.shape) for o in outcomes if o.exact)
    fallen = {row: (rows[row], floor) for row, floor in ROW_FLOORS.items()
              if row[0] == name and rows[row] < floor}
    assert exact >= FILE_FLOORS[name], (
        f"{name}: {exact} exact of {len(outcomes)}, below its floor {FILE_FLOORS[name]}")
    assert not fallen, f"{name}: rows below their floor (exact, floor): {fallen}"


def test_the_benchmark_says_which_misses_predate_a_known_counting_change(
        tmp_path: Path) -> None:
    """A hand-written gpt-4o Responses request with a function tool, logged in March 2025
    billed 216 more (the catalogue's dated change), and the same miss a year later."""
    body = {"model": "gpt-4o", "input": "Is it raining in Lyon?",
            "tools": [{"type": "function", "name": "get_weather",
                       "description": "Weather in a city.",
                       "parameters": {"type": "object",
                                      "properties": {"city": {"type": "string"}},
                                      "required": ["city"]}}]}
    accuracy = bench_script("accuracy")
    # The tools block (header 9, tool 20 less the "{\n\n//" it fuses with the header, footer
    # 4, and -3 on gpt-4o in the Responses API), the message 4 + 6, the priming 3.
    counted = 42
    log = tmp_path / "openai-responses-march.jsonl"
    log.write_text("".join(
        json.dumps({"request": body, "meta": {"recorded": recorded},
                    "response": {"usage": {"input_tokens": observed}}}) + "\n"
        for recorded, observed in (("2026-01-20T10:00:00Z", counted),
                                   ("2025-03-14T15:11:41Z", counted + 216),
                                   ("2026-01-20T10:00:00Z", counted + 216))), "utf-8")
    assert [(o.diff, o.predates) for o in accuracy.outcomes(log)] == [
        (0, False), (-216, True), (-216, False)]
