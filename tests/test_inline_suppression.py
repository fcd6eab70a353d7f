"""A record silences rules for itself, as ruff's ``# noqa``: ``"promptcache": {"ignore": [...]}``
at the top of a bare request body, or in an envelope or its ``meta``."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from promptcache.cli.main import main

from .conftest import SAMPLES

Record = dict[str, Any]

# Six support chats whose system prompt starts with the current time: PC102
# timestamp-in-prefix fires on lines 2 to 6, compared with line 1.
SAMPLE = SAMPLES / "timestamp-in-prefix.jsonl"
IGNORE = {"ignore": ["PC102"]}


def _records() -> list[Record]:
    return [json.loads(line) for line in SAMPLE.read_text(encoding="utf-8").splitlines()]


def _write(folder: Path, records: list[Record]) -> Path:
    log = folder / "log.jsonl"
    log.write_text("".join(json.dumps(record) + "\n" for record in records), encoding="utf-8")
    return log


def _audit(capsys: pytest.CaptureFixture[str], log: Path,
           output_format: str = "json") -> tuple[int, str, str]:
    code = main(["audit", "--isolated", "--format", output_format, str(log)])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _in_meta(record: Record, own: Any) -> None:
    record["meta"]["promptcache"] = own


def _in_envelope(record: Record, own: Any) -> None:
    record["promptcache"] = own


def _bare_body(records: list[Record]) -> list[Record]:
    return [record["request"] for record in records]


def _timestamp_findings(report: dict[str, Any]) -> list[tuple[int, int]]:
    return [(finding["line"], finding["occurrences"]) for finding in report["findings"]
            if finding["code"] == "PC102"]


def test_the_sample_fires_on_five_records(tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _audit(capsys, _write(tmp_path, _records()))
    report = json.loads(out)
    assert (code, _timestamp_findings(report)) == (1, [(2, 5)])
    assert report["summary"]["findings_suppressed_inline"] == 0


@pytest.mark.parametrize("selector", ["PC102", "PC1", "timestamp-in-prefix", "ALL"])
@pytest.mark.parametrize("place", [_in_meta, _in_envelope], ids=["meta", "envelope"])
def test_records_ignoring_a_rule_drop_its_findings_and_count_them(
        selector: str, place: Callable[[Record, Any], None], tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    records = _records()
    for record in records:
        place(record, {"ignore": [selector]})
    code, out, err = _audit(capsys, _write(tmp_path, records))
    report = json.loads(out)
    assert _timestamp_findings(report) == []
    assert report["summary"]["findings_suppressed_inline"] >= 5
    assert (code, err) == (0, "")


def test_a_bare_body_carries_its_ignore_list_at_the_top(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bodies = _bare_body(_records())
    assert _timestamp_findings(json.loads(_audit(capsys, _write(tmp_path, bodies))[1]))
    for body in bodies:
        body["promptcache"] = IGNORE
    report = json.loads(_audit(capsys, _write(tmp_path, bodies))[1])
    assert _timestamp_findings(report) == []
    assert report["summary"]["findings_suppressed_inline"] == 5


def test_only_the_records_that_ask_are_silenced(tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    records = _records()
    _in_meta(records[2], IGNORE)  # line 3
    log = _write(tmp_path, records)
    report = json.loads(_audit(capsys, log)[1])
    assert _timestamp_findings(report) == [(2, 4)]
    assert report["summary"]["findings_suppressed_inline"] == 1
    _, out, _ = _audit(capsys, log, "concise")
    assert out.splitlines()[-1] == (
        "1 finding in 6 requests audited of 6 records read (0 invalid); "
        "1 finding suppressed inline")


@pytest.mark.parametrize("output_format", ["concise", "github", "markdown", "sarif", "rich"])
def test_every_format_counts_the_suppressed_findings(
        output_format: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    records = _records()
    for record in records:
        _in_meta(record, IGNORE)
    _, out, _ = _audit(capsys, _write(tmp_path, records), output_format)
    if output_format == "sarif":
        assert json.loads(out)["runs"][0]["properties"]["findingsSuppressedInline"] == 5
    elif output_format == "rich":
        assert re.search(r"^Suppressed inline\s+5 findings\s*$", out, re.MULTILINE), out
    else:
        assert "(0 invalid); 5 findings suppressed inline" in out


@pytest.mark.parametrize("api", ["chat", "responses"])
def test_the_ignore_key_is_not_counted_as_prompt_tokens(
        api: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    body: Record = ({"model": "gpt-4o", "messages": [{"role": "user", "content": "Hello"}]}
                    if api == "chat" else {"model": "gpt-4o", "input": "Hello"})
    plain = _write(tmp_path, [body])
    counted = json.loads(_audit(capsys, plain)[1])["requests"][0]["prompt_tokens"]
    marked = _write(tmp_path, [{**body, "promptcache": {"ignore": ["ALL"] * 50}}])
    assert json.loads(_audit(capsys, marked)[1])["requests"][0]["prompt_tokens"] == counted


def test_an_entry_naming_no_rule_is_a_warning_at_its_record(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    records = _records()
    _in_meta(records[1], {"ignore": ["PC999", "tool-order"]})  # line 2
    _in_envelope(records[3], {"ignore": "PC102"})  # line 4: not a list
    log = _write(tmp_path, records)
    code, out, err = _audit(capsys, log)
    assert code == 1  # not fatal: the audit runs, the finding still fails it
    assert _timestamp_findings(json.loads(out)) == [(2, 5)]
    assert err.splitlines() == [
        f"{log}:2: warning: promptcache.ignore: 'PC999' names no rule (a code, code prefix, "
        "name or ALL); left out",
        f"{log}:4: warning: promptcache.ignore: '\"PC102\"' names no rule (a code, code "
        "prefix, name or ALL); left out"]
    assert main(["audit", "--isolated", "--quiet", "--format", "json", str(log)]) == 1
    assert capsys.readouterr().err == ""


def test_the_reader_process_ships_the_ignore_list(tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    records = _records()
    _in_meta(records[2], IGNORE)
    log = _write(tmp_path, records)
    reports = []
    for jobs in ("1", "2"):
        main(["audit", "--isolated", "--format", "json", "--jobs", jobs, str(log)])
        reports.append(json.loads(capsys.readouterr().out))
    assert _timestamp_findings(reports[1]) == [(2, 4)]
    assert reports[0] == reports[1]


def test_a_warning_quotes_no_secret(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    records = _records()
    key = "sk-proj-" + "A1b2C3d4" * 6
    _in_meta(records[0], {"ignore": [key]})
    _, _, err = _audit(capsys, _write(tmp_path, records))
    assert key[:12] not in err
    assert err.startswith(f"{tmp_path / 'log.jsonl'}:1: warning: promptcache.ignore: '[redacted]")
