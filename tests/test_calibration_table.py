"""When the log carries the provider's usage, the audit shows counted vs observed prompt tokens
per model (issue 14), and a record logged before a known counting change is said to predate
it rather than called a miss."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from promptcache.catalog import counting_change
from promptcache.cli.main import main

REPORT_SCHEMA = (Path(__file__).resolve().parents[1] / "src" / "promptcache" / "schemas"
                 / "report.schema.json")
LONG = [{"role": "system", "content": "Answer in one short sentence. " * 40},
        {"role": "user", "content": "Hi"}]  # 253 tokens on gpt-4o
SHORT = [{"role": "user", "content": "List three breads."}]  # 11 tokens on gpt-4o-mini
TIDE_TOOL = {"type": "function", "name": "get_tide", "description": "Tide times for a harbour",
             "parameters": {"type": "object", "properties": {"harbour": {"type": "string"}},
                            "required": ["harbour"]}}
TIDES = {"model": "gpt-4.1-nano", "tools": [TIDE_TOOL], "input": [
    {"type": "message", "role": "user", "content": "When is high tide in Brest?"}]}  # 46


def _chat(model: str, messages: list[dict[str, str]], observed: int | None) -> dict[str, Any]:
    record: dict[str, Any] = {"request": {"model": model, "messages": messages}}
    if observed is not None:
        record["response"] = {"usage": {"prompt_tokens": observed, "completion_tokens": 4}}
    return record


def _tides(observed: int, recorded: str) -> dict[str, Any]:
    return {"request": TIDES, "meta": {"recorded": recorded},
            "response": {"usage": {"input_tokens": observed, "output_tokens": 9}}}


LOG = [
    _chat("gpt-4o", LONG, 253),  # exact
    _chat("gpt-4o", LONG, 252),  # one over: within 1% of 252
    _chat("gpt-4o-mini", SHORT, 13),  # two under: not within 1%
    _chat("gpt-4o-mini", SHORT, None),  # no usage: not in the table
]


def _audit(tmp_path: Path, capsys: pytest.CaptureFixture[str], records: list[dict[str, Any]],
           output_format: str) -> str:
    (tmp_path / "log.jsonl").write_text(
        "".join(json.dumps(record) + "\n" for record in records), "utf-8")
    main(["audit", "--isolated", "--format", output_format, "log.jsonl"])
    return capsys.readouterr().out


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)


def test_json_summary_has_the_calibration_per_model(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    report = json.loads(_audit(tmp_path, capsys, LOG, "json"))
    assert report["summary"]["token_calibration"] == [
        {"model": "gpt-4o", "requests": 2, "exact": 1, "within_1pct": 2, "estimated": 0,
         "mean_error": 0.5, "worst_miss": {"file": "log.jsonl", "line": 2, "error": 1},
         "predates_change": 0},
        {"model": "gpt-4o-mini", "requests": 1, "exact": 0, "within_1pct": 0, "estimated": 0,
         "mean_error": -2.0, "worst_miss": {"file": "log.jsonl", "line": 3, "error": -2},
         "predates_change": 0},
    ]
    assert report["summary"]["counting_changes"] == []
    jsonschema.validate(report, json.loads(REPORT_SCHEMA.read_text("utf-8")))


def test_rich_prints_the_calibration_table(tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    lines = [" ".join(line.split()) for line in
             _audit(tmp_path, capsys, LOG, "rich").splitlines()]
    start = lines.index("Prompt tokens vs the provider's usage (counted minus observed)")
    assert lines[start + 1:start + 4] == [
        "model requests exact within 1% estimated mean error worst miss",
        "gpt-4o 2 1 2 0 +0.50 log.jsonl:2 (+1)",
        "gpt-4o-mini 1 0 0 0 -2.00 log.jsonl:3 (-2)",
    ]


def test_markdown_prints_the_calibration_table(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    out = _audit(tmp_path, capsys, LOG, "markdown")
    assert ("| Model | Requests | Exact | Within 1% | Estimated | Mean error | Worst miss |\n"
            "| --- | ---: | ---: | ---: | ---: | ---: | --- |\n"
            "| `gpt-4o` | 2 | 1 | 2 | 0 | +0.50 | `log.jsonl:2 (+1)` |\n"
            "| `gpt-4o-mini` | 1 | 0 | 0 | 0 | -2.00 | `log.jsonl:3 (-2)` |\n") in out


def test_sarif_run_properties_carry_the_calibration(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    properties = json.loads(_audit(tmp_path, capsys, LOG, "sarif"))["runs"][0]["properties"]
    assert properties["tokenCalibration"][1] == {
        "model": "gpt-4o-mini", "requests": 1, "exact": 0, "within1pct": 0, "estimated": 0,
        "meanError": -2.0,
        "worstMiss": {"file": "log.jsonl", "line": 3, "error": -2}, "predatesChange": 0}


def test_the_table_says_how_many_counts_were_estimates(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    image = [{"role": "user", "content": [
        {"type": "text", "text": "What is in this picture?"},
        {"type": "image_url", "image_url": {"url": "https://images.example.com/cat.png"}}]}]
    records = [_chat("gpt-4o", LONG, 253), _chat("gpt-4o", image, 300)]
    row = json.loads(_audit(tmp_path, capsys, records, "json"))["summary"][
        "token_calibration"][0]
    assert (row["requests"], row["exact"], row["estimated"]) == (2, 1, 1)


def test_a_log_without_usage_has_no_calibration_table(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    records = [_chat("gpt-4o", LONG, None)]
    assert json.loads(_audit(tmp_path, capsys, records, "json"))["summary"][
        "token_calibration"] == []
    assert "provider's usage" not in _audit(tmp_path, capsys, records, "rich")


def test_a_record_logged_before_a_known_change_predates_it_rather_than_misses(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    records = [_tides(45, "2025-06-28T14:13:40Z"), _tides(46, "2026-04-02T09:00:00Z")]
    report = json.loads(_audit(tmp_path, capsys, records, "json"))
    summary = report["summary"]
    assert summary["token_calibration"] == [
        {"model": "gpt-4.1-nano", "requests": 2, "exact": 1, "within_1pct": 1, "estimated": 0,
         "mean_error": 0.0, "worst_miss": None, "predates_change": 1}]
    note = ("1 request logged before 2026-03-31 misses by +1, a known counting change "
            "(gpt-4.1-nano Responses requests count one token more, seen on a request with a "
            "function tool): counted as the API counts today, not a miscount")
    assert [change["note"] for change in summary["counting_changes"]] == [note]
    text = " ".join(_audit(tmp_path, capsys, records, "rich").split())
    assert note in text


def test_the_same_miss_after_the_change_is_a_miss(tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    records = [_tides(45, "2026-04-02T09:00:00Z")]
    row = json.loads(_audit(tmp_path, capsys, records, "json"))["summary"][
        "token_calibration"][0]
    assert (row["predates_change"], row["worst_miss"]["error"]) == (0, 1)


@pytest.mark.parametrize(("model", "api", "recorded", "miss", "explained"), [
    pytest.param("gpt-4.1-nano", "openai.responses", "2025-06-28", 1, True, id="before"),
    pytest.param("gpt-4.1-nano-2025-04-14", "openai.responses", "2025-06-28", 1, True,
                 id="dated-snapshot"),
    pytest.param("gpt-4.1-nano", "openai.responses", "2026-03-31", 1, False, id="on-the-day"),
    pytest.param("gpt-4.1-nano", "openai.responses", "", 1, False, id="undated"),
    pytest.param("gpt-4.1-nano", "openai.responses", "2025-06-28", 2, False, id="other-miss"),
    pytest.param("gpt-4.1-nano", "openai.chat", "2025-06-28", 1, False, id="other-api"),
    pytest.param("gpt-4.1-mini", "openai.responses", "2025-06-28", 1, False, id="other-model"),
    pytest.param("gpt-5.4", "openai.responses", "2025-12-31", -1, True, id="gpt-5.4-snapshot"),
])
def test_which_records_predate_a_change(model: str, api: str, recorded: str, miss: int,
                                        explained: bool) -> None:
    assert (counting_change(model, api, recorded, miss) is not None) is explained

