"""Compressed logs: gzip, bzip2, xz and zstd read as the plain file, told by their first
bytes; a cut or corrupt stream keeps the records before the damage and names the format."""

from __future__ import annotations

import bz2
import gzip
import io
import json
import lzma
import random
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from promptcache.cli.main import main
from promptcache.load.paths import expand_paths
from promptcache.load.sources import LoadError, RawRecord, read_records

zstandard = pytest.importorskip("zstandard", reason="zstandard (the zstd extra) is not installed")


def _zstd(data: bytes) -> bytes:
    return zstandard.ZstdCompressor().compress(data)


def _zstd_two_frames(data: bytes) -> bytes:
    """A log compressed in two frames, as appending to a .zst file writes it."""
    half = data.index(b"\n", len(data) // 2) + 1
    return _zstd(data[:half]) + _zstd(data[half:])


COMPRESSORS: dict[str, tuple[str, Callable[[bytes], bytes]]] = {
    "gzip": (".gz", lambda data: gzip.compress(data, mtime=0)),
    "bzip2": (".bz2", lambda data: bz2.compress(data, 1)),  # blocks of 100 kB
    "xz": (".xz", lzma.compress),
    "zstd": (".zst", _zstd),
}

_WORDS = random.Random(7)
LOG = b"".join(json.dumps({"model": "gpt-4o", "messages": [
    {"role": "user", "content": f"question {number}: " + " ".join(
        f"{_WORDS.randrange(10**6):x}" for _ in range(200))}]}).encode()
    + b"\n" for number in range(400))
"""About 600 kB of text that does not compress to nothing: several blocks in every format,
so a stream cut in half still holds whole lines."""


def _values(path: Path) -> list[object]:
    return [item.value if isinstance(item, RawRecord) else item.message
            for item in read_records([str(path)])]


@pytest.mark.parametrize("kind", sorted(COMPRESSORS))
def test_a_compressed_log_reads_as_the_plain_one(tmp_path: Path, kind: str) -> None:
    suffix, compress = COMPRESSORS[kind]
    plain, packed = tmp_path / "log.jsonl", tmp_path / f"log.jsonl{suffix}"
    plain.write_bytes(LOG)
    packed.write_bytes(compress(LOG))
    assert _values(packed) == _values(plain)
    assert len(_values(packed)) == 400


def test_zstd_frames_appended_one_after_another_read_as_one_log(tmp_path: Path) -> None:
    packed = tmp_path / "log.jsonl.zst"
    packed.write_bytes(_zstd_two_frames(LOG))
    assert len([value for value in _values(packed) if isinstance(value, dict)]) == 400


def test_the_format_is_told_by_the_first_bytes_not_the_name(tmp_path: Path) -> None:
    misnamed = tmp_path / "log.jsonl"
    misnamed.write_bytes(bz2.compress(LOG))
    assert len(_values(misnamed)) == 400


@pytest.mark.parametrize("kind", sorted(COMPRESSORS))
def test_a_cut_stream_keeps_the_records_before_it(tmp_path: Path, kind: str) -> None:
    suffix, compress = COMPRESSORS[kind]
    packed = compress(LOG)
    log = tmp_path / f"cut.jsonl{suffix}"
    log.write_bytes(packed[: len(packed) // 2])
    items = list(read_records([str(log)]))
    *records, damage = items
    assert records
    assert all(isinstance(item, RawRecord) for item in records)
    assert isinstance(damage, LoadError)
    assert damage.location.line == 0
    assert damage.message.startswith(
        f"truncated {kind} data: the file ends inside the compressed stream, after line "
        f"{len(records)}")
    assert damage.unread is not None


@pytest.mark.parametrize("kind", sorted(COMPRESSORS))
def test_a_corrupt_stream_names_its_format(tmp_path: Path, kind: str) -> None:
    suffix, compress = COMPRESSORS[kind]
    packed = bytearray(compress(LOG))
    middle = len(packed) // 2
    packed[middle:middle + 64] = bytes(64)  # zeros over the compressed data
    log = tmp_path / f"bad.jsonl{suffix}"
    log.write_bytes(bytes(packed))
    damage = list(read_records([str(log)]))[-1]
    assert isinstance(damage, LoadError)
    assert damage.message.startswith((f"corrupt {kind} data", f"truncated {kind} data"))


def test_a_folder_walk_takes_every_compressed_log(tmp_path: Path) -> None:
    for kind, (suffix, compress) in COMPRESSORS.items():
        (tmp_path / f"{kind}.jsonl{suffix}").write_bytes(compress(LOG))
    (tmp_path / "notes.txt.gz").write_bytes(gzip.compress(b"not a log"))
    assert [Path(path).name for path in expand_paths([str(tmp_path)])] == [
        "bzip2.jsonl.bz2", "gzip.jsonl.gz", "xz.jsonl.xz", "zstd.jsonl.zst"]


def test_zstd_without_the_package_is_one_line_and_the_rest_is_audited(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    Path("a.jsonl.zst").write_bytes(_zstd(LOG))
    Path("b.jsonl").write_bytes(LOG[:LOG.index(b"\n") + 1])
    monkeypatch.setitem(sys.modules, "zstandard", None)  # import zstandard raises ImportError
    code = main(["audit", "--isolated", "--quiet", "--format", "json", "a.jsonl.zst",
                 "b.jsonl"])
    report = json.loads(capsys.readouterr().out)
    assert code == 2  # a file left unread is not a pass
    assert report["summary"]["requests_audited"] == 1
    assert [error["message"] for error in report["errors"]] == [
        "cannot read: zstd-compressed: reading it needs the zstandard package "
        "(pip install 'promptcache[zstd]')"]


def test_standard_input_may_be_compressed(monkeypatch: pytest.MonkeyPatch) -> None:
    stdin = io.TextIOWrapper(io.BytesIO(lzma.compress(LOG)))
    monkeypatch.setattr(sys, "stdin", stdin)
    assert len(list(read_records(["-"]))) == 400
