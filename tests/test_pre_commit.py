"""The pre-commit hooks, for real: throwaway git repositories, the real pre-commit, and the
hooks file of this working tree.

The ``language: python`` hooks are run as the README shows them: pre-commit builds their
environment with virtualenv and ``pip install .`` of this repository. To keep that offline,
pip gets no index, no build isolation and no dependencies (``PIP_NO_INDEX``,
``PIP_NO_BUILD_ISOLATION``, ``PIP_NO_DEPS``), and the hook finds promptcache's dependencies
through ``PYTHONPATH`` set to this test environment's site-packages. promptcache itself comes
from the hook's environment: this environment holds it as an editable install, whose path
hook (a ``.pth`` file) Python does not read from ``PYTHONPATH``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path
from typing import Any

import pytest
import yaml
from pre_commit.clientlib import load_manifest
from pre_commit.xargs import partition

from .conftest import REPO, SAMPLES

README = REPO / "README.md"


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, text=True,
                          timeout=60).stdout


def _require_git_checkout() -> None:
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    if not (REPO / ".git").exists():
        pytest.skip(f"{REPO} is not a git checkout: pre-commit installs hooks from git")


@pytest.fixture
def fixtures_repo(tmp_path: Path) -> Path:
    _require_git_checkout()
    repo = tmp_path / "app"
    repo.mkdir()
    _git(repo, "init", "-q")
    _git(repo, "config", "user.email", "dev@example.invalid")
    _git(repo, "config", "user.name", "dev")
    return repo


@pytest.fixture(scope="module")
def hooks_repo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """This working tree, committed or not, as a repository and revision pre-commit can
    install (what ``pre-commit try-repo`` does, which takes no ``args:``)."""
    _require_git_checkout()
    snapshot = tmp_path_factory.mktemp("hooks-repo")
    listed = _git(REPO, "ls-files", "-z", "--cached", "--others", "--exclude-standard")
    for name in filter(None, listed.split("\0")):
        source, target = REPO / name, snapshot / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_symlink():  # src/promptcache/cli and rules point at the top-level folders
            target.symlink_to(os.readlink(source))
        elif source.is_file():  # a tracked file deleted in the working tree is left out
            shutil.copy2(source, target)
    _git(snapshot, "init", "-q")
    _git(snapshot, "add", "-A")
    _git(snapshot, "-c", "user.email=dev@example.invalid", "-c", "user.name=dev",
         "commit", "-q", "-m", "snapshot")
    return snapshot, _git(snapshot, "rev-parse", "HEAD").strip()


@pytest.fixture(scope="module")
def pre_commit_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # One store for the module: the hook environment is built once and reused.
    return tmp_path_factory.mktemp("pre-commit-home")


def _offline_env(home: Path) -> dict[str, str]:
    return {**os.environ,
            "PRE_COMMIT_HOME": str(home),
            "PIP_NO_INDEX": "1",
            # pip reads a false value of a --no-* option's variable as "turn the option on"
            "PIP_NO_BUILD_ISOLATION": "0",
            "PIP_NO_DEPS": "1",
            "PIP_DISABLE_PIP_VERSION_CHECK": "1",
            "VIRTUALENV_NO_PERIODIC_UPDATE": "1",
            "PYTHONPATH": sysconfig.get_paths()["purelib"],
            "GITHUB_ACTIONS": "false"}


def _readme_config(hook_id: str, hooks_repo: tuple[Path, str]) -> str:
    """The README's ``.pre-commit-config.yaml`` that uses ``hook_id``, pointed at this tree."""
    section = README.read_text("utf-8").split("## In CI and pre-commit", 1)[1].split("\n## ", 1)[0]
    for block in re.findall(r"```yaml\n(.*?)```", section, re.DOTALL):
        config: dict[str, Any] = yaml.safe_load(block)
        if "repos" in config and any(hook["id"] == hook_id
                                     for hook in config["repos"][0]["hooks"]):
            repo, rev = hooks_repo
            config["repos"][0].update(repo=str(repo), rev=rev)
            return str(yaml.safe_dump(config))
    raise AssertionError(f"the README shows no .pre-commit-config.yaml using {hook_id}")


def _pre_commit_run(repo: Path, config: str, home: Path) -> subprocess.CompletedProcess[str]:
    # The configuration stays outside the repository: pre-commit refuses an unstaged one.
    config_file = repo.parent / "pre-commit-config.yaml"
    config_file.write_text(config, "utf-8")
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", "run", "--config", str(config_file)],
        cwd=repo, env=_offline_env(home), capture_output=True, text=True, timeout=600,
        check=False)


def test_the_readme_hook_fails_on_a_bad_fixture_and_passes_on_a_good_one(
        fixtures_repo: Path, hooks_repo: tuple[Path, str], pre_commit_home: Path) -> None:
    config = _readme_config("promptcache", hooks_repo)
    shutil.copy(SAMPLES / "tool-order.jsonl", fixtures_repo / "agent.jsonl")
    _git(fixtures_repo, "add", "agent.jsonl")
    bad = _pre_commit_run(fixtures_repo, config, pre_commit_home)
    assert bad.returncode == 1, bad.stdout + bad.stderr
    assert re.search(r"^promptcache\.+Failed$", bad.stdout, re.MULTILINE), bad.stdout
    assert "agent.jsonl:4:1: PC201 tool-order [warning]" in bad.stdout

    _git(fixtures_repo, "rm", "-q", "--cached", "agent.jsonl")
    (fixtures_repo / "agent.jsonl").unlink()
    shutil.copy(SAMPLES / "clean-agent-session.jsonl", fixtures_repo / "session.jsonl")
    _git(fixtures_repo, "add", "session.jsonl")
    good = _pre_commit_run(fixtures_repo, config, pre_commit_home)
    assert good.returncode == 0, good.stdout + good.stderr
    assert re.search(r"^promptcache\.+Passed$", good.stdout, re.MULTILINE), good.stdout


def _hook_patterns() -> dict[str, re.Pattern[str]]:
    # load_manifest validates the file as pre-commit does before it runs any hook
    return {hook["id"]: re.compile(hook["files"])
            for hook in load_manifest(str(REPO / ".pre-commit-hooks.yaml"))}


@pytest.mark.parametrize(("hook_id", "path", "audited"), [
    pytest.param("promptcache", "logs/2025-03-01.jsonl", True, id="jsonl-log"),
    pytest.param("promptcache", "logs/day.jsonl.gz", True, id="gzipped-log"),
    pytest.param("promptcache", "export.ndjson", True, id="ndjson"),
    pytest.param("promptcache", "package.json", False, id="package-json-left-alone"),
    pytest.param("promptcache", "web/tsconfig.json", False, id="tsconfig-left-alone"),
    pytest.param("promptcache", "notes.jsonl.txt", False, id="not-a-log"),
    pytest.param("promptcache-fixtures", "fixtures/chat.json", True, id="fixtures-json"),
    pytest.param("promptcache-fixtures", "tests/fixtures/openai/chat.json", True,
                 id="nested-fixtures"),
    pytest.param("promptcache-fixtures", "tests/api/requests/2025-03.jsonl", True,
                 id="tests-requests-folder"),
    pytest.param("promptcache-fixtures", "package.json", False, id="fixtures-skip-package-json"),
    pytest.param("promptcache-fixtures", "src/fixtures.json", False,
                 id="a-file-named-fixtures-is-not-a-folder"),
    pytest.param("promptcache-fixtures", "tests/prefixtures/a.json", False,
                 id="folder-name-must-match-whole"),
    pytest.param("promptcache-paths", "fixtures/chat.json", True, id="paths-fixture"),
    pytest.param("promptcache-paths", "logs/a.jsonl", True, id="paths-log"),
    pytest.param("promptcache-paths", "package.json", False, id="paths-skip-package-json"),
    pytest.param("promptcache-system", "package.json", False, id="system-skip-package-json"),
])
def test_each_hook_audits_its_layout_and_leaves_other_json_alone(
        hook_id: str, path: str, audited: bool) -> None:
    # pre-commit searches the `files:` pattern in the path relative to the repository
    assert bool(_hook_patterns()[hook_id].search(path)) is audited


def _batch_splitting_fixtures(repo: Path, count: int) -> list[str]:
    """``count`` fixtures whose names are long enough that pre-commit passes them in several
    batches; the tool-order sample is split between the first and the last, so its finding
    exists only when the two are audited together."""
    folder = repo / "fixtures" / ("recorded-agent-conversations-" + "x" * 150)
    folder.mkdir(parents=True)
    names = [folder / f"request-{index:05d}-chat-completion.jsonl" for index in range(count)]
    for index, name in enumerate(names[1:-1], start=1):
        request = {"model": "gpt-4o-mini",
                   "messages": [{"role": "user", "content": f"Summarize ticket {index}."}]}
        name.write_text(json.dumps(request) + "\n", "utf-8")
    sample = SAMPLES.joinpath("tool-order.jsonl").read_text("utf-8").splitlines(keepends=True)
    names[0].write_text("".join(sample[:3]), "utf-8")
    names[-1].write_text("".join(sample[3:]), "utf-8")
    return [name.relative_to(repo).as_posix() for name in names]


def test_a_file_list_pre_commit_splits_into_batches_is_audited_in_one_run(
        fixtures_repo: Path, hooks_repo: tuple[Path, str], pre_commit_home: Path) -> None:
    files = _batch_splitting_fixtures(fixtures_repo, 1500)
    # pre-commit's own partitioning, at its real command-line limit, splits this list
    batches = len(partition(("promptcache", "audit"), files, target_concurrency=1))
    assert batches >= 2
    _git(fixtures_repo, "add", "fixtures")

    result = _pre_commit_run(
        fixtures_repo, _readme_config("promptcache-paths", hooks_repo), pre_commit_home)
    assert result.returncode == 1, result.stdout + result.stderr
    assert re.search(r"^promptcache \(whole folders\)\.+Failed$", result.stdout, re.MULTILINE)
    # the tool order changes between the first file and the last: one run saw both
    assert f"{files[-1]}:1:1: PC201 tool-order [warning]" in result.stdout
    assert _summaries(result.stdout) == [
        "2 findings in 1505 requests audited of 1505 records read (0 invalid)"]

    # What the file-list hook makes of the same commit: one run and one summary per batch
    # (three on Linux), and the tool-order change from the first file (first batch) to the
    # last (last batch) is not seen.
    per_batch = _pre_commit_run(
        fixtures_repo, _readme_config("promptcache", hooks_repo), pre_commit_home)
    assert len(_summaries(per_batch.stdout)) == batches, per_batch.stdout
    assert f"{files[-1]}:1:1: PC201" not in per_batch.stdout


def _summaries(output: str) -> list[str]:
    return [line for line in output.splitlines() if "requests audited" in line]


def _try_repo(repo: Path, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    bin_dir = Path(sys.executable).parent
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"),
           "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
           "GITHUB_ACTIONS": "false"}
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", "try-repo", str(REPO), "promptcache-system"],
        cwd=repo, env=env, capture_output=True, text=True, timeout=300, check=False)


def test_the_system_hook_fails_on_a_bad_fixture_and_passes_on_a_good_one(
        fixtures_repo: Path, tmp_path: Path) -> None:
    shutil.copy(SAMPLES / "tool-order.jsonl", fixtures_repo / "agent.jsonl")
    _git(fixtures_repo, "add", "agent.jsonl")
    bad = _try_repo(fixtures_repo, tmp_path)
    assert bad.returncode == 1, bad.stdout + bad.stderr
    assert "Failed" in bad.stdout
    assert "agent.jsonl:4:1: PC201 tool-order [warning]" in bad.stdout

    _git(fixtures_repo, "rm", "-q", "--cached", "agent.jsonl")
    (fixtures_repo / "agent.jsonl").unlink()
    shutil.copy(SAMPLES / "clean-agent-session.jsonl", fixtures_repo / "session.jsonl")
    (fixtures_repo / "notes.txt").write_text("not a fixture\n", "utf-8")
    _git(fixtures_repo, "add", "session.jsonl", "notes.txt")
    good = _try_repo(fixtures_repo, tmp_path)
    assert good.returncode == 0, good.stdout + good.stderr
    assert "Passed" in good.stdout


def test_the_hook_skips_fixtures_the_config_excludes(fixtures_repo: Path, tmp_path: Path) -> None:
    (fixtures_repo / "legacy").mkdir()
    shutil.copy(SAMPLES / "tool-order.jsonl", fixtures_repo / "legacy" / "agent.jsonl")
    (fixtures_repo / "promptcache.toml").write_text('extend-exclude = ["legacy"]\n', "utf-8")
    _git(fixtures_repo, "add", "legacy/agent.jsonl", "promptcache.toml")
    run = _try_repo(fixtures_repo, tmp_path)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "Passed" in run.stdout
