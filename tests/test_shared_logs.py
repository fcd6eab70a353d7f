"""Runs over the real logs in ../shared/data (skipped, saying why, where it is absent)."""

from __future__ import annotations

from promptcache.audit import run_audit
from promptcache.engine import default_rules
from promptcache.rules import ALL_RULES

from .conftest import shared_data


def test_taubench_agent_log_has_no_false_prefix_findings() -> None:
    log = shared_data("taubench-airline.jsonl")
    report = run_audit([str(log)], default_rules(ALL_RULES))
    assert report.errors == ()
    assert report.summary.records_read == report.summary.requests_audited == 2454
    names = {finding.name for finding in report.findings}
    # Sessions are append-only over a fixed policy and tool list: nothing breaks the prefix.
    assert not names & {"dynamic-prefix", "tool-order", "image-detail"}, report.findings
    # Every request is sized from real text: the total is a fixed, exact figure.
    assert report.summary.estimated_requests == 0
    print(f"taubench: {report.summary.prompt_tokens:,} prompt tokens, "
          f"{report.summary.requests_cacheable:,} of 2,454 requests over the minimum")
