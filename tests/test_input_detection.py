"""Each file's format is told from its first records, ``--input-format`` overrides it, and a
file no format reads is one error naming the formats tried."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from promptcache.cli.main import main
from promptcache.estimates import certainty
from promptcache.load.calls import read_calls
from promptcache.load.formats import all_formats, format_named
from promptcache.load.formats import request as request_format
from promptcache.load.formats.base import LoggedCall
from promptcache.load.formats.request import RequestBodies
from promptcache.load.records import normalize_call
from promptcache.load.sources import LoadError
from promptcache.model import Location
from promptcache.tokens.counting import PromptCounter

BODY = {"model": "gpt-4o", "messages": [{"role": "user", "content": "Hello there"}]}


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _write(path: Path, *records: object) -> Path:
    path.write_text("".join(json.dumps(record) + "\n" for record in records), "utf-8")
    return path


def test_request_bodies_are_a_format_found_by_name() -> None:
    assert format_named("request") is RequestBodies
    assert RequestBodies in all_formats()
    assert format_named("no-such-format") is None


def test_a_file_of_request_bodies_is_read_as_them(folder: Path) -> None:
    log = _write(folder / "log.jsonl", BODY, {"request": BODY, "response": {
        "usage": {"prompt_tokens": 9, "prompt_tokens_details": {"cached_tokens": 0}}}})
    calls = list(read_calls([str(log)]))
    assert [call.body_path for call in calls if isinstance(call, LoggedCall)] == [
        "$", "$.request"]
    second = calls[1]
    assert isinstance(second, LoggedCall)
    assert second.usage is not None
    assert second.usage.input_tokens == 9


def test_leading_broken_lines_do_not_hide_the_format(folder: Path) -> None:
    log = folder / "log.jsonl"
    log.write_text("not json\n" + json.dumps(BODY) + "\n", "utf-8")
    calls = list(read_calls([str(log)]))
    assert isinstance(calls[0], LoadError)
    assert calls[0].location == Location(str(log), 1)
    assert isinstance(calls[1], LoggedCall)
    assert calls[1].location == Location(str(log), 2)


def test_a_file_no_format_reads_is_one_error_naming_the_formats_tried(
        folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _write(folder / "odd.jsonl", {"event": "started"}, {"event": "stopped"})
    assert main(["audit", "--isolated", "-q", "-f", "concise", "odd.jsonl"]) == 2
    out = capsys.readouterr().out.splitlines()
    names = ", ".join(fmt.name for fmt in all_formats())
    assert out[0] == (f"odd.jsonl:1: error: unknown log format: none of {names} reads its "
                      "first records (keys: event); --input-format NAME reads it as one and "
                      "says why each record does not fit")
    assert out[-1] == ("0 findings in 0 requests audited of 1 record read (1 invalid); not "
                       "read: 42 bytes of odd.jsonl from line 1")


def test_the_other_files_are_audited_beside_an_unknown_one(
        folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _write(folder / "odd.jsonl", {"event": "started"})
    _write(folder / "log.jsonl", BODY)
    assert main(["audit", "--isolated", "-q", "-f", "json", "odd.jsonl", "log.jsonl"]) == 2
    summary = json.loads(capsys.readouterr().out)["summary"]
    assert summary["requests_audited"] == 1


def test_input_format_names_the_format_instead_of_telling_it(
        folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # An object no format recognizes: forced to request bodies, its problem is the body's own.
    _write(folder / "odd.jsonl", {"event": "started"})
    assert main(["audit", "--isolated", "-q", "-f", "concise", "--input-format", "request",
                 "odd.jsonl"]) == 2
    first = capsys.readouterr().out.splitlines()[0]
    assert first.startswith("odd.jsonl:1: error: $: not a request: expected 'messages'")


def test_an_unknown_input_format_is_a_usage_error_listing_the_formats(
        folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _write(folder / "log.jsonl", BODY)
    assert main(["audit", "--isolated", "-q", "--input-format", "csv", "log.jsonl"]) == 2
    names = ", ".join(fmt.name for fmt in all_formats())
    assert capsys.readouterr().err == (
        f"promptcache: unknown input format 'csv' (formats: {names})\n")


def test_the_formats_command_lists_every_format(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["formats"]) == 0
    out = capsys.readouterr().out
    assert out.split()[:3] == ["name", "format", "what"]
    for fmt in all_formats():
        assert f"\n {fmt.name} " in out


def test_a_partial_call_is_a_lower_bound_saying_what_the_log_lacks() -> None:
    call = LoggedCall(Location("log.jsonl", 3), BODY,
                      missing=("tool definitions not logged",))
    request = normalize_call(call)
    assert not isinstance(request, LoadError)
    counted = PromptCounter().count(request)
    sure = certainty(counted)
    assert sure.reasons == ("partial record: tool definitions not logged",)
    assert (sure.low, sure.high) == (counted.prompt_tokens, None)


def test_a_partial_short_prompt_is_not_called_too_short(
        folder: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    # Counted whole, the body is short of 1024 tokens (PC001); partial, it may not be.
    _write(folder / "log.jsonl", BODY)
    arguments = ["audit", "--isolated", "-q", "-f", "json", "--exit-zero", "log.jsonl"]
    assert main(arguments) == 0
    complete = json.loads(capsys.readouterr().out)
    assert [finding["code"] for finding in complete["findings"]] == ["PC001"]
    whole = request_format.call_of
    monkeypatch.setattr(request_format, "call_of", lambda record: replace(
        whole(record), missing=("tool definitions not logged",)))
    assert main(arguments) == 0
    partial = json.loads(capsys.readouterr().out)
    assert partial["findings"] == []
    assert partial["requests"][0]["exact"] is False
    assert partial["requests"][0]["estimate_reasons"] == [
        "partial record: tool definitions not logged"]


def test_formats_tells_which_format_reads_each_file(
        folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _write(folder / "log.jsonl", BODY)
    _write(folder / "odd.jsonl", {"event": "started"})
    (folder / "broken.jsonl").write_text("not json\n", "utf-8")
    assert main(["formats", "log.jsonl"]) == 0
    assert capsys.readouterr().out == "log.jsonl: request\n"
    assert main(["formats", "log.jsonl", "odd.jsonl", "broken.jsonl"]) == 2
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "log.jsonl: request"
    assert lines[1].startswith("odd.jsonl:1: unknown log format: none of ")
    assert lines[2].startswith("broken.jsonl:1: ")
    assert len(lines) == 3


def test_a_mistyped_input_format_suggests_the_likeliest(
        folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _write(folder / "log.jsonl", BODY)
    assert main(["audit", "--isolated", "-q", "--input-format", "litelm", "log.jsonl"]) == 2
    assert capsys.readouterr().err == (
        "promptcache: unknown input format 'litelm' (did you mean 'litellm'?)\n")


def test_the_configuration_names_the_input_format_and_the_command_line_wins(
        folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _write(folder / "odd.jsonl", {"event": "started"})
    (folder / "promptcache.toml").write_text('input-format = "request"\n', "utf-8")
    main(["audit", "-q", "-f", "concise", "--exit-zero", "odd.jsonl"])
    assert capsys.readouterr().out.startswith("odd.jsonl:1: error: $: not a request: ")
    main(["audit", "-q", "-f", "concise", "--exit-zero", "--input-format", "litellm",
          "odd.jsonl"])
    assert capsys.readouterr().out.startswith("odd.jsonl:1: error: LiteLLM: no standard_logging")
    main(["audit", "--show-settings"])
    assert 'input-format = "request"\n' in capsys.readouterr().out


def test_an_unknown_input_format_in_the_configuration_names_the_key(
        folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _write(folder / "log.jsonl", BODY)
    (folder / "promptcache.toml").write_text('input-format = "langfuze"\n', "utf-8")
    assert main(["audit", "-q", "log.jsonl"]) == 2
    assert capsys.readouterr().err == (
        f"promptcache: {folder / 'promptcache.toml'}: input-format: unknown input format "
        "'langfuze' (did you mean 'langfuse'?)\n")
