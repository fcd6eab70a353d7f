"""Path discovery: each file audited once, paths spelled the same however they were typed,
folder walks that skip what ruff skips and what .gitignore ignores."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from promptcache.cli.main import main

from .conftest import SAMPLES

LAST_LINE = "1 finding in 7 requests audited of 7 records read (0 invalid)"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project (its config file at the top) with one log of 7 requests and one finding."""
    (tmp_path / "promptcache.toml").write_text("", "utf-8")
    (tmp_path / "logs").mkdir()
    shutil.copy(SAMPLES / "tool-order.jsonl", tmp_path / "logs" / "a.jsonl")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _concise(capsys: pytest.CaptureFixture[str], *args: str) -> list[str]:
    assert main(["audit", "--format", "concise", *args]) == 1
    return capsys.readouterr().out.splitlines()


def _audited_files(capsys: pytest.CaptureFixture[str], *args: str) -> list[str]:
    """The files a run read, from the JSON report's rows."""
    main(["audit", "--format", "json", "--exit-zero", *args])
    report = json.loads(capsys.readouterr().out)
    return sorted({row["file"] for row in report["requests"]})


@pytest.mark.parametrize(
    "spellings",
    [
        pytest.param(["logs/a.jsonl", "./logs/a.jsonl"], id="relative-twice"),
        pytest.param(["logs/a.jsonl", "{root}/logs/a.jsonl"], id="relative-and-absolute"),
        pytest.param(["logs/../logs/a.jsonl", "logs"], id="file-and-its-folder"),
    ],
)
def test_a_file_given_twice_is_audited_once(
        project: Path, capsys: pytest.CaptureFixture[str], spellings: list[str]) -> None:
    out = _concise(capsys, *(spelling.format(root=project) for spelling in spellings))
    assert out[-1] == LAST_LINE
    assert out[0].startswith("logs/a.jsonl:4:1: PC201 tool-order [warning] ")


def test_a_symlinked_file_is_audited_once(project: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    (project / "link.jsonl").symlink_to(project / "logs" / "a.jsonl")
    assert _concise(capsys, "logs/a.jsonl", "link.jsonl")[-1] == LAST_LINE


@pytest.mark.parametrize("spelling", ["./logs/a.jsonl", "{root}/logs/a.jsonl", "logs/"])
def test_reports_show_the_path_relative_and_normalized(
        project: Path, capsys: pytest.CaptureFixture[str], spelling: str) -> None:
    out = _concise(capsys, spelling.format(root=project))
    assert out[0].startswith("logs/a.jsonl:4:1: PC201 tool-order [warning] ")


@pytest.mark.parametrize(
    ("folder", "spelling"),
    [
        pytest.param(".", "./logs/a.jsonl", id="dot-slash"),
        pytest.param(".", "{root}/logs/a.jsonl", id="absolute"),
        pytest.param("logs", "a.jsonl", id="from-a-subfolder"),
        pytest.param("logs", "../logs/a.jsonl", id="from-a-subfolder-via-parent"),
    ],
)
def test_baseline_holds_however_the_path_is_spelled(
        project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
        folder: str, spelling: str) -> None:
    baseline = project / "baseline.json"
    assert main(["audit", "logs/a.jsonl", "--write-baseline", str(baseline)]) == 1
    capsys.readouterr()
    monkeypatch.chdir(project / folder)
    assert main(["audit", "--format", "concise", "--baseline", str(baseline),
                 spelling.format(root=project)]) == 0
    assert capsys.readouterr().out.splitlines()[-1].startswith("0 findings")


def test_baseline_records_files_relative_to_the_project_root(
        project: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(project / "logs")
    assert main(["audit", "a.jsonl", "--write-baseline", "../baseline.json"]) == 1
    entries = json.loads((project / "baseline.json").read_text("utf-8"))["findings"]
    assert [entry["file"] for entry in entries] == ["logs/a.jsonl"]


def test_per_file_ignores_hold_from_a_subfolder(
        project: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    (project / "promptcache.toml").write_text('[per-file-ignores]\n"logs/*" = ["tool-order"]\n',
                                              "utf-8")
    monkeypatch.chdir(project / "logs")
    assert main(["audit", "--format", "concise", "./a.jsonl"]) == 0


def _tree(project: Path, *names: str) -> None:
    for name in names:
        path = project / name
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(project / "logs" / "a.jsonl", path)


def test_a_folder_walk_skips_virtualenvs_node_modules_and_git(
        project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _tree(project, ".venv/lib/site.jsonl", "node_modules/pkg/fixture.json", ".git/x.jsonl",
          "web/node_modules/y.jsonl")
    assert _audited_files(capsys, ".") == ["logs/a.jsonl"]


def test_a_folder_walk_honours_gitignore_files(
        project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / ".git" / "info").mkdir(parents=True)
    (project / ".git" / "info" / "exclude").write_text("private.jsonl\n", "utf-8")
    _tree(project, "logs/tmp/b.jsonl", "logs/keep.tmp.jsonl", "logs/c.tmp.jsonl",
          "data/d.jsonl", "data/e.jsonl", "logs/private.jsonl")
    (project / ".gitignore").write_text("tmp/\n*.tmp.jsonl\n!keep.tmp.jsonl\n", "utf-8")
    (project / "data" / ".gitignore").write_text("d.jsonl\n", "utf-8")
    expected = ["data/e.jsonl", "logs/a.jsonl", "logs/keep.tmp.jsonl"]
    assert _audited_files(capsys, ".") == expected
    assert _audited_files(capsys, "data") == ["data/e.jsonl"]  # from an inner folder too
    assert len(_audited_files(capsys, ".", "--no-respect-gitignore")) == 7
    # Named files are read even when ignored, unless --force-exclude filters them as well.
    assert _audited_files(capsys, "data/d.jsonl", "logs/a.jsonl") == ["data/d.jsonl",
                                                                     "logs/a.jsonl"]
    assert _audited_files(capsys, "--force-exclude", "data/d.jsonl",
                          "logs/a.jsonl") == ["logs/a.jsonl"]


@pytest.mark.parametrize(
    ("toml", "flags", "expected"),
    [
        pytest.param('extend-exclude = ["old"]', [], ["logs/a.jsonl", "venv2/v.jsonl"],
                     id="extend-exclude-key"),
        pytest.param("", ["--extend-exclude", "old,venv2"], ["logs/a.jsonl"],
                     id="extend-exclude-flag"),
        pytest.param('exclude = ["logs/*.jsonl"]', [],  # `*` spans folders, as in fnmatch
                     [".venv/v.jsonl", "venv2/v.jsonl"],
                     id="exclude-key-replaces-the-defaults"),
        pytest.param('exclude = ["old"]', ["--exclude", "venv2"],
                     [".venv/v.jsonl", "logs/a.jsonl", "logs/old/b.jsonl"],
                     id="exclude-flag-wins-over-the-key"),
        pytest.param('respect-gitignore = false\nextend-exclude = ["old"]', [],
                     ["logs/a.jsonl", "venv2/v.jsonl"], id="respect-gitignore-key"),
    ],
)
def test_exclude_settings(project: Path, capsys: pytest.CaptureFixture[str], toml: str,
                          flags: list[str], expected: list[str]) -> None:
    _tree(project, "logs/old/b.jsonl", ".venv/v.jsonl", "venv2/v.jsonl")
    (project / "promptcache.toml").write_text(toml + "\n", "utf-8")
    assert _audited_files(capsys, *flags, ".") == expected


def test_a_file_named_explicitly_is_audited_even_when_excluded(
        project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _tree(project, ".venv/v.jsonl", "data/d.jsonl")
    (project / "promptcache.toml").write_text('extend-exclude = ["logs"]\n', "utf-8")
    named = ("logs/a.jsonl", ".venv/v.jsonl", "data/d.jsonl")
    assert _audited_files(capsys, *named) == [".venv/v.jsonl", "data/d.jsonl", "logs/a.jsonl"]
    assert _audited_files(capsys, "--force-exclude", *named) == ["data/d.jsonl"]


def test_force_exclude_with_every_file_excluded_audits_nothing_and_passes(
        project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "promptcache.toml").write_text('extend-exclude = ["logs"]\n', "utf-8")
    assert main(["audit", "--format", "concise", "--force-exclude", "logs/a.jsonl"]) == 0
    captured = capsys.readouterr()
    assert captured.out == "0 findings in 0 requests audited of 0 records read (0 invalid)\n"
    assert captured.err == ("promptcache: every path given is excluded (--force-exclude): "
                            "nothing to audit\n")


def test_a_folder_walk_takes_har_captures_and_leaves_other_files(
        project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _tree(project, "captures/session.har", "notes/readme.txt")
    assert _audited_files(capsys, ".") == ["captures/session.har", "logs/a.jsonl"]


def test_a_folder_with_no_log_says_which_files_it_looked_for(
        project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "empty").mkdir()
    assert main(["audit", "empty"]) == 2
    assert capsys.readouterr().err == (
        "promptcache: empty: directory holds no .json, .jsonl, .ndjson or .har files that "
        "are not excluded\n")
