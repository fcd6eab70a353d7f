"""No green run that audited nothing: every record invalid, or no records, is exit 2 (unless
``--allow-empty`` or ``allow-empty = true``), with the report still written."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from promptcache.cli.main import main

from .conftest import SAMPLES

ALLOW = ("promptcache: no request audited: {reason}; pass --allow-empty (or set allow-empty "
         "= true) to accept a run that audits nothing")


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize(("content", "reason"), [
    pytest.param("[1]\n\"text\"\n", "all 2 records read are invalid", id="all-invalid"),
    pytest.param("{\"model\": 3}\n", "the record read is invalid", id="one-invalid"),
    pytest.param("", "the input holds no records", id="empty-file"),
    pytest.param("\n  \n", "the input holds no records", id="blank-lines"),
])
def test_a_run_that_audited_nothing_exits_two_and_still_writes_the_report(
        folder: Path, capsys: pytest.CaptureFixture[str], content: str, reason: str) -> None:
    (folder / "log.jsonl").write_text(content, "utf-8")
    assert main(["audit", "--isolated", "-q", "-f", "json", "-o", "r.json", "log.jsonl"]) == 2
    assert capsys.readouterr().err == ALLOW.format(reason=reason) + "\n"
    assert json.loads((folder / "r.json").read_text("utf-8"))["summary"][
        "requests_audited"] == 0


def test_allow_empty_accepts_a_run_that_audited_nothing(
        folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (folder / "log.jsonl").write_text("{\"model\": 3}\n", "utf-8")
    assert main(["audit", "--isolated", "-q", "-f", "concise", "--allow-empty",
                 "log.jsonl"]) == 0
    captured = capsys.readouterr()
    assert captured.err == ""
    assert captured.out.endswith("0 findings in 0 requests audited of 1 record read "
                                 "(1 invalid)\n")


def test_allow_empty_in_the_configuration(folder: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    (folder / "log.jsonl").write_text("", "utf-8")
    (folder / "promptcache.toml").write_text("allow-empty = true\n", "utf-8")
    assert main(["audit", "-q", "-f", "concise", "log.jsonl"]) == 0
    assert capsys.readouterr().err == ""


def test_exit_zero_does_not_hide_an_empty_run(folder: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    (folder / "log.jsonl").write_text("[1]\n", "utf-8")
    assert main(["audit", "--isolated", "-q", "-f", "concise", "--exit-zero",
                 "log.jsonl"]) == 2
    assert capsys.readouterr().err == ALLOW.format(
        reason="the record read is invalid") + "\n"


def test_one_audited_request_is_enough(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["audit", "--isolated", "-q", "-f", "concise",
                 str(SAMPLES / "clean-agent-session.jsonl")]) == 0
    assert capsys.readouterr().err == ""
