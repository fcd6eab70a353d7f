"""Properties of the whole pipeline on generated logs (strategies in tests/strategies.py).

Valid Chat Completions and Responses records in every envelope, and the ways logs break:
a dropped field, a value of the wrong type, a line cut short, a flipped byte, invalid
UTF-8, deep nesting, a duplicate key. fuzz/fuzz_audit.py runs the same strategies for as
long as you like.
"""

from __future__ import annotations

import io
import json
import tempfile
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from promptcache.config import Config, settings_from
from promptcache.load.records import normalize_record, read_requests
from promptcache.load.sources import LoadError, RawRecord
from promptcache.model import Location, SegmentKind
from promptcache.report.json_format import write_json
from promptcache.report.model import Report
from promptcache.rules import ALL_RULES
from promptcache.run.audit import run_audit

from .strategies import JSON, chat_messages, chat_requests, logs, records

RULES = settings_from(Config(), ALL_RULES).rules
PROPERTY = settings(max_examples=60, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


# One folder for the module's logs (removed at exit): the report names the file, and the
# same log must give the same bytes.
_FOLDER = tempfile.TemporaryDirectory(prefix="promptcache-properties-")
LOG = Path(_FOLDER.name) / "log.jsonl"


def audit(data: bytes) -> Report:
    LOG.write_bytes(data)
    return run_audit([str(LOG)], RULES)


def jsonl(values: Iterable[Any]) -> bytes:
    return "".join(json.dumps(value) + "\n" for value in values).encode("utf-8")


def prompt_tokens(report: Report) -> list[int]:
    """Each request's count from its body (an envelope's usage may anchor the shown one)."""
    return [row.prompt_tokens if row.body_prompt_tokens is None else row.body_prompt_tokens
            for row in report.requests]


@PROPERTY
@given(logs())
def test_every_record_is_audited_or_one_error_naming_its_line(
        log: tuple[bytes, dict[int, JSON]]) -> None:
    data, valid = log
    report = audit(data)
    lines = [number for number, line in enumerate(data.split(b"\n"), 1) if line.strip()]
    audited = [row.line for row in report.requests]
    failed = [error.line for error in report.errors]
    assert sorted(audited + failed) == lines  # each line once: a request or one error
    assert all(line in audited for line in valid)  # a valid record is never rejected
    assert all("\n" not in error.message and error.message for error in report.errors)
    summary = report.summary
    assert summary.records_read == summary.requests_audited + summary.invalid_records
    assert summary.records_read == len(lines)


@PROPERTY
@given(logs())
def test_loading_alone_accounts_for_every_line(log: tuple[bytes, dict[int, JSON]]) -> None:
    data, _ = log
    LOG.write_bytes(data)
    items = list(read_requests([str(LOG)]))
    lines = [number for number, line in enumerate(data.split(b"\n"), 1) if line.strip()]
    assert [item.location.line for item in items] == lines
    assert all(isinstance(item, LoadError) or item.segments for item in items)


@PROPERTY
@given(logs())
def test_the_same_log_gives_byte_identical_json(log: tuple[bytes, dict[int, JSON]]) -> None:
    data, _ = log
    first, second = io.StringIO(), io.StringIO()
    write_json(audit(data), first)
    write_json(audit(data), second)
    assert first.getvalue() == second.getvalue()


@st.composite
def conversations(draw: st.DrawFn) -> list[JSON]:
    """The turns of one chat: each request resends the previous one's messages and adds
    some, as agents do (the case the loader's reuse of rendered history is for)."""
    body = draw(chat_requests())
    messages = body["messages"] + draw(chat_messages())
    cuts = sorted(set(draw(st.lists(st.integers(1, len(messages)), min_size=1, max_size=4))))
    return [{**body, "messages": messages[:cut]} for cut in cuts]


@PROPERTY
@given(conversations(), st.sampled_from(("bare", "pair", "batch")))
def test_a_request_counts_the_same_in_a_log_as_alone(turns: list[JSON], envelope: str) -> None:
    def wrap(body: JSON) -> JSON:
        if envelope == "pair":
            return {"request": body, "meta": {"session": "s"}}
        if envelope == "batch":
            return {"custom_id": "c", "url": "/v1/chat/completions", "body": body}
        return body

    together = prompt_tokens(audit(jsonl(wrap(turn) for turn in turns)))
    alone = [prompt_tokens(audit(jsonl([turn])))[0] for turn in turns]
    assert together == alone
    assert together == sorted(together)  # each turn only adds to the one before


@PROPERTY
@given(chat_requests(), chat_messages())
def test_appending_messages_adds_tokens(body: JSON, extra: list[JSON]) -> None:
    longer = {**body, "messages": body["messages"] + extra}
    shorter_first, longer_first = (prompt_tokens(audit(jsonl(order)))
                                   for order in ([body, longer], [longer, body]))
    if body["model"].endswith("-search-preview"):
        # Search models bill the messages' text alone (README): an empty message adds nothing.
        assert shorter_first[1] >= shorter_first[0]
    else:
        assert shorter_first[1] > shorter_first[0]
    assert longer_first == shorter_first[::-1]


@PROPERTY
@given(records())
def test_every_envelope_counts_a_body_alike(record: JSON) -> None:
    body = record.get("request") or record.get("body") or record
    assert prompt_tokens(audit(jsonl([record]))) == prompt_tokens(audit(jsonl([body])))


def _reversed_keys(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _reversed_keys(value[key]) for key in reversed(list(value))}
    if isinstance(value, list):
        return [_reversed_keys(item) for item in value]
    return value


_LONG_SYSTEM = "You are a careful assistant and answer from the documents only. " * 120


def _rendered_tools(body: JSON) -> list[tuple[str, int]]:
    request = normalize_record(RawRecord(Location("log.jsonl", 1), body))
    assert not isinstance(request, LoadError)
    return [(segment.text, segment.fixed_tokens) for segment in request.segments
            if segment.kind in (SegmentKind.TOOL, SegmentKind.TOOLS_FRAME)]


@PROPERTY
@given(chat_requests().filter(lambda body: bool(body.get("tools"))), st.booleans())
def test_tool_key_order_is_reported_by_tool_schema_key_order_only(body: JSON,
                                                                   cacheable: bool) -> None:
    if cacheable:
        body = {**body, "messages": [{"role": "system", "content": _LONG_SYSTEM},
                                     *body["messages"]]}
    reordered = {**body, "tools": _reversed_keys(body["tools"])}

    def findings(second: JSON) -> Counter[str]:
        pair = [{"request": request, "timestamp": f"2025-03-01T10:00:0{n}Z",
                 "meta": {"session": "s"}} for n, request in enumerate((body, second))]
        return Counter(finding.code for finding in audit(jsonl(pair)).findings)

    extra = findings(reordered) - findings(body)
    assert set(extra) <= {"PC203"}
    rendered_differently = _rendered_tools(body) != _rendered_tools(reordered)
    if not rendered_differently:
        assert not extra  # key order the provider does not render is no cache miss
    elif cacheable:
        assert "PC203" in extra
