"""JUnit XML, as GitLab (``artifacts:reports:junit``) and Jenkins read it: one test suite;
per audited file, one failing test case per rule that found something there, or one passing
test case when nothing did; an unreadable record is an error of its file's test case.

A failure's text lists the findings, ``file:line:column: message``, one a line.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import defaultdict
from itertools import groupby

from promptcache.engine.findings import Finding
from promptcache.report.model import ErrorRow, Report
from promptcache.report.phrases import error_location, plural

SUITE = "promptcache"
"""The test suite's name."""

CLEAN_CASE = "no findings"
"""The name of the test case a file without findings passes."""

UNREADABLE_CASE = "readable records"
"""The name of the test case that carries a file's unreadable records as errors."""

# Characters XML 1.0 cannot hold, even escaped (a log's text may contain them).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _text(text: str) -> str:
    return _NOT_XML.sub(lambda found: f"\\x{ord(found.group()):02x}", text)


def _files(report: Report) -> list[str]:
    files = {row.file for row in report.requests}
    files.update(finding.location.file for finding in report.findings)
    files.update(error.file for error in report.errors)
    return sorted(files)


def _failure(case: ET.Element, findings: list[Finding]) -> None:
    worst = max(finding.severity for finding in findings)
    failure = ET.SubElement(case, "failure", message=_text(
        f"{plural(len(findings), 'finding')}: {findings[0].message}"), type=worst.value)
    failure.text = _text("\n".join(
        f"{finding.location.file}:{finding.location.line}:{finding.location.column}: "
        f"[{finding.severity.value}] {finding.message}. Fix: {finding.fix}"
        for finding in findings) + "\n")


def _error(case: ET.Element, errors: list[ErrorRow]) -> None:
    element = ET.SubElement(case, "error", message=_text(
        f"{plural(len(errors), 'record')} could not be read: {errors[0].message}"),
        type="invalid-record")
    element.text = _text("\n".join(f"{error_location(error)}: {error.message}"
                                   for error in errors) + "\n")


def report_to_junit(report: Report) -> ET.Element:
    """The report as a ``<testsuites>`` element holding one ``<testsuite>``."""
    by_file: dict[str, list[Finding]] = defaultdict(list)
    for finding in report.findings:
        by_file[finding.location.file].append(finding)
    errors_by_file: dict[str, list[ErrorRow]] = defaultdict(list)
    for error in report.errors:
        errors_by_file[error.file].append(error)
    suite = ET.Element("testsuite", name=SUITE)
    # Every record is accounted for, as in every format: read = audited + invalid.
    properties = ET.SubElement(suite, "properties")
    summary = report.summary
    for name, value in (("records_read", summary.records_read),
                        ("requests_audited", summary.requests_audited),
                        ("invalid_records", summary.invalid_records)):
        ET.SubElement(properties, "property", name=name, value=str(value))
    for file in _files(report):
        findings = sorted(by_file[file], key=lambda finding: finding.code)
        for code, group in groupby(findings, key=lambda finding: finding.code):
            rule = list(group)
            case = ET.SubElement(suite, "testcase", classname=_text(file),
                                 name=f"{code} {rule[0].name}")
            _failure(case, rule)
        if errors_by_file[file]:
            _error(ET.SubElement(suite, "testcase", classname=_text(file),
                                 name=UNREADABLE_CASE), errors_by_file[file])
        if not findings and not errors_by_file[file]:
            ET.SubElement(suite, "testcase", classname=_text(file), name=CLEAN_CASE)
    counts = {"tests": len(suite.findall("testcase")),
              "failures": len(suite.findall("testcase/failure")),
              "errors": len(suite.findall("testcase/error")), "skipped": 0}
    root = ET.Element("testsuites", name=SUITE)
    for name, value in counts.items():
        suite.set(name, str(value))
        if name != "skipped":
            root.set(name, str(value))
    root.append(suite)
    return root


def render_junit(report: Report) -> str:
    """JUnit XML text with an XML declaration, indented, ending in a newline."""
    root = report_to_junit(report)
    ET.indent(root)
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            + ET.tostring(root, encoding="unicode") + "\n")
