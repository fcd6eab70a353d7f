"""Logs read where they are stored (``s3://``, ``gs://``... through fsspec), here on fsspec's
in-memory filesystem: the same audit as on local copies, files named by their URLs, the same
one-line errors."""

from __future__ import annotations

import gzip
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import promptcache
from promptcache.cli.main import main

fsspec = pytest.importorskip("fsspec", reason="fsspec (the remote extra) is not installed")

SYSTEM = "You answer questions about the orders of a small bookshop, briefly. " * 120


def _line(minute: int, question: str) -> str:
    return json.dumps({"timestamp": f"2026-11-02T10:0{minute}:00Z", "request": {
        "model": "gpt-4o", "messages": [
            {"role": "system", "content": f"Now: 10:0{minute}:13. {SYSTEM}"},
            {"role": "user", "content": question}]}})


DAY_ONE = "\n".join([_line(0, "Where is my order?"), _line(1, "Can I return it?")]) + "\n"
DAY_TWO = "\n".join([_line(3, "Do you ship abroad?"), "{\"model\": 3}"]) + "\n"


@pytest.fixture
def bucket(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """memory://bucket/logs/ holding day-1 (plain), day-2 (gzip) and a README; the same
    two logs in a local folder, returned."""
    memory = fsspec.filesystem("memory")
    memory.pipe("/bucket/logs/2026-11-01.jsonl", DAY_ONE.encode())
    memory.pipe("/bucket/logs/2026-11-02.jsonl.gz", gzip.compress(DAY_TWO.encode()))
    memory.pipe("/bucket/logs/README.txt", b"not a log")
    local = tmp_path / "logs"
    local.mkdir()
    (local / "2026-11-01.jsonl").write_text(DAY_ONE, "utf-8")
    (local / "2026-11-02.jsonl.gz").write_bytes(gzip.compress(DAY_TWO.encode()))
    monkeypatch.chdir(tmp_path)
    yield local
    memory.store.clear()
    memory.pseudo_dirs.clear()
    memory.pseudo_dirs.append("")


def _without_files(document: dict[str, Any]) -> str:
    """The report with every file name taken out, to compare a remote and a local run."""
    text = json.dumps(document)
    for name in ("memory://bucket/logs/", "memory:///bucket/logs/", "logs/"):
        text = text.replace(name, "")
    return text


@pytest.mark.parametrize("url", ["memory://bucket/logs", "memory://bucket/logs/*.jsonl*"])
def test_a_remote_folder_or_glob_audits_as_its_local_copy(bucket: Path, url: str) -> None:
    remote = promptcache.audit(url, isolated=True)
    local = promptcache.audit("logs", isolated=True)
    assert [finding.code for finding in remote.findings] == ["PC102"]
    assert remote.summary.requests_audited == 3
    assert [(error.file, error.line) for error in remote.errors] == [
        ("memory:///bucket/logs/2026-11-02.jsonl.gz", 2)]
    assert remote.findings[0].location.file == "memory:///bucket/logs/2026-11-01.jsonl"
    assert _without_files(promptcache.to_dict(remote)) == _without_files(
        promptcache.to_dict(local))


def test_one_remote_file_keeps_its_spelling(bucket: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["audit", "--isolated", "-f", "concise",
                 "memory://bucket/logs/2026-11-01.jsonl"]) == 1
    out = capsys.readouterr().out
    assert out.startswith("memory://bucket/logs/2026-11-01.jsonl:2:1: PC102 ")


@pytest.mark.parametrize(("url", "message"), [
    pytest.param("memory://bucket/none/*.jsonl", "memory://bucket/none/*.jsonl: no file matches",
                 id="no-match"),
    pytest.param("memory://bucket/missing.jsonl",
                 "memory://bucket/missing.jsonl: no such file or directory", id="missing"),
    pytest.param("memory://bucket/empty",
                 "memory://bucket/empty: holds no .json, .jsonl, .ndjson or .har files",
                 id="no-logs"),
    pytest.param("nosuchstore://bucket/a.jsonl", "nosuchstore://bucket/a.jsonl: Protocol not "
                 "known: nosuchstore", id="unknown-protocol"),
])
def test_a_remote_path_that_names_no_log_is_a_one_line_usage_error(
        bucket: Path, capsys: pytest.CaptureFixture[str], url: str, message: str) -> None:
    fsspec.filesystem("memory").pipe("/bucket/empty/notes.txt", b"text")
    assert main(["audit", "--isolated", "-q", url]) == 2
    assert capsys.readouterr().err == f"promptcache: {message}\n"


def test_without_fsspec_the_message_says_what_to_install(
        bucket: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "fsspec", None)  # import fsspec raises ImportError
    assert main(["audit", "--isolated", "-q", "s3://bucket/logs/a.jsonl"]) == 2
    assert capsys.readouterr().err == (
        "promptcache: s3://bucket/logs/a.jsonl: reading s3:// paths needs fsspec: pip install "
        "'promptcache[remote]' (and the filesystem's package, e.g. s3fs, gcsfs, adlfs)\n")


def test_a_remote_file_gone_before_it_is_read_is_reported_and_the_rest_audited(
        bucket: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from promptcache.load import paths

    listed = paths.expand_url

    def listed_then_removed(url: str) -> list[str]:
        found = listed(url)
        fsspec.filesystem("memory").rm("/bucket/logs/2026-11-01.jsonl")
        return found

    monkeypatch.setattr(paths, "expand_url", listed_then_removed)
    report = promptcache.audit("memory://bucket/logs", isolated=True)
    assert report.summary.requests_audited == 1
    assert [(error.file, error.line) for error in report.errors] == [
        ("memory:///bucket/logs/2026-11-01.jsonl", 0),
        ("memory:///bucket/logs/2026-11-02.jsonl.gz", 2)]
    assert report.errors[0].message == "cannot open: /bucket/logs/2026-11-01.jsonl"


def test_the_reader_process_reads_remote_logs_as_one_process_does(bucket: Path) -> None:
    one = promptcache.to_dict(promptcache.audit("memory://bucket/logs", isolated=True, jobs=1))
    two = promptcache.to_dict(promptcache.audit("memory://bucket/logs", isolated=True, jobs=2))
    assert one == two
