"""The pre-commit hook, for real: a throwaway git repository, pre-commit try-repo, a bad
fixture that fails the hook and a good one that passes.

The hook used is ``promptcache-system`` (the promptcache of this test environment): the
``promptcache`` hook is the same entry with ``language: python``, whose environment pre-commit
would build by downloading the dependencies, and no test may reach the network. pre-commit
still reads and validates the whole hooks file of this repository.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import REPO, SAMPLES


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, timeout=60)


@pytest.fixture
def fixtures_repo(tmp_path: Path) -> Path:
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    repo = tmp_path / "app"
    repo.mkdir()
    _git(repo, "init", "-q")
    _git(repo, "config", "user.email", "dev@example.invalid")
    _git(repo, "config", "user.name", "dev")
    return repo


def _try_repo(repo: Path, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    bin_dir = Path(sys.executable).parent
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"),
           "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
           "GITHUB_ACTIONS": "false"}
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", "try-repo", str(REPO), "promptcache-system"],
        cwd=repo, env=env, capture_output=True, text=True, timeout=300, check=False)


def test_the_hook_fails_on_a_bad_fixture_and_passes_on_a_good_one(
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
