"""The quality bar, checked with the tests: ruff clean, mypy strict clean."""

from __future__ import annotations

import subprocess
import sys

from .conftest import REPO


def _run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", *command], cwd=REPO, capture_output=True,
                          text=True, timeout=600, check=False)


def test_ruff() -> None:
    result = _run("ruff", "check", "src", "cli", "rules", "tests", "samples", "bench", "fuzz")
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_strict() -> None:
    result = _run("mypy")
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_strict_on_the_fuzz_harness_and_benchmarks() -> None:
    # Not part of the package, so not in [tool.mypy] packages; the strategies the harness
    # shares with the property tests come along through its import.
    result = _run("mypy", "fuzz/fuzz_audit.py", "bench")
    assert result.returncode == 0, result.stdout + result.stderr
