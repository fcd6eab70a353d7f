"""Report files never cost data: an input is never overwritten, links and devices survive,
failures say so on one line, modes follow the umask, and one run writes several reports."""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from promptcache.cli.main import main
from promptcache.report.formats import RENDERERS
from promptcache.report.output_format import OutputFormat

from .conftest import SAMPLES

SAMPLE = SAMPLES / "tool-order.jsonl"


@pytest.fixture
def log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of a sample log (7 requests, one finding) in the current folder."""
    monkeypatch.chdir(tmp_path)
    copy = tmp_path / "in.jsonl"
    copy.write_bytes(SAMPLE.read_bytes())
    return copy


@pytest.fixture
def umask_022() -> Iterator[None]:
    old = os.umask(0o022)
    yield
    os.umask(old)


def _audit(*arguments: str) -> int:
    return main(["audit", "--isolated", "-q", *arguments])


@pytest.mark.parametrize("spelling", [
    pytest.param(["-o", "in.jsonl"], id="same-name"),
    pytest.param(["-o", "./in.jsonl"], id="dot-slash"),
    pytest.param(["-o", "{tmp}/in.jsonl"], id="absolute"),
    pytest.param(["-o", "alias.jsonl"], id="symlink-to-input"),
    pytest.param(["-o", "hardlink.jsonl"], id="hard-link"),
    pytest.param(["--write-baseline", "in.jsonl"], id="write-baseline"),
    pytest.param(["--output-format", "sarif=in.jsonl"], id="output-format"),
])
def test_an_output_that_is_an_input_is_refused_before_auditing(
        log: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        spelling: list[str]) -> None:
    (tmp_path / "alias.jsonl").symlink_to(log)
    os.link(log, tmp_path / "hardlink.jsonl")
    before = log.read_bytes()
    arguments = [part.replace("{tmp}", str(tmp_path)) for part in spelling]
    assert _audit(*arguments, "in.jsonl") == 2
    captured = capsys.readouterr()
    assert captured.err == (f"promptcache: {arguments[1].partition('=')[2] or arguments[1]} "
                            "is the input in.jsonl: refusing to overwrite it (choose another "
                            "output file)\n")
    assert captured.out == ""
    assert log.read_bytes() == before
    assert (tmp_path / "alias.jsonl").is_symlink()


def test_an_input_found_inside_a_folder_argument_is_not_overwritten(
        log: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "logs"
    folder.mkdir()
    inner = folder / "day.jsonl"
    inner.write_bytes(log.read_bytes())
    assert _audit("-o", "logs/day.jsonl", "logs") == 2
    assert capsys.readouterr().err == (
        f"promptcache: logs/day.jsonl is the input {inner.relative_to(tmp_path)}: refusing to "
        "overwrite it (choose another output file)\n")
    assert inner.read_bytes() == log.read_bytes()


def test_two_outputs_to_one_file_are_refused(log: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    assert _audit("-o", "r.txt", "--output-format", "json=./r.txt", "in.jsonl") == 2
    assert capsys.readouterr().err == (
        "promptcache: ./r.txt is named by two outputs (r.txt and ./r.txt); give each report "
        "its own destination\n")
    assert not Path("r.txt").exists()


def test_output_through_a_symlink_replaces_its_target_and_keeps_the_link(
        log: Path, tmp_path: Path) -> None:
    target = tmp_path / "reports" / "latest.txt"
    target.parent.mkdir()
    target.write_text("old report\n", "utf-8")
    link = tmp_path / "report.txt"
    link.symlink_to(target)
    assert _audit("-f", "concise", "-o", "report.txt", "in.jsonl") == 1
    assert link.is_symlink()
    assert target.read_text("utf-8").endswith(
        "1 finding in 7 requests audited of 7 records read (0 invalid)\n")
    assert sorted(path.name for path in target.parent.iterdir()) == ["latest.txt"]


def test_output_to_a_fifo_is_written_into_it_not_replaced(log: Path, tmp_path: Path) -> None:
    fifo = tmp_path / "report.fifo"
    os.mkfifo(fifo)
    # A reader that is already there (non-blocking), so the writer's open does not wait.
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    try:
        assert _audit("-f", "concise", "-o", str(fifo), "in.jsonl") == 1
        received = os.read(reader, 65536).decode("utf-8")
    finally:
        os.close(reader)
    assert stat.S_ISFIFO(fifo.lstat().st_mode)
    assert received.endswith("1 finding in 7 requests audited of 7 records read (0 invalid)\n")


def _device(tmp_path: Path, system: str) -> str:
    """A device behaving as ``system`` (``/dev/zero``, ``/dev/full``): a private node of the
    same kind when root, so no version of the code under test can replace the system's;
    else the system's own (which a user cannot replace)."""
    if not os.path.exists(system):
        pytest.skip(f"no {system} on this system")
    if os.geteuid() != 0:
        return system
    node = tmp_path / Path(system).name
    os.mknod(node, 0o666 | stat.S_IFCHR, os.stat(system).st_rdev)
    return str(node)


def test_output_to_a_device_is_written_directly(log: Path, tmp_path: Path) -> None:
    # A rename over it would have made the device a regular file holding the report.
    device = _device(tmp_path, "/dev/zero")  # takes writes, like /dev/null
    assert _audit("-o", device, "in.jsonl") == 1
    assert stat.S_ISCHR(os.stat(device).st_mode)


def test_a_failed_write_is_exit_two_with_one_line(log: Path, tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    device = _device(tmp_path, "/dev/full")
    assert _audit("-f", "json", "-o", device, "in.jsonl") == 2
    assert capsys.readouterr().err == (
        f"promptcache: cannot write {device}: No space left on device\n")
    assert stat.S_ISCHR(os.stat(device).st_mode)


def test_dash_as_output_means_standard_output(log: Path, tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    assert _audit("-f", "concise", "-o", "-", "in.jsonl") == 1
    assert capsys.readouterr().out.endswith(
        "1 finding in 7 requests audited of 7 records read (0 invalid)\n")
    assert sorted(path.name for path in tmp_path.iterdir()) == ["in.jsonl"]


def test_a_new_report_file_follows_the_umask(log: Path, umask_022: None) -> None:
    assert _audit("-f", "json", "-o", "r.json", "--write-baseline", "b.json", "in.jsonl") == 1
    assert stat.S_IMODE(os.stat("r.json").st_mode) == 0o644
    assert stat.S_IMODE(os.stat("b.json").st_mode) == 0o644


def test_a_replaced_report_file_keeps_its_mode(log: Path, umask_022: None) -> None:
    report = Path("r.json")
    report.write_text("{}", "utf-8")
    report.chmod(0o640)
    assert _audit("-f", "json", "-o", "r.json", "in.jsonl") == 1
    assert stat.S_IMODE(report.stat().st_mode) == 0o640
    assert json.loads(report.read_text("utf-8"))["summary"]["requests_audited"] == 7


def test_several_reports_in_one_run(log: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = _audit("-f", "concise", "--output-format", "sarif=out.sarif",
                  "--output-format", "json=r.json", "in.jsonl")
    assert code == 1
    assert capsys.readouterr().out.endswith(
        "1 finding in 7 requests audited of 7 records read (0 invalid)\n")
    assert json.loads(Path("out.sarif").read_text("utf-8"))["version"] == "2.1.0"
    assert json.loads(Path("r.json").read_text("utf-8"))["summary"]["requests_audited"] == 7


def test_an_extra_report_may_go_to_stdout_once(log: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    assert _audit("-f", "concise", "-o", "r.txt", "--output-format", "json=-",
                  "in.jsonl") == 1
    assert json.loads(capsys.readouterr().out)["summary"]["requests_audited"] == 7
    assert Path("r.txt").read_text("utf-8").startswith("in.jsonl:")
    assert _audit("--output-format", "json=-", "in.jsonl") == 2  # the main report is there
    assert capsys.readouterr().err == (
        "promptcache: standard output is named by two outputs (- and -); give each report "
        "its own destination\n")


def test_every_format_of_the_table_can_be_an_extra_output(log: Path) -> None:
    arguments = [argument for chosen in RENDERERS
                 for argument in ("--output-format", f"{chosen.value}=out.{chosen.value}")]
    assert _audit("-o", "main.txt", *arguments, "in.jsonl") == 1
    for chosen in RENDERERS:
        assert Path(f"out.{chosen.value}").stat().st_size > 0
    assert OutputFormat.AUTO not in RENDERERS


def test_an_output_format_without_a_path_is_one_line(log: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    assert _audit("--output-format", "sarif", "in.jsonl") == 2
    assert capsys.readouterr().err == (
        "promptcache: Invalid value for '--output-format': 'sarif' is not FORMAT=PATH (e.g. "
        "sarif=promptcache.sarif, json=-) (see `promptcache audit -h`)\n")


def test_an_unknown_output_format_suggests_the_nearest(
        log: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _audit("--output-format", "sarf=x.sarif", "in.jsonl") == 2
    err = capsys.readouterr().err
    # The list of formats grows with the renderer table; the line's ends do not.
    assert err.startswith("promptcache: Invalid value for '--output-format': 'sarf' is not one "
                          "of 'rich', 'concise', 'json', 'sarif', ")
    assert err.endswith("; did you mean 'sarif'? (see `promptcache audit -h`)\n")
    assert err.count("\n") == 1
    assert not Path("x.sarif").exists()


def test_an_output_that_is_the_log_read_on_stdin_is_refused(
        log: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    before = log.read_bytes()
    with log.open("r", encoding="utf-8") as stdin:  # `promptcache audit - < in.jsonl`
        monkeypatch.setattr("sys.stdin", stdin)
        assert _audit("-o", "in.jsonl", "-") == 2
    assert capsys.readouterr().err == (
        "promptcache: in.jsonl is the input -: refusing to overwrite it (choose another "
        "output file)\n")
    assert log.read_bytes() == before


def test_stdout_appended_to_the_input_is_refused(log: Path, monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    before = log.read_bytes()
    with log.open("a", encoding="utf-8") as stdout:  # `promptcache audit in.jsonl >> in.jsonl`
        monkeypatch.setattr("sys.stdout", stdout)
        assert _audit("-f", "json", "in.jsonl") == 2
    assert capsys.readouterr().err == (
        "promptcache: standard output is the input in.jsonl: refusing to overwrite it (choose "
        "another output file)\n")
    assert log.read_bytes() == before


def test_a_directory_as_output_is_refused_before_auditing(
        log: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "reports").mkdir()
    assert _audit("--output-format", "sarif=reports", "in.jsonl") == 2
    assert capsys.readouterr().err == (
        "promptcache: reports is a directory: name a file for the report\n")
    assert list((tmp_path / "reports").iterdir()) == []
