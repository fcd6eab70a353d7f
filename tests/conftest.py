"""Shared fixtures, and a guard that fails the run when no test passed."""

from __future__ import annotations

import importlib.util
import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

# Tests never touch the user's cache folder: one throwaway folder for the whole run.
os.environ["PROMPTCACHE_CACHE_DIR"] = tempfile.mkdtemp(prefix="promptcache-test-cache-")

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"
SAMPLES = REPO / "samples"
SHARED_FORMATS = REPO.parent / "shared" / "samples" / "formats"


def bench_script(name: str) -> ModuleType:
    """The script ``bench/<name>.py`` loaded as the module ``name``."""
    spec = importlib.util.spec_from_file_location(name, REPO / "bench" / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses resolve their module by name
    spec.loader.exec_module(module)
    return module


def json_strings(value: object) -> Iterator[str]:
    """Every string inside decoded JSON (dict values and list items, at any depth)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from json_strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from json_strings(item)


def shared_data(name: str) -> Path:
    """A file of ../shared/data, or skip the test saying why."""
    path = SHARED_DATA / name
    if not path.is_file():
        pytest.skip(f"{path} is absent: the shared reference data is not beside this clone")
    return path


def shared_format_sample(folder: str, name: str) -> Path:
    """A log of ../shared/samples/formats (written by the real library), or skip saying why."""
    path = SHARED_FORMATS / folder / name
    if not path.is_file():
        pytest.skip(f"{path} is absent: the shared format samples are not beside this clone")
    return path


_passed = 0


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    global _passed
    if report.when == "call" and report.passed:
        _passed += 1


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    # A run in which nothing passed (everything skipped or deselected) proves nothing: fail it
    # loudly rather than let CI go green. Partial runs (-k, a single file) are still fine.
    if exitstatus == 0 and _passed == 0:
        session.exitstatus = pytest.ExitCode.NO_TESTS_COLLECTED
