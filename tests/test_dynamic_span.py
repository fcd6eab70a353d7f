"""The shared changing-span detector: how values are named, and that each changing span is
reported by exactly one of dynamic-prefix, timestamp-in-prefix, id-in-prefix and
user-data-in-prefix."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from promptcache.engine.detect.dynamic_span import (
    ValueFamily,
    differs_only_in_whitespace,
    family_of,
)
from promptcache.engine.rule_engine import default_rules
from promptcache.model import Segment, SegmentKind
from promptcache.rules import ALL_RULES
from promptcache.run.audit import run_audit
from promptcache.values import ID_KINDS, TIME_KINDS, USER_DATA_KINDS, classify, with_article

from .test_rule_cases import LEAK_REPORT, POLICY


@pytest.mark.parametrize(("old", "new", "before", "label"), [
    pytest.param("2025-03-01T10:00:03Z", "2025-03-01T10:04:41Z", "", "timestamp", id="iso-time"),
    pytest.param("1741000000", "1741000300", "", "timestamp", id="epoch"),
    pytest.param("2025-03-01", "2025-03-02", "Date: ", "date", id="iso-date"),
    pytest.param("March", "April", "Month: ", "date", id="month-name"),
    pytest.param("morning.", "evening.", "Good ", "time of day", id="part-of-day"),
    pytest.param("Monday;", "Tuesday;", "Today is ", "weekday", id="weekday"),
    pytest.param("3f9c2a1e-8b7d-4c6e-9a2f-1d0e5b7c8a94", "b51e07d4-2c3a-4f18-8e6d-90a7c2f4e113",
                 "", "UUID", id="uuid"),
    pytest.param("4bf92f3577b34da6a3ce929d0e0e4736", "0af7651916cd43dd8448eb211c80319c",
                 "trace-id: ", "trace id", id="labelled-trace-id"),
    pytest.param("req_7Hq2LmZ9xC4v", "req_Pw3eR8tY1uKd", "", "request id", id="request-id"),
    pytest.param("8842", "8843", "Session ID: ", "session id", id="labelled-session-id"),
    pytest.param("Xk2a9ZpQrT+w", "Ab7cD8eFgH/q", "nonce: ", "nonce", id="nonce"),
    pytest.param("4bf92f3577b3", "00f067aa0ba9", "", "hex id", id="hex-id"),
    pytest.param("a@example.com", "b@example.org", "", "email address", id="email"),
    pytest.param("Alice Smith.", "Bob Jones.", "You are helping ", "name", id="full-names"),
    pytest.param("Alice.", "Bob.", "You are helping ", "name", id="first-names-after-a-cue"),
    pytest.param("O\u2019Brien", "Natarajan-Shah", "Customer: ", "name", id="name-punctuation"),
    pytest.param("+1 415-555-0132", "+44 20 7946 0958", "", "phone number", id="phone"),
    pytest.param("QH20481133", "QH99120044", "Policy number: ", "account number",
                 id="labelled-account-number"),
    pytest.param("k3J9sLq2Wx7Zp1Ty", "Qq8Rt5Yu2Io9Pa3S", "", "random token", id="random-token"),
    pytest.param("1", "2", "Attempt ", "number", id="counter"),
    pytest.param("192.168.1.10", "192.168.1.22", "", "number", id="ip-is-not-a-phone"),
    pytest.param("Basic", "Premium", "Plan: ", "value", id="one-word-without-cue-is-no-name"),
    pytest.param("ACME", "IBM", "", "value", id="acronyms-are-no-names"),
    pytest.param("friendly.", "formal.", "Tone: ", "value", id="plain-words"),
])
def test_classify(old: str, new: str, before: str, label: str) -> None:
    assert classify(old, new, before) == label


def test_label_families_are_disjoint() -> None:
    assert not TIME_KINDS & ID_KINDS
    assert not TIME_KINDS & USER_DATA_KINDS
    assert not ID_KINDS & USER_DATA_KINDS


def test_user_data_belongs_to_its_rule_only_in_the_instructions() -> None:
    system = Segment(SegmentKind.TEXT, "$.messages[0].content", "x", role="system")
    user = Segment(SegmentKind.TEXT, "$.messages[1].content", "x", role="user")
    tool = Segment(SegmentKind.TOOL, "$.tools[0]", "x")
    assert family_of("name", system) is family_of("name", tool) is ValueFamily.USER_DATA
    assert family_of("name", user) is ValueFamily.OTHER
    assert family_of("date", user) is ValueFamily.TIME
    assert family_of("UUID", tool) is ValueFamily.ID


def test_articles() -> None:
    assert [with_article(label) for label in ("UUID", "email address", "hex id")] == [
        "a UUID", "an email address", "a hex id"]


@pytest.mark.parametrize(("old", "new", "expected"), [
    pytest.param("a\nb", "a\r\nb", True, id="crlf"),
    pytest.param("a  b", "a b", True, id="space-run"),
    pytest.param("a b\n", "a b", True, id="trailing-newline"),
    pytest.param('{"a": 1}', '{"a":1}', True, id="json-spacing"),
    pytest.param("a b", "a b", False, id="equal"),
    pytest.param("a b", "a c", False, id="real-edit"),
    pytest.param("a b", "a  b c", False, id="whitespace-and-an-edit"),
])
def test_differs_only_in_whitespace(old: str, new: str, expected: bool) -> None:
    assert differs_only_in_whitespace(old, new) is expected


SPAN_RULES = {"PC101", "PC102", "PC103", "PC104", "PC105"}


def _record(first_line: str, role: str = "system") -> dict[str, Any]:
    return {"request": {"model": "gpt-4o", "prompt_cache_key": "bot", "messages": [
        {"role": role, "content": f"{first_line}\n\n{POLICY}\n{LEAK_REPORT}"},
        {"role": "user", "content": "Is storm damage to a fence covered?"}]}}


@pytest.mark.parametrize(("old", "new", "role", "code"), [
    pytest.param("Now: 2025-03-01T10:00:03Z", "Now: 2025-03-01T10:04:41Z", "system", "PC102",
                 id="time"),
    pytest.param("Request ID: req_7Hq2LmZ9xC4v", "Request ID: req_Pw3eR8tY1uKd", "system",
                 "PC103", id="id"),
    pytest.param("You are helping Alice Smith.", "You are helping Bob Jones.", "system",
                 "PC104", id="name-in-instructions"),
    pytest.param("You are helping Alice Smith.", "You are helping Bob Jones.", "user", "PC101",
                 id="name-in-a-user-message"),
    pytest.param("Attempt 1 of 3.", "Attempt 2 of 3.", "system", "PC101", id="counter"),
    pytest.param("Be kind.", "Be kind. ", "system", "PC105", id="whitespace"),
])
def test_one_changing_span_fires_exactly_one_rule(tmp_path: Path, old: str, new: str, role: str,
                                                  code: str) -> None:
    log = tmp_path / "log.jsonl"
    log.write_text("".join(json.dumps(_record(line, role)) + "\n" for line in (old, new)),
                   "utf-8")
    report = run_audit([str(log)], default_rules(ALL_RULES))
    assert [finding.code for finding in report.findings if finding.code in SPAN_RULES] == [code]
