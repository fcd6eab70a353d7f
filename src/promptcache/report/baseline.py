"""Baselines: record today's findings, then report only the new ones.

A finding is known by its fingerprint (rule, what it is about, file), so a baseline survives
edits that move lines or reword messages. The file is spelled relative to the project root
(see :meth:`promptcache.config.RunSettings.project_path`), so a baseline also holds whether
a log was named ``a.jsonl``, ``./a.jsonl`` or by its absolute path, from any folder.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import orjson

from promptcache.engine.findings import Severity
from promptcache.report.model import Report

FORMAT_VERSION = 1


class BaselineError(Exception):
    """The baseline file cannot be used."""


def baseline_text(report: Report, project_path: Callable[[str], str] = str) -> str:
    """The baseline file for the report's findings (sorted, so it diffs well), with each file
    spelled by ``project_path``."""
    entries = sorted(
        ({"fingerprint": finding.fingerprint, "code": finding.code, "name": finding.name,
          "file": project_path(finding.location.file), "path": finding.path}
         for finding in report.findings),
        key=lambda entry: (entry["file"], entry["code"], entry["fingerprint"]))
    document = {"promptcache_baseline": FORMAT_VERSION, "findings": entries}
    return orjson.dumps(document, option=orjson.OPT_INDENT_2).decode() + "\n"


def read_baseline(path: Path) -> frozenset[str]:
    """The fingerprints in a baseline file."""
    try:
        document = orjson.loads(path.read_bytes())
    except OSError as error:
        raise BaselineError(f"{path}: cannot read: {error.strerror or error}") from error
    except orjson.JSONDecodeError as error:
        raise BaselineError(f"{path}: not a promptcache baseline: {error}") from error
    if not isinstance(document, dict) or document.get("promptcache_baseline") != FORMAT_VERSION:
        raise BaselineError(f"{path}: not a promptcache baseline (version {FORMAT_VERSION})")
    findings = document.get("findings")
    if not isinstance(findings, list) or not all(
            isinstance(entry, dict) and isinstance(entry.get("fingerprint"), str)
            for entry in findings):
        raise BaselineError(f"{path}: $.findings: expected a list of entries with a fingerprint")
    return frozenset(entry["fingerprint"] for entry in findings)


def without_baseline(report: Report, known: frozenset[str]) -> Report:
    """The report without findings already in the baseline (summary counts follow)."""
    findings = tuple(finding for finding in report.findings if finding.fingerprint not in known)
    by_rule: dict[str, int] = {}
    for finding in findings:
        by_rule[finding.name] = by_rule.get(finding.name, 0) + 1
    summary = replace(
        report.summary,
        findings_by_rule=tuple(by_rule.items()),
        findings_by_severity=tuple(
            (severity.value, sum(1 for finding in findings if finding.severity is severity))
            for severity in sorted(Severity, reverse=True)),
    )
    return replace(report, findings=findings, summary=summary)
