"""Reading files into records: formats, compression, line numbers, broken input."""

from __future__ import annotations

import gzip
import io
import sys
from pathlib import Path

import pytest

from promptcache.load.paths import InputError, expand_paths
from promptcache.load.sources import LoadError, RawRecord, read_records


def _read(path: Path) -> list[RawRecord | LoadError]:
    return list(read_records([str(path)]))


def _lines(items: list[RawRecord | LoadError]) -> list[tuple[str, int]]:
    return [(type(item).__name__, item.location.line) for item in items]


def test_jsonl_records_keep_their_line_numbers(tmp_path: Path) -> None:
    log = tmp_path / "log.jsonl"
    log.write_text('{"a": 1}\n\n{"a": 2}\n   \n{"a": 3}\n', encoding="utf-8")
    items = _read(log)
    assert _lines(items) == [("RawRecord", 1), ("RawRecord", 3), ("RawRecord", 5)]
    assert [item.value for item in items if isinstance(item, RawRecord)] == [
        {"a": 1}, {"a": 2}, {"a": 3}]


def test_a_bad_line_is_one_error_and_the_rest_is_read(tmp_path: Path) -> None:
    log = tmp_path / "log.jsonl"
    log.write_text('{"a": 1}\n{"a": \n{"a": 3}\n', encoding="utf-8")
    items = _read(log)
    assert _lines(items) == [("RawRecord", 1), ("LoadError", 2), ("RawRecord", 3)]
    error = items[1]
    assert isinstance(error, LoadError)
    assert error.message.startswith("invalid JSON")


def test_json_array_elements_get_the_line_they_start_on(tmp_path: Path) -> None:
    log = tmp_path / "log.json"
    log.write_text('[\n  {"a": 1},\n  {\n    "a": 2\n  }\n]\n', encoding="utf-8")
    assert _lines(_read(log)) == [("RawRecord", 2), ("RawRecord", 3)]


def test_pretty_printed_single_object(tmp_path: Path) -> None:
    log = tmp_path / "one.json"
    log.write_text('\n{\n  "messages": []\n}\n', encoding="utf-8")
    items = _read(log)
    assert _lines(items) == [("RawRecord", 2)]


@pytest.mark.parametrize(("name", "text"), [
    ("array.json", '[\n  {"a": 1},\n  {"a": 2}\n]\n'),
    ("pretty.json", '\n\n{\n  "messages": [],\n  "padding": "xxxxxxxxxxxxxxxxxxxxxxxx"\n}\n'),
])
def test_a_json_document_over_the_limit_is_refused_unread_and_the_next_file_is_read(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, text: str) -> None:
    # A document is held whole to be decoded: past the limit it is one error, not gigabytes.
    monkeypatch.setattr("promptcache.load.sources.MAX_DOCUMENT_BYTES", 24)
    big = tmp_path / name
    big.write_text(text, encoding="utf-8")
    small = tmp_path / "small.json"
    small.write_text('[{"a": 1}]\n', encoding="utf-8")
    items = list(read_records([str(big), str(small)]))
    start = next(number for number, line in enumerate(text.splitlines(), 1) if line.strip())
    assert _lines(items) == [("LoadError", start), ("RawRecord", 1)]
    error = items[0]
    assert isinstance(error, LoadError)
    assert error.location.file == str(big)
    assert error.message == ("JSON document over 0 MiB, too large to read whole: not audited; "
                             "write big logs as JSONL, one record per line (for an array: "
                             "jq -c '.[]')")


def test_a_json_document_at_the_limit_is_read(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    text = '[{"a": 1}, {"a": 2}]'
    monkeypatch.setattr("promptcache.load.sources.MAX_DOCUMENT_BYTES", len(text))
    log = tmp_path / "log.json"
    log.write_text(text, encoding="utf-8")
    assert _lines(_read(log)) == [("RawRecord", 1), ("RawRecord", 1)]


def test_broken_json_document_names_the_line(tmp_path: Path) -> None:
    log = tmp_path / "bad.json"
    log.write_text('[\n {"a": 1},\n {"a": }\n]\n', encoding="utf-8")
    items = _read(log)
    assert _lines(items) == [("RawRecord", 2), ("LoadError", 3)]
    error = items[1]
    assert isinstance(error, LoadError)
    assert "line 3" in error.message


def test_gzip_and_bom_and_crlf(tmp_path: Path) -> None:
    log = tmp_path / "log.jsonl.gz"
    log.write_bytes(gzip.compress(b'\xef\xbb\xbf{"a": 1}\r\n{"a": 2}\r\n'))
    assert _lines(_read(log)) == [("RawRecord", 1), ("RawRecord", 2)]


def test_truncated_gzip_keeps_records_before_the_damage(tmp_path: Path) -> None:
    payload = gzip.compress(b"".join(b'{"n": %d}\n' % n for n in range(2000)))
    log = tmp_path / "cut.jsonl.gz"
    log.write_bytes(payload[: len(payload) // 2])
    items = _read(log)
    assert isinstance(items[-1], LoadError)
    assert items[-1].location.line == 0
    assert all(isinstance(item, RawRecord) for item in items[:-1])
    assert len(items) > 10


def test_stdin(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = io.TextIOWrapper(io.BytesIO(b'{"a": 1}\n{"a": 2}\n'))
    monkeypatch.setattr(sys, "stdin", fake)
    items = list(read_records(["-"]))
    assert [(item.location.file, item.location.line) for item in items] == [("-", 1), ("-", 2)]


def test_nan_is_rejected_in_documents(tmp_path: Path) -> None:
    log = tmp_path / "nan.json"
    log.write_text('[{"a": NaN}]', encoding="utf-8")
    items = _read(log)
    assert isinstance(items[0], LoadError)


def test_directories_expand_to_sorted_log_files(tmp_path: Path) -> None:
    (tmp_path / "b.jsonl").write_text("{}\n")
    (tmp_path / "a.json").write_text("{}\n")
    (tmp_path / "notes.txt").write_text("not a log\n")
    assert expand_paths([str(tmp_path)]) == [str(tmp_path / "a.json"), str(tmp_path / "b.jsonl")]


@pytest.mark.parametrize(
    ("make", "message"),
    [
        pytest.param(lambda p: p / "missing.jsonl", "no such file", id="missing"),
        pytest.param(lambda p: p, "no .json, .jsonl, .ndjson or .har files", id="empty-directory"),
    ],
)
def test_unusable_paths_are_input_errors(tmp_path: Path, make: object, message: str) -> None:
    assert callable(make)
    with pytest.raises(InputError, match=message):
        expand_paths([str(make(tmp_path))])


def test_input_files_are_not_modified(tmp_path: Path) -> None:
    log = tmp_path / "log.jsonl"
    log.write_text('{"a": 1}\n', encoding="utf-8")
    before = (log.read_bytes(), log.stat().st_mtime_ns)
    _read(log)
    assert (log.read_bytes(), log.stat().st_mtime_ns) == before
