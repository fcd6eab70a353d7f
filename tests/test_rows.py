"""Request rows spill to disk past a limit and come back in order; JSON streams them."""

from __future__ import annotations

from dataclasses import replace

import orjson

from promptcache.engine.rule_engine import default_rules
from promptcache.report.json_format import render_json, report_to_dict
from promptcache.report.model import RequestRow
from promptcache.report.rows import RequestRows
from promptcache.rules import ALL_RULES
from promptcache.run.audit import run_audit

from .conftest import SAMPLES


def _row(line: int) -> RequestRow:
    return RequestRow("log.jsonl", line, "gpt-4o", 100 + line, None, None, 0,
                      0.5 if line % 2 else None, line % 3 == 0)


def test_rows_spill_and_come_back_in_order() -> None:
    rows = RequestRows(memory_rows=4)
    expected = [_row(line) for line in range(1, 12)]
    for row in expected:
        rows.append(row)
    assert len(rows) == 11
    assert list(rows) == expected
    assert list(rows) == expected  # re-iterable
    assert rows[9] == expected[9]
    assert rows[-1] == expected[-1]


def test_streamed_json_equals_one_dump() -> None:
    report = run_audit([str(SAMPLES / "tool-order.jsonl")], default_rules(ALL_RULES))
    spilled = RequestRows(memory_rows=2)
    for row in report.requests:
        spilled.append(row)
    streamed = render_json(replace(report, requests=spilled))
    assert streamed == orjson.dumps(report_to_dict(report),
                                    option=orjson.OPT_INDENT_2).decode() + "\n"
