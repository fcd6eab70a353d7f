"""The sample logs in samples/ show what they say they show, and the generator reproduces them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from promptcache.engine.findings import Finding, Severity
from promptcache.engine.rule_engine import default_rules
from promptcache.report.model import Report
from promptcache.rules import ALL_RULES
from promptcache.run.audit import run_audit

SAMPLES = Path(__file__).resolve().parents[1] / "samples"
GENERATOR = SAMPLES / "generate.py"

BAD_SAMPLES = {
    "timestamp-in-prefix.jsonl": "timestamp-in-prefix",
    "tool-order.jsonl": "tool-order",
    "image-detail.jsonl": "image-detail",
    "prompt-too-short.jsonl": "prompt-too-short",
    "anthropic-breakpoint-on-timestamp.jsonl": "breakpoint-on-volatile",
    "anthropic-cache-lifetime.jsonl": "breakpoint-lifetime-mismatch",
}
"""Each sample that shows a problem, and the rule that must find it."""

INFO_SAMPLES = {"prompt-too-short", "breakpoint-lifetime-mismatch"}
"""Samples whose rule reports at info severity: they raise no warning at all."""

CROSS_REQUEST_RULES = ("dynamic-prefix", "tool-order", "image-detail")
"""Rules a sample must not trigger unless it is that rule's sample."""


def _audit(name: str) -> Report:
    report = run_audit([str(SAMPLES / name)], default_rules(ALL_RULES))
    assert report.errors == (), f"{name} has records that do not load: {report.errors}"
    assert report.summary.requests_audited > 0
    return report


def _names(findings: tuple[Finding, ...]) -> list[str]:
    return [finding.name for finding in findings]


def test_clean_session_has_no_findings() -> None:
    report = _audit("clean-agent-session.jsonl")
    assert report.findings == (), [(f.name, f.message) for f in report.findings]
    # Every prompt reaches the minimum, and each one extends the one before.
    assert report.summary.requests_cacheable == report.summary.requests_audited >= 6


@pytest.mark.parametrize(("name", "rule"), BAD_SAMPLES.items())
def test_bad_sample_triggers_its_rule(name: str, rule: str) -> None:
    report = _audit(name)
    own = [finding for finding in report.findings if finding.name == rule]
    assert len(own) == 1, _names(report.findings)
    assert own[0].occurrences >= 1


@pytest.mark.parametrize("name", BAD_SAMPLES)
def test_bad_sample_triggers_no_other_cross_request_rule(name: str) -> None:
    report = _audit(name)
    others = [finding for finding in report.findings
              if finding.name in CROSS_REQUEST_RULES and finding.name != BAD_SAMPLES[name]]
    assert others == [], [(f.name, f.message) for f in others]


@pytest.mark.parametrize("name", BAD_SAMPLES)
def test_bad_sample_warns_only_about_its_own_rule(name: str) -> None:
    report = _audit(name)
    serious = [finding for finding in report.findings if finding.severity >= Severity.WARNING]
    expected = [] if BAD_SAMPLES[name] in INFO_SAMPLES else [BAD_SAMPLES[name]]
    assert _names(tuple(serious)) == expected


@pytest.mark.parametrize("name", [name for name, rule in BAD_SAMPLES.items()
                                  if rule != "prompt-too-short"])
def test_bad_sample_prompts_reach_the_minimum(name: str) -> None:
    # Short prompts would add an info finding and blur what the sample shows.
    report = _audit(name)
    assert report.summary.requests_cacheable == report.summary.requests_audited


def test_every_sample_is_covered_here() -> None:
    on_disk = {path.name for path in SAMPLES.glob("*.jsonl")}
    assert on_disk == {"clean-agent-session.jsonl", *BAD_SAMPLES}


def test_generator_reproduces_the_committed_samples(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, str(GENERATOR), str(tmp_path)],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    generated = sorted(path.name for path in tmp_path.iterdir())
    committed = sorted(path.name for path in SAMPLES.glob("*.jsonl"))
    assert generated == committed
    for name in generated:
        fresh, kept = (tmp_path / name).read_bytes(), (SAMPLES / name).read_bytes()
        assert fresh == kept, f"{name} differs from what samples/generate.py writes; rerun it"
