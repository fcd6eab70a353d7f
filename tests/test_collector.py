"""The cycle collector's thresholds during an audit (promptcache.run.collector): the audit's
own while it runs, the caller's again once it has returned or failed."""

from __future__ import annotations

import gc
import platform
from collections.abc import Iterator
from pathlib import Path

import pytest

from promptcache.engine.rule_engine import default_rules
from promptcache.rules import ALL_RULES
from promptcache.run.audit import run_audit
from promptcache.run.collector import AUDIT_THRESHOLDS, fewer_collections

SAMPLE = Path(__file__).resolve().parent.parent / "samples" / "timestamp-in-prefix.jsonl"
CALLERS = (1234, 5, 6)

pytestmark = pytest.mark.skipif(platform.python_implementation() != "CPython",
                                reason="the thresholds are CPython's collector's")


@pytest.fixture
def callers_thresholds() -> Iterator[None]:
    found = gc.get_threshold()
    gc.set_threshold(*CALLERS)
    yield
    gc.set_threshold(*found)


@pytest.mark.usefixtures("callers_thresholds")
def test_the_block_runs_with_the_audit_thresholds_and_restores_the_callers() -> None:
    with fewer_collections():
        assert gc.get_threshold() == AUDIT_THRESHOLDS
    assert gc.get_threshold() == CALLERS


@pytest.mark.usefixtures("callers_thresholds")
def test_the_callers_thresholds_come_back_when_the_block_fails() -> None:
    with pytest.raises(KeyError), fewer_collections():
        raise KeyError("the audit failed")
    assert gc.get_threshold() == CALLERS


@pytest.mark.usefixtures("callers_thresholds")
def test_an_audit_reads_with_the_audit_thresholds_and_leaves_the_callers() -> None:
    seen: list[tuple[int, ...]] = []
    report = run_audit([str(SAMPLE)], default_rules(ALL_RULES),
                       on_position=lambda _path, _read: seen.append(gc.get_threshold()))
    assert report.summary.requests_audited > 0
    assert set(seen) == {AUDIT_THRESHOLDS}
    assert gc.get_threshold() == CALLERS
