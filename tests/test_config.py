"""Configuration: discovery, the select / ignore / severity / options / per-file matrix, and
errors that name their path."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from promptcache.cli.main import main
from promptcache.config import ConfigError, find_config, parse_config, settings_from
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
        pytest.param("colour = 1", ": colour: unknown key (known: allow-empty, cache-lifetime,",
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
