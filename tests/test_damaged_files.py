"""A damaged file whose end cannot be read says, in every format, how much was left out and
from which line, and the run exits 2: an audit that missed records is not a pass."""

from __future__ import annotations

import gzip
import json
import re
import zlib
from dataclasses import dataclass
from pathlib import Path

import pytest

from promptcache.cli.main import main


def _record(number: int) -> bytes:
    return json.dumps({"model": "gpt-4o", "messages": [
        {"role": "user", "content": f"question {number}: " + "tell me more " * 20}]}).encode()


@dataclass(frozen=True)
class Damage:
    id: str
    file: str
    data: bytes
    audited: int
    """Records read before the damage."""
    line: int
    """The first line not read."""
    unread: int
    """Bytes not read from there on."""


def _missing_comma() -> Damage:
    tail = _record(3) + b"\n]\n"
    data = b"[\n" + _record(1) + b",\n" + _record(2) + b"\n" + tail
    return Damage("json-array-missing-comma", "comma.json", data, 2, 4, len(tail))


def _array_then_jsonl() -> Damage:
    tail = _record(2) + b"\n" + _record(3) + b"\n"
    return Damage("bracket-then-jsonl", "bracket.json", b"[\n" + _record(1) + b"\n" + tail,
                  1, 3, len(tail))


def _truncated_gzip() -> Damage:
    text = b"".join(_record(number) + b"\n" for number in range(300))
    cut = gzip.compress(text, mtime=0)
    cut = cut[: len(cut) // 2]
    # What the cut stream still decompresses to: whole lines, then the start of one.
    recovered = zlib.decompressobj(wbits=31).decompress(cut)
    lines = recovered.count(b"\n")
    return Damage("truncated-gzip", "cut.jsonl.gz", cut, lines, lines + 1,
                  len(recovered) - (recovered.rfind(b"\n") + 1))


CASES = [_missing_comma(), _array_then_jsonl(), _truncated_gzip()]


def _audit(capsys: pytest.CaptureFixture[str], damage: Damage,
           output_format: str) -> tuple[int, str]:
    code = main(["audit", "--isolated", "--quiet", "--format", output_format, damage.file])
    return code, capsys.readouterr().out


@pytest.fixture
def damaged(request: pytest.FixtureRequest, tmp_path: Path,
            monkeypatch: pytest.MonkeyPatch) -> Damage:
    damage: Damage = request.param
    monkeypatch.chdir(tmp_path)  # a short name: the rich table keeps it on one line
    (tmp_path / damage.file).write_bytes(damage.data)
    return damage


@pytest.mark.parametrize("damaged", CASES, ids=[case.id for case in CASES], indirect=True)
def test_a_damaged_file_reports_what_was_not_read_and_exits_2(
        damaged: Damage, capsys: pytest.CaptureFixture[str]) -> None:
    part = {"file": damaged.file, "line": damaged.line, "bytes": damaged.unread}
    phrase = f"not read: {damaged.unread} bytes of {damaged.file} from line {damaged.line}"
    code, out = _audit(capsys, damaged, "json")
    summary = json.loads(out)["summary"]
    assert (code, summary["requests_audited"], summary["unread"]) == (
        2, damaged.audited, [part])
    code, out = _audit(capsys, damaged, "sarif")
    assert (code, json.loads(out)["runs"][0]["properties"]["unread"]) == (2, [part])
    for output_format in ("concise", "github"):
        code, out = _audit(capsys, damaged, output_format)
        assert code == 2
        assert out.splitlines()[-1].endswith(f"invalid); {phrase}"), output_format
    code, out = _audit(capsys, damaged, "markdown")
    assert code == 2
    assert f"invalid); {phrase.replace(str(damaged.unread), f'{damaged.unread:,}')}." in out
    code, out = _audit(capsys, damaged, "rich")
    assert code == 2
    row = re.search(r"^Not read\s+(.*)$", out, re.MULTILINE)
    assert row is not None, out
    assert row[1].startswith(f"{damaged.unread:,} bytes of {damaged.file} from line "
                             f"{damaged.line}")


def test_exit_zero_does_not_pass_an_incomplete_audit(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    damage = _missing_comma()
    monkeypatch.chdir(tmp_path)
    Path(damage.file).write_bytes(damage.data)
    assert main(["audit", "--isolated", "--quiet", "--exit-zero", damage.file]) == 2


def test_an_intact_file_reports_nothing_unread(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    log = tmp_path / "fine.json"
    log.write_bytes(b"[\n" + _record(1) + b",\n" + _record(2) + b"\n]\n")
    code = main(["audit", "--isolated", "--format", "json", str(log)])
    out = capsys.readouterr().out
    assert (code, json.loads(out)["summary"]["unread"]) == (0, [])
    main(["audit", "--isolated", "--format", "concise", str(log)])
    assert "not read" not in capsys.readouterr().out
