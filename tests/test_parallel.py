"""The log read and counted in a second process: the report is byte for byte the one a single
process writes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from promptcache.cli.main import app, main
from promptcache.engine.rule_engine import default_rules
from promptcache.load import records
from promptcache.load.formats import request as request_format
from promptcache.load.sources import LoadError, read_records
from promptcache.report.model import Report
from promptcache.rules import ALL_RULES
from promptcache.run import parallel
from promptcache.run.audit import run_audit
from promptcache.run.parallel import PARALLEL_MIN_BYTES, usable_cores, use_reader
from promptcache.tokens.counting import PromptCounter

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.skipif(
    not use_reader(["x"], 2), reason="this platform cannot fork: audits run in one process")


@pytest.fixture(scope="module")
def agent_log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 3 MB generated agent log holding each cache-breaking pattern of the generator."""
    out = tmp_path_factory.mktemp("parallel") / "agent.jsonl"
    subprocess.run([sys.executable, str(ROOT / "bench" / "generate_agent_log.py"),
                    "--mb", "3", "--out", str(out)], check=True, capture_output=True)
    return out


def _same_report(left: Report, right: Report) -> bool:
    return (left.summary, list(left.requests), left.findings, left.errors, left.sessions) == (
        right.summary, list(right.requests), right.findings, right.errors, right.sessions)


def _audit(*arguments: str) -> tuple[int, bytes]:
    result = CliRunner().invoke(app, ["audit", "-q", "--isolated", *arguments])
    return result.exit_code, result.stdout_bytes


@pytest.mark.parametrize("output_format", ["json", "sarif"])
def test_reports_are_identical_on_one_and_two_processes(agent_log: Path,
                                                        output_format: str) -> None:
    runs = {jobs: _audit("-f", output_format, "--jobs", jobs, str(agent_log))
            for jobs in ("1", "2", "3")}
    code, single = runs["1"]
    assert code == 1  # the log holds warnings
    assert b"PC201" in single  # tools reordered
    assert b"PC102" in single  # a timestamp on top of the system prompt
    assert runs["2"] == (code, single)
    assert runs["3"] == (code, single)  # more processes than two: the same two


def test_several_files_errors_and_per_file_ignores_come_through(agent_log: Path,
                                                                tmp_path: Path) -> None:
    second = tmp_path / "second.jsonl"
    second.write_bytes(agent_log.read_bytes()[:400_000].rsplit(b"\n", 1)[0] + b"\n{oops\n")
    config = tmp_path / "promptcache.toml"
    config.write_text('[per-file-ignores]\n"second.jsonl" = ["PC201"]\n', encoding="utf-8")
    arguments = ("-f", "json", "--config", str(config), str(agent_log), str(second))
    single = CliRunner().invoke(app, ["audit", "-q", *arguments, "--jobs", "1"])
    double = CliRunner().invoke(app, ["audit", "-q", *arguments, "--jobs", "2"])
    assert single.exit_code == double.exit_code == 1
    assert b'"invalid_records": 1' in single.stdout_bytes
    assert double.stdout_bytes == single.stdout_bytes


def test_segments_the_reader_forgets_are_shipped_again(agent_log: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    # Few numbers kept: the reader forgets segments the log uses again, so they cross the
    # pipe again under new numbers, and the main process forgets the old ones.
    monkeypatch.setattr(parallel, "SHIPPED_SEGMENTS", 300)
    monkeypatch.setattr(parallel, "SHIPPED_CHARS", 200_000)
    rules = default_rules(ALL_RULES)
    single = run_audit([str(agent_log)], rules, jobs=1)
    split = run_audit([str(agent_log)], rules, jobs=2)
    assert _same_report(split, single)
    # The forgetting happens in the reader; show, in this process, that these limits forget.
    numbering = parallel._Numbering()
    counter = PromptCounter()
    for item in records.normalize_records(read_records([str(agent_log)]), counter.intern):
        if not isinstance(item, LoadError):
            numbering.ship(counter.count(item))
    assert len(numbering.forgotten) > 200


def test_the_progress_bar_hears_the_reader(agent_log: Path) -> None:
    seen: list[tuple[str, int]] = []
    run_audit([str(agent_log)], default_rules(ALL_RULES), jobs=2,
              on_position=lambda path, position: seen.append((path, position)))
    positions = [position for _, position in seen]
    assert positions == sorted(positions)
    assert seen[-1] == (str(agent_log), agent_log.stat().st_size)


def test_a_failing_reader_is_an_internal_error(agent_log: Path,
                                               monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    original = request_format._from_pair

    def exploding(*arguments: object, **options: object) -> object:
        raise ZeroDivisionError("a bug in the normalizer")

    monkeypatch.setattr(request_format, "_from_pair", exploding)
    code = main(["audit", "-q", "--isolated", "--jobs", "2", "-f", "json", str(agent_log)])
    captured = capsys.readouterr()
    assert code == 3
    assert captured.err.splitlines()[0] == (
        "promptcache: internal error: WorkerFailed: the reader process failed: "
        "ZeroDivisionError: a bug in the normalizer")
    assert "Traceback" not in captured.err + captured.out
    monkeypatch.setattr(request_format, "_from_pair", original)


def test_when_the_reader_is_used(tmp_path: Path) -> None:
    small = tmp_path / "small.jsonl"
    small.write_bytes(b"{}\n")
    big = tmp_path / "big.jsonl"
    with big.open("wb") as out:
        out.truncate(PARALLEL_MIN_BYTES)
    assert not use_reader([str(small)], 1)
    assert use_reader([str(small)], 2)  # asked for: even a small log
    assert use_reader([str(small)], 8)
    assert not use_reader(["-"], 4)  # stdin is read once, here
    assert not use_reader([str(small)], None)  # automatic: too small to gain
    assert use_reader([str(big)], None) == (usable_cores() > 1)
    assert not use_reader([str(tmp_path / "missing.jsonl")], None)  # reported by the reader


def test_findings_come_in_the_single_process_order(agent_log: Path) -> None:
    rules = default_rules(ALL_RULES)
    single = run_audit([str(agent_log)], rules, jobs=1)
    split = run_audit([str(agent_log)], rules, jobs=2)
    assert len({finding.code for finding in single.findings}) >= 3
    assert split.findings == single.findings
    assert _same_report(split, single)


def test_requests_and_segments_cross_the_pipe_whole() -> None:
    # Every field is set, to a value other than its default: a field added to the model
    # but not to the shipping code (or to with_segments) fails here.
    from dataclasses import fields, replace

    from promptcache.model import (
        Estimate,
        ImageRef,
        Location,
        ObservedUsage,
        Request,
        Segment,
        SegmentKind,
    )

    image = ImageRef("digest", "high", True, 640, 480, "example.com")
    segment = Segment(SegmentKind.IMAGE, "$.messages[1].content[0]", "text", 85, "user",
                      "slot", image, True, "canonical", Estimate("a reason", 85, None), "1h")
    assert {field.name for field in fields(Segment)} == {
        "kind", "path", "text", "fixed_tokens", "role", "key", "image", "estimated",
        "canonical", "estimate", "breakpoint"}
    assert parallel._segment(parallel._segment_fields(segment)) == segment
    request = Request(Location("a.jsonl", 7), "openai.chat", "gpt-4o", (segment,), 12.5,
                      "key", "user", "session", ObservedUsage(100, 50, 30, 20),
                      {"tool_choice": '"auto"'}, ("PC101",), "my-deployment", "2026-03-01",
                      ("tool definitions not logged",), "$.request",
                      (("$.request.timestamp", "$.startTime"),))
    assert {field.name for field in fields(Request)} == {
        "location", "api", "model", "segments", "timestamp", "cache_key", "user", "session",
        "observed", "settings", "inline_ignore", "deployment", "recorded", "partial",
        "body_path", "relocations"}
    assert parallel._request(parallel._request_fields(request), (segment,)) == request
    other = (replace(segment, text="other"),)
    assert request.with_segments(other) == replace(request, segments=other)


def test_when_the_vocabulary_is_built_before_the_reader_starts(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Built there, it is one copy both processes share; not built when a memo may serve all.
    from promptcache import cachedir

    small = tmp_path / "small.jsonl"
    small.write_bytes(b"{}\n")
    big = tmp_path / "big.jsonl"
    with big.open("wb") as out:
        out.truncate(parallel.SHARED_VOCABULARY_BYTES)
    folder = tmp_path / "cache"
    monkeypatch.setenv("PROMPTCACHE_CACHE_DIR", str(folder))
    monkeypatch.delenv("PROMPTCACHE_NO_CACHE", raising=False)
    cachedir.cache_dir.cache_clear()
    try:
        assert parallel._vocabulary_needed([str(small)])  # no memo yet: a first run
        (folder / "tokens-o200k_base.sqlite3").write_bytes(b"")
        assert not parallel._vocabulary_needed([str(small)])  # a memo may serve it all
        assert parallel._vocabulary_needed([str(big)])  # more texts than a memo serves
        monkeypatch.setenv("PROMPTCACHE_NO_CACHE", "1")
        cachedir.cache_dir.cache_clear()
        assert parallel._vocabulary_needed([str(small)])  # no memo at all
    finally:
        cachedir.cache_dir.cache_clear()


def test_a_small_run_does_not_import_multiprocessing(tmp_path: Path) -> None:
    # 30 ms of every pre-commit run's start-up: only a log big enough for the reader pays it.
    small = tmp_path / "small.jsonl"
    small.write_bytes(b"{}\n")
    probe = ("import sys\nfrom promptcache.run.parallel import use_reader\n"
             f"assert not use_reader([{str(small)!r}], None)\n"
             "print('multiprocessing' in sys.modules)\n")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                            check=True)
    assert result.stdout.strip() == "False"


@pytest.mark.skipif(not hasattr(__import__("fcntl"), "F_GETPIPE_SZ"),
                    reason="pipe buffers are sized on Linux only")
def test_the_pipe_holds_several_batches(agent_log: Path) -> None:
    import fcntl

    reader = parallel.Reader([str(agent_log)], PromptCounter(), None)
    try:
        assert fcntl.fcntl(reader._link.fileno(), fcntl.F_GETPIPE_SZ) == parallel.PIPE_BYTES
    finally:
        reader.close()
    read_end, write_end = os.pipe()
    try:
        default = fcntl.fcntl(write_end, fcntl.F_GETPIPE_SZ)
        parallel._widen(write_end)
        assert fcntl.fcntl(write_end, fcntl.F_GETPIPE_SZ) == parallel.PIPE_BYTES > default
    finally:
        os.close(read_end)
        os.close(write_end)


def test_a_pipe_that_cannot_be_widened_is_used_as_it_is(monkeypatch: pytest.MonkeyPatch) -> None:
    import fcntl

    def refuse(*_: object) -> int:  # beyond pipe-max-size for a user without the right
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(fcntl, "fcntl", refuse)
    monkeypatch.setattr(fcntl, "F_SETPIPE_SZ", 1031, raising=False)
    read_end, write_end = os.pipe()
    try:
        parallel._widen(write_end)  # no error: the default buffer serves, only slower
    finally:
        os.close(read_end)
        os.close(write_end)
