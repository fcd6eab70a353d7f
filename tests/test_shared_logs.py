"""Runs over the real logs in ../shared/data (skipped, saying why, where it is absent)."""

from __future__ import annotations

from promptcache.engine.findings import Severity
from promptcache.engine.rule_engine import default_rules
from promptcache.rules import ALL_RULES
from promptcache.run.audit import run_audit

from .conftest import shared_data


def test_taubench_agent_log_has_no_warnings() -> None:
    log = shared_data("taubench-airline.jsonl")
    report = run_audit([str(log)], default_rules(ALL_RULES))
    assert report.errors == ()
    assert report.summary.records_read == report.summary.requests_audited == 2454
    # 200 append-only sessions over a fixed policy and tool list: nothing breaks the prefix.
    loud = [finding for finding in report.findings if finding.severity >= Severity.WARNING]
    assert loud == []
    for finding in report.findings:
        print(f"info finding on taubench: {finding.code} {finding.name}: {finding.message}")
    # Every request is sized from real text: the total is a fixed, exact figure.
    assert report.summary.estimated_requests == 0
    assert len(report.sessions) == 200
    print(f"taubench: {report.summary.prompt_tokens:,} prompt tokens, predicted hit rate "
          f"{report.summary.savings.hit_rate_predicted:.1%}, input cost "
          f"${report.summary.savings.cost_usd:,.2f}")
