"""Configuration: discovery, the select / ignore / severity / options / per-file matrix, and
errors that name their path."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from promptcache.cli.main import main
from promptcache.config import ConfigError, parse_config, settings_from
from promptcache.config_files import find_config
from promptcache.engine.findings import Severity
from promptcache.rules import ALL_RULES

SYSTEM = ("You are the support assistant of Example Air. " * 130).strip()


def _record(system: str, user: str = "Where is my bag?") -> dict[str, Any]:
    return {"request": {"model": "gpt-4o", "messages": [
        {"role": "system", "content": system}, {"role": "user", "content": user}]}}


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder with a log that has one dynamic-content finding and one too-short prompt."""
    logs = tmp_path / "logs"
    logs.mkdir()
    records = [_record(f"Request {n}\n{SYSTEM}") for n in range(3)] + [_record("Be brief.")]
    (logs / "app.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records), "utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _findings(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, list[tuple[str, str]]]:
    code = main(["audit", "--format", "json", *args, "logs/app.jsonl"])
    report = json.loads(capsys.readouterr().out)
    return code, sorted((finding["name"], finding["severity"]) for finding in report["findings"])


DYNAMIC = ("dynamic-prefix", "warning")
SHORT = ("prompt-too-short", "info")


@pytest.mark.parametrize(
    ("toml", "expected_findings", "expected_code"),
    [
        pytest.param("", [DYNAMIC, SHORT], 1, id="defaults"),
        pytest.param('select = ["PC0"]', [SHORT], 0, id="select-by-prefix"),
        pytest.param('select = ["dynamic-prefix"]', [DYNAMIC], 1, id="select-by-name"),
        pytest.param('ignore = ["PC101"]', [SHORT], 0, id="ignore-by-code"),
        pytest.param('ignore = ["ALL"]', [], 0, id="ignore-all"),
        pytest.param('[severity]\nprompt-too-short = "error"',
                     [DYNAMIC, ("prompt-too-short", "error")], 1, id="severity-override"),
        pytest.param('fail-on = "error"', [DYNAMIC, SHORT], 0, id="fail-on"),
        pytest.param('[rules.dynamic-prefix]\nmin-shared-tokens = 100000', [SHORT], 0,
                     id="rule-option"),
        pytest.param('[per-file-ignores]\n"logs/*.jsonl" = ["dynamic-prefix"]', [SHORT], 0,
                     id="per-file-ignore"),
        pytest.param('[per-file-ignores]\n"other/*.jsonl" = ["dynamic-prefix"]',
                     [DYNAMIC, SHORT], 1, id="per-file-ignore-elsewhere"),
    ],
)
def test_configuration_matrix(project: Path, capsys: pytest.CaptureFixture[str], toml: str,
                              expected_findings: list[tuple[str, str]],
                              expected_code: int) -> None:
    (project / "promptcache.toml").write_text(toml + "\n", "utf-8")
    code, findings = _findings(capsys)
    assert findings == expected_findings
    assert code == expected_code


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        pytest.param("colour = 1", ": colour: unknown key (known: ",
                     id="unknown-key"),
        pytest.param('select = ["no-such-rule"]', "select[0]: unknown rule 'no-such-rule'",
                     id="unknown-rule-in-select"),
        pytest.param('[severity]\ntool-order = "fatal"',
                     "severity.tool-order: 'fatal' is not one of info, warning, error",
                     id="bad-severity"),
        pytest.param('[severity]\nnope = "info"', "severity.nope: unknown rule 'nope'",
                     id="unknown-rule-in-severity"),
        pytest.param('[rules.dynamic-prefix]\nmax-span = 3',
                     "rules.dynamic-prefix.max-span: unknown option for dynamic-prefix",
                     id="unknown-option"),
        pytest.param('[rules.dynamic-prefix]\nmax-span-chars = "long"',
                     "rules.dynamic-prefix.max-span-chars: expected integer", id="bad-option"),
        pytest.param('[rules.PC1]\nmax-span-chars = 3', "rules.PC1: unknown rule 'PC1'",
                     id="options-need-an-exact-rule"),
        pytest.param("cache-lifetime = -5", "cache-lifetime: ", id="bad-lifetime"),
        pytest.param("select = [", "invalid TOML", id="invalid-toml"),
        pytest.param('snippets = "no"', "snippets: expected boolean", id="bad-snippets"),
        pytest.param("cache-lifetme = 60",
                     "cache-lifetme: unknown key (did you mean 'cache-lifetime'?)",
                     id="did-you-mean-settings-key"),
        pytest.param('select = ["dynamic-prefx"]',
                     "select[0]: unknown rule 'dynamic-prefx' (did you mean 'dynamic-prefix'?)",
                     id="did-you-mean-select"),
        pytest.param('ignore = ["tool-ordr"]',
                     "ignore[0]: unknown rule 'tool-ordr' (did you mean 'tool-order'?)",
                     id="did-you-mean-ignore"),
        pytest.param('[severity]\ntool-ordr = "error"',
                     "severity.tool-ordr: unknown rule 'tool-ordr' (did you mean 'tool-order'?)",
                     id="did-you-mean-severity"),
        pytest.param("[rules.dynamic-prefx]\nmin-shared-tokens = 3",
                     "rules.dynamic-prefx: unknown rule 'dynamic-prefx' (did you mean "
                     "'dynamic-prefix'?)", id="did-you-mean-rules-table"),
        pytest.param("[rules.dynamic-prefix]\nmin-shared-token = 3",
                     "rules.dynamic-prefix.min-shared-token: unknown option for dynamic-prefix "
                     "(did you mean 'min-shared-tokens'?)", id="did-you-mean-rule-option"),
        pytest.param('[per-file-ignores]\n"logs/*" = ["PC1O1"]',
                     "unknown rule 'PC1O1' (did you mean 'PC101'?)",
                     id="did-you-mean-per-file-ignores"),
    ],
)
def test_invalid_configuration_exits_two_naming_the_path(
        project: Path, capsys: pytest.CaptureFixture[str], toml: str, message: str) -> None:
    (project / "promptcache.toml").write_text(toml + "\n", "utf-8")
    assert main(["audit", "logs/app.jsonl"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"promptcache: {project / 'promptcache.toml'}: ")
    assert message in err
    assert "Traceback" not in err


def test_pyproject_is_found_upward_with_its_table_path(
        project: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    (project / "pyproject.toml").write_text(
        '[project]\nname = "app"\n\n[tool.promptcache]\nignore = ["PC101"]\ncolour = 2\n',
        "utf-8")
    monkeypatch.chdir(project / "logs")
    assert find_config(Path.cwd()) == project / "pyproject.toml"
    assert main(["audit", "app.jsonl"]) == 2
    assert "pyproject.toml: tool.promptcache.colour: unknown key" in capsys.readouterr().err


def test_a_pyproject_without_the_table_is_not_a_config(project: Path) -> None:
    (project / "pyproject.toml").write_text('[project]\nname = "app"\n', "utf-8")
    assert find_config(project) is None


def test_command_line_wins_and_isolated_skips_the_file(
        project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "promptcache.toml").write_text('ignore = ["PC101"]\nfail-on = "info"\n', "utf-8")
    code, findings = _findings(capsys, "--fail-on", "error")
    assert (code, findings) == (0, [SHORT])
    code, findings = _findings(capsys, "--isolated", "--ignore", "PC001")
    assert (code, findings) == (1, [DYNAMIC])
    code, findings = _findings(capsys, "--select", "PC101,PC001")
    assert findings == [SHORT]  # the file's ignore still applies on top of a select


def test_explicit_config_file(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    other = project / "strict.toml"
    other.write_text('[severity]\nPC1 = "error"\n', "utf-8")
    code, findings = _findings(capsys, "--config", str(other))
    assert ("dynamic-prefix", "error") in findings
    assert code == 1


def test_snippets_key_and_flag(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    def snippets(*args: str) -> list[str]:
        main(["audit", "--format", "json", *args, "logs/app.jsonl"])
        report = json.loads(capsys.readouterr().out)
        return sorted(finding["snippet"] for finding in report["findings"])

    assert snippets() == ["0 -> 1", "19 < 1024 tokens"]
    (project / "promptcache.toml").write_text("snippets = false\n", "utf-8")
    assert snippets() == ["", ""]
    assert snippets("--snippets") == ["0 -> 1", "19 < 1024 tokens"]  # the command line wins
    assert snippets("--isolated", "--no-snippets") == ["", ""]


def test_settings_from_defaults() -> None:
    settings = settings_from(parse_config({}, ALL_RULES), ALL_RULES)
    assert settings.fail_on is Severity.WARNING
    assert [active.rule.code for active in settings.rules] == [rule.code for rule in ALL_RULES]
    with pytest.raises(ConfigError, match="unknown rule 'PCX'"):
        settings_from(parse_config({}, ALL_RULES), ALL_RULES, select=["PCX"])


def _one_line_error(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    assert main(["audit", *args]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "Traceback" not in err
    return err


def test_config_nested_too_deeply_is_a_one_line_error(
        project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "promptcache.toml").write_text("x = " + "[" * 5000 + "]" * 5000 + "\n", "utf-8")
    err = _one_line_error(capsys, "logs/app.jsonl")
    assert err == (f"promptcache: {project / 'promptcache.toml'}: invalid TOML: values nested "
                   "too deeply\n")


def test_config_that_is_a_device_is_refused_unread(
        project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    err = _one_line_error(capsys, "--config", "/dev/zero", "logs/app.jsonl")
    assert err == "promptcache: /dev/zero: not a regular file\n"


@pytest.mark.parametrize("named", [False, True], ids=["found", "named-by-config"])
def test_config_that_is_a_fifo_is_refused_without_waiting_for_a_writer(
        project: Path, capsys: pytest.CaptureFixture[str], named: bool) -> None:
    fifo = project / "promptcache.toml"
    os.mkfifo(fifo)
    err = _one_line_error(capsys, *(["--config", str(fifo)] if named else []), "logs/app.jsonl")
    assert err == f"promptcache: {fifo}: not a regular file\n"


def test_config_over_a_mebibyte_is_refused(
        project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "promptcache.toml").write_text("# padding\n" * 110_000, "utf-8")
    err = _one_line_error(capsys, "logs/app.jsonl")
    assert err.endswith("promptcache.toml: over 1 MiB, too large for a configuration file\n")


def test_invalid_pyproject_above_the_logs_is_an_error_not_skipped(
        project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "pyproject.toml").write_text('[tool.promptcache\nignore = ["PC101"]\n', "utf-8")
    err = _one_line_error(capsys, "logs/app.jsonl")
    assert err.startswith(f"promptcache: {project / 'pyproject.toml'}: invalid TOML: ")


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        pytest.param("[tool]\npromptcache = 3", "tool.promptcache: expected a table, found int",
                     id="number"),
        pytest.param('[tool]\npromptcache = ["PC101"]',
                     "tool.promptcache: expected a table, found list", id="array"),
    ],
)
def test_tool_promptcache_that_is_not_a_table_is_an_error(
        project: Path, capsys: pytest.CaptureFixture[str], toml: str, message: str) -> None:
    (project / "pyproject.toml").write_text(toml + "\n", "utf-8")
    err = _one_line_error(capsys, "logs/app.jsonl")
    assert err == f"promptcache: {project / 'pyproject.toml'}: {message}\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(["audit", "--select", "dynamic-prefx", "logs/app.jsonl"],
                     "--select: unknown rule 'dynamic-prefx' (did you mean 'dynamic-prefix'?)",
                     id="select-flag"),
        pytest.param(["audit", "--ignore", "PC1O1", "logs/app.jsonl"],
                     "--ignore: unknown rule 'PC1O1' (did you mean 'PC101'?)", id="ignore-flag"),
        pytest.param(["rule", "dynamic-prefx"],
                     "unknown rule 'dynamic-prefx' (did you mean 'dynamic-prefix'?)",
                     id="rule-command"),
    ],
)
def test_unknown_rules_on_the_command_line_suggest_the_closest(
        project: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str) -> None:
    assert main(args) == 2
    assert capsys.readouterr().err == f"promptcache: {message}\n"


def test_rule_names_work_wherever_codes_do(
        project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "promptcache.toml").write_text(
        '[per-file-ignores]\n"logs/*" = ["prompt-too-short"]\n'
        '[severity]\ndynamic-prefix = "error"\n', "utf-8")
    assert _findings(capsys) == (1, [("dynamic-prefix", "error")])
    assert main(["rule", "prompt-too-short"]) == 0
    assert "PC001 prompt-too-short" in capsys.readouterr().out


def test_show_settings_prints_the_settings_in_force_and_their_file(
        project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "promptcache.toml").write_text(
        'select = ["PC1"]\nfail-on = "error"\ncache-lifetime = 600\nsnippets = false\n'
        'extend-exclude = ["old"]\n[severity]\nPC101 = "info"\n'
        '[rules.dynamic-prefix]\nmin-shared-tokens = 64\n'
        '[per-file-ignores]\n"logs/*.jsonl" = ["PC102"]\n', "utf-8")
    assert main(["audit", "--show-settings", "--no-respect-gitignore"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[:4] == [f"# configuration file: {project / 'promptcache.toml'}",
                       f"# project root: {project}", 'fail-on = "error"',
                       "cache-lifetime = 600"]
    for line in ("snippets = false", 'extend-exclude = ["old"]', "respect-gitignore = false",
                 '"logs/*.jsonl" = ["PC102"]', "# 9 rules enabled: code name severity options",
                 '# PC101 dynamic-prefix info {"max-span-chars": 64, "min-shared-tokens": 64}'):
        assert line in out
    assert not any("PC001" in line for line in out)


def test_show_settings_without_a_config_shows_the_defaults(
        project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["audit", "--show-settings", "logs/app.jsonl"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("# configuration file: none (defaults)\n")
    assert 'fail-on = "warning"\n' in out
    assert '"node_modules"' in out


def test_config_is_found_from_the_audited_paths_project(
        project: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    (project / "promptcache.toml").write_text('ignore = ["PC101"]\n', "utf-8")
    elsewhere = project.parent / f"{project.name}-elsewhere"
    elsewhere.mkdir()
    (elsewhere / "promptcache.toml").write_text('ignore = ["PC001"]\n', "utf-8")
    monkeypatch.chdir(elsewhere)
    assert main(["audit", "--format", "json", f"../{project.name}/logs"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert [finding["name"] for finding in report["findings"]] == ["prompt-too-short"]


def test_paths_in_different_projects_use_the_first_paths_config(
        project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    other = project / "other"
    other.mkdir()
    (other / "promptcache.toml").write_text('ignore = ["ALL"]\n', "utf-8")
    (other / "b.jsonl").write_text(json.dumps(_record("Be brief.")) + "\n", "utf-8")
    (project / "promptcache.toml").write_text('ignore = ["PC101"]\n', "utf-8")
    assert main(["audit", "--show-settings", "other/b.jsonl", "logs/app.jsonl"]) == 0
    assert capsys.readouterr().out.startswith(
        f"# configuration file: {other / 'promptcache.toml'}\n")
    assert main(["audit", "--show-settings", "logs/app.jsonl", "other/b.jsonl"]) == 0
    assert capsys.readouterr().out.startswith(
        f"# configuration file: {project / 'promptcache.toml'}\n")


def test_only_show_settings_runs_without_a_path(
        project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["audit"]) == 2
    assert "give at least one log file or folder (or - for stdin)" in capsys.readouterr().err
    assert main(["audit", "--show-settings"]) == 0
