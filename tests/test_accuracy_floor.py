"""The counter's exact rate on every shared OpenAI file with recorded usage, through
``bench/accuracy.py`` (the benchmark the README's accuracy table comes from), held at what it
reached: a change that loses exact records on any file, or in any family x shape row with
ten records or more, fails here, naming the rows. Skipped, saying why, without ../shared/data.

Every record of a file is in its denominator, estimated ones included (an estimate that
happens to be exact counts as exact).
"""

from __future__ import annotations

import importlib.util
import sys
from collections import Counter
from pathlib import Path
from types import ModuleType

import pytest

from .conftest import REPO, shared_data

# Exact records per file, measured on the merged issue-14 rendering (bench/accuracy.py).
FILE_FLOORS = {
    "openai-cassettes.jsonl": 209,             # of 230
    "openai-chat-more.jsonl": 1119,            # of 1278
    "openai-cookbook-prompt-caching.jsonl": 3,  # of 5
    "openai-responses-cassettes.jsonl": 124,   # of 286
    "openai-responses-more.jsonl": 774,        # of 1089
}
# Rows of ten records or more whose exact count must not fall (file, family, shape): floor.
ROW_FLOORS = {
    ("openai-chat-more.jsonl", "4o", "text"): 270,
    ("openai-chat-more.jsonl", "4o", "tools"): 169,
    ("openai-chat-more.jsonl", "4o", "toolhist"): 152,
    ("openai-chat-more.jsonl", "4o", "rf_schema"): 52,
    ("openai-chat-more.jsonl", "4o", "rf_object"): 22,
    ("openai-chat-more.jsonl", "cl100k", "text"): 243,
    ("openai-chat-more.jsonl", "cl100k", "tools"): 25,
    ("openai-chat-more.jsonl", "reasoning", "text"): 67,
    ("openai-chat-more.jsonl", "reasoning", "rf_schema"): 11,
    ("openai-responses-more.jsonl", "4o", "text"): 181,
    ("openai-responses-more.jsonl", "4o", "tools"): 90,
    ("openai-responses-more.jsonl", "reasoning", "toolhist"): 73,
    ("openai-responses-more.jsonl", "reasoning", "rf_schema"): 51,
    ("openai-responses-more.jsonl", "reasoning", "text"): 73,
}


def _bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("accuracy", REPO / "bench" / "accuracy.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["accuracy"] = module  # dataclasses resolve their module by name
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("name", sorted(FILE_FLOORS))
def test_no_shared_file_loses_exact_counts(name: str) -> None:
    path: Path = shared_data(name)
    outcomes = list(_bench().outcomes(path))
    exact = sum(outcome.exact for outcome in outcomes)
    rows = Counter((name, o.family, o.shape) for o in outcomes if o.exact)
    fallen = {row: (rows[row], floor) for row, floor in ROW_FLOORS.items()
              if row[0] == name and rows[row] < floor}
    assert exact >= FILE_FLOORS[name], (
        f"{name}: {exact} exact of {len(outcomes)}, below its floor {FILE_FLOORS[name]}")
    assert not fallen, f"{name}: rows below their floor (exact, floor): {fallen}"
