"""Table-driven rule cases: each rule has ``tests/rule_cases/<CODE>.json`` of named requests
that must, or must not, make it fire.

A case file is ``{"rule": "<rule name>", "cases": [<case>, ...]}``, and a case is::

    {
      "id": "timestamp-before-shared-policy",   # kebab-case, unique in the file
      "fires": true,
      "note": "why the case matters (optional, for readers)",
      "xfail": "known bug: ... (optional; the case is expected to fail, strictly)",
      "requests": [<log records, exactly as lines of a JSONL log>, ...],
      "expect": {                                 # firing cases only; every key optional
        "path": "$.request.messages[0].content",  # JSON path the finding points at
        "occurrences": 2,                         # requests showing the problem
        "message_contains": "timestamp",          # substring(s) of the message (str or list)
        "snippet_contains": "03Z -> ",            # substring(s) of the snippet
        "line": 2,                                # log line of the first hit (request index + 1)
        "compared_with_line": 1                   # log line it was compared with
      }
    }

The requests are written to a JSONL file, one per line, and audited with every registered
rule at its defaults. A firing case must yield exactly one finding of the case's rule, with
the expected fields; a non-firing case none of that rule (other rules may fire: a short
prompt in a tool-order case is fine). Every record of a case must load without error.
A case marked ``xfail`` records a known rule bug: it runs as a strict xfail, so the suite
turns red the day the bug is fixed, as a reminder to drop the mark.

Templating: to keep long shared text out of the JSON, a string may hold placeholders
``{{name}}`` naming an entry of :data:`TEMPLATES`:

- ``{{policy}}``: :data:`POLICY`, a home-insurance claims policy (775 tokens of o200k);
- ``{{leak_report}}``: :data:`LEAK_REPORT`, a policyholder's long first message, cut mid-sentence
  so that cases can finish it with a few tokens more or less;
- ``{{tool:<name>}}``: a tool definition object (lookup_policy, start_claim, book_inspection,
  transfer_to_agent);
- ``{{png:<colour>}}``: a ``data:`` URL of a 64x48 PNG of one colour (green, orange).

A string that is exactly one placeholder becomes the template's value whatever its type (so
``"{{tool:start_claim}}"`` in a ``tools`` list becomes the tool object); a placeholder inside a
longer string must name a text template. An unknown placeholder is an error, never left as is.
The prompt-too-short boundary cases (exactly 1024 tokens, and 1023) are tuned to
:data:`POLICY` and :data:`LEAK_REPORT`: editing either means retuning them.
"""

from __future__ import annotations

import base64
import json
import re
import struct
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from promptcache.engine.findings import Finding
from promptcache.engine.rule_api import Rule
from promptcache.engine.rule_engine import default_rules
from promptcache.rules import ALL_RULES
from promptcache.run.audit import run_audit

CASES_DIR = Path(__file__).resolve().parent / "rule_cases"

POLICY = """\
You are the claims assistant for Quayside Home Insurance. Policyholders write to you when \
something has gone wrong at home: a burst pipe, a storm, a break-in, a fire. Your job is to \
help them report the loss, understand what their policy covers, and know what happens next. \
You do not decide claims; licensed adjusters do.

Start by finding the policy with lookup_policy, using the policy number and the postcode of \
the insured home. Never discuss a policy with someone who cannot give both. If the person is \
not a named policyholder, you may take down the details of the loss but not discuss cover.

When someone reports a loss, first make sure everyone is safe. If there is a fire, a gas smell, \
exposed wiring in water, or structural damage that could collapse, tell them to leave the \
building and call the emergency services before anything else. Only then collect the details.

For a new claim, gather: what happened and when, which rooms and belongings are affected, \
whether the cause has stopped (a plumber has fixed the pipe, the roof is covered), and whether \
anyone else's property is involved. Ask one or two questions at a time, not a form. Then open \
the claim with start_claim and give the claim number.

Explain cover in plain words from the policy record. Buildings cover pays to repair the \
structure and fixed fittings; contents cover pays for belongings. Accidental damage is \
included only when the record says so. Gradual damage, such as a slow leak over months, wear \
and tear, damp and mould, and damage by pets are not covered. Flood cover depends on the \
policy; read it rather than assuming. Always mention the excess, the amount the policyholder \
pays towards each claim, and that it is taken off the settlement.

Tell policyholders to prevent further damage where it is safe and reasonable: turn off the \
water, cover a broken window, move belongings out of a wet room. Reasonable costs of doing so \
are part of the claim, so they should keep receipts. They should photograph the damage before \
clearing up, and keep damaged items until an adjuster says they may be thrown away, except \
food and anything unsafe.

For emergency repairs out of hours, policyholders may use any qualified tradesperson up to \
500 pounds without asking first. Above that, they should call the emergency line so that we \
can send one of our approved contractors. Do not promise that a particular contractor's bill \
will be paid in full.

If the home cannot be lived in, alternative accommodation is covered up to the limit on the \
policy record. Say that an adjuster will arrange it and will contact them within four hours \
for emergencies and within two business days otherwise. You can book an inspection slot with \
book_inspection when the adjuster's calendar offers one.

Theft claims need a crime reference number from the police. Ask whether they have reported \
it and, if not, explain how. Do not ask for details of suspects.

Be calm and kind. People writing to you are often distressed, tired or angry. Acknowledge \
what has happened in one short sentence, without exaggerated sympathy, and move to what they \
can do next. Use plain language, not insurance jargon: say "the amount you pay towards the \
claim" the first time you mention the excess.

Never say that a claim will be accepted or rejected, or how much it will pay. Never ask for \
bank details in chat; settlement details are collected by the adjuster through a secure link. \
Do not give legal advice about disputes with neighbours, landlords or builders.

Hand the conversation to a colleague with transfer_to_agent when the policyholder asks for a \
person, is a vulnerable customer who needs extra help, disputes a decision, or mentions a \
complaint, the ombudsman or a solicitor. Summarize the case so the colleague does not have to \
ask again.
"""
"""Shared text for cases that need a long common prefix (``{{policy}}``)."""

LEAK_REPORT = (
    "Hello, I'm writing about a leak at our house on Elm Road. On Sunday evening we noticed "
    "water dripping from the light fitting in the downstairs hallway. My husband turned off the "
    "water at the stopcock straight away and we switched off the electricity to that circuit. A "
    "plumber came on Monday morning and found that a joint on the pipe under the bathroom floor "
    "had failed. He has repaired it and gave us an invoice for 180 pounds, which we paid. The "
    "hallway ceiling is stained and sagging in one corner, the wallpaper is peeling, and the oak "
    "floor has started to lift near the front door. We also had a rug and a bookcase in the hall "
    "that got soaked. We have taken photos of everything. Nobody was hurt and the rest of the "
    "house is fine. Could you tell me whether this is covered under our policy, what the excess "
    "is, and what we should do next? We would also like to know if we can use our own builder "
    "for the ceiling. Our policy number is QH20481133 and the postcode is BS3 4QA. I am at home "
    "all week, so an adjuster could visit any morning, but"
)
"""A long user message, unfinished (``{{leak_report}}``): with :data:`POLICY` as the system
message, "{{leak_report}} not Thursday, please." makes a 1024-token gpt-4o prompt."""


def _tool(name: str, description: str, properties: dict[str, Any],
          required: Sequence[str]) -> dict[str, Any]:
    return {"type": "function", "function": {
        "name": name, "description": description,
        "parameters": {"type": "object", "properties": properties, "required": list(required)},
    }}


TOOLS: dict[str, dict[str, Any]] = {
    "lookup_policy": _tool(
        "lookup_policy", "Find a home policy by number and the postcode of the insured home.",
        {"policy_number": {"type": "string", "pattern": "^QH[0-9]{8}$"},
         "postcode": {"type": "string"}},
        ["policy_number", "postcode"]),
    "start_claim": _tool(
        "start_claim", "Open a claim on a policy and return its claim number.",
        {"policy_number": {"type": "string"},
         "peril": {"type": "string",
                   "enum": ["escape_of_water", "storm", "fire", "theft", "accidental_damage",
                            "other"]},
         "occurred_at": {"type": "string", "format": "date-time"},
         "rooms": {"type": "array", "items": {"type": "string"}},
         "home_habitable": {"type": "boolean"}},
        ["policy_number", "peril", "occurred_at"]),
    "book_inspection": _tool(
        "book_inspection", "Book an adjuster's visit in one of the offered slots.",
        {"claim_number": {"type": "string"},
         "slot": {"type": "object",
                  "properties": {"date": {"type": "string", "format": "date"},
                                 "window": {"type": "string", "enum": ["am", "pm"]}},
                  "required": ["date", "window"]}},
        ["claim_number", "slot"]),
    "transfer_to_agent": _tool(
        "transfer_to_agent", "Hand the conversation to a human colleague with a summary.",
        {"reason": {"type": "string",
                    "enum": ["asked_for_person", "vulnerable_customer", "dispute",
                             "complaint"]},
         "summary": {"type": "string"}},
        ["reason", "summary"]),
}


def _png_data_url(rgb: tuple[int, int, int], width: int = 64, height: int = 48) -> str:
    """A solid-colour truecolour PNG as a ``data:`` URL."""
    row = b"\x00" + bytes(rgb) * width
    data = zlib.compress(row * height, 9)

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (struct.pack(">I", len(body)) + kind + body
                + struct.pack(">I", zlib.crc32(kind + body)))

    png = (b"\x89PNG\r\n\x1a\n"
           + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
           + chunk(b"IDAT", data) + chunk(b"IEND", b""))
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


TEMPLATES: dict[str, Any] = {
    "policy": POLICY,
    "leak_report": LEAK_REPORT,
    **{f"tool:{name}": tool for name, tool in TOOLS.items()},
    "png:green": _png_data_url((46, 125, 50)),
    "png:orange": _png_data_url((239, 108, 0)),
}
"""What ``{{name}}`` placeholders in case files stand for."""

_PLACEHOLDER = re.compile(r"\{\{([a-z0-9_:-]+)\}\}")


def expand(value: Any, templates: Mapping[str, Any] = TEMPLATES) -> Any:
    """``value`` with every ``{{name}}`` placeholder replaced (see the module docstring)."""
    if isinstance(value, dict):
        return {key: expand(item, templates) for key, item in value.items()}
    if isinstance(value, list):
        return [expand(item, templates) for item in value]
    if not isinstance(value, str):
        return value
    whole = _PLACEHOLDER.fullmatch(value)
    if whole:
        return _template(whole.group(1), templates)

    def text(match: re.Match[str]) -> str:
        replacement = _template(match.group(1), templates)
        if not isinstance(replacement, str):
            raise ValueError(f"{{{{{match.group(1)}}}}} is not text and must stand alone")
        return replacement

    return _PLACEHOLDER.sub(text, value)


def _template(name: str, templates: Mapping[str, Any]) -> Any:
    if name not in templates:
        raise KeyError(f"unknown placeholder {{{{{name}}}}}; known: {', '.join(templates)}")
    return templates[name]


# ---------------------------------------------------------------------------------------------
# Case files
# ---------------------------------------------------------------------------------------------

_CASE_KEYS = {"id", "fires", "note", "xfail", "requests", "expect"}
_EXPECT_KEYS = {"path", "occurrences", "message_contains", "snippet_contains", "line",
                "compared_with_line"}


@dataclass(frozen=True, slots=True)
class Expect:
    """What a firing case's finding must look like (None: not checked)."""

    path: str | None = None
    """JSON path of the finding."""
    occurrences: int | None = None
    """How many requests show the problem."""
    message_contains: tuple[str, ...] = ()
    """Substrings of the message."""
    snippet_contains: tuple[str, ...] = ()
    """Substrings of the snippet."""
    line: int | None = None
    """Log line of the first hit."""
    compared_with_line: int | None = None
    """Log line of the request the first hit was compared with."""


@dataclass(frozen=True, slots=True)
class RuleCase:
    """One named case of a rule's case file, templates expanded."""

    code: str
    """The rule's code (the case file's name)."""
    rule: str
    """The rule's name, as the case file states it."""
    id: str
    """The case's name."""
    fires: bool
    """Whether the rule must fire."""
    requests: tuple[Any, ...]
    """Log records, one per line of the log."""
    expect: Expect | None
    """For firing cases, what the finding must look like."""
    xfail: str | None = None
    """Why the case is known to fail (a rule bug), or None."""

    @property
    def test_id(self) -> str:
        """``<CODE>-<case id>``, the pytest id."""
        return f"{self.code}-{self.id}"

    def param(self) -> Any:
        """The case as a pytest parameter, marked strict xfail when it records a known bug."""
        marks = [pytest.mark.xfail(reason=self.xfail, strict=True)] if self.xfail else []
        return pytest.param(self, id=self.test_id, marks=marks)


def _strings(value: Any, where: str) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return tuple(value)
    raise ValueError(f"{where}: expected a string or a list of strings")


def _expect(raw: Any, where: str) -> Expect:
    if not isinstance(raw, dict):
        raise ValueError(f"{where}.expect: expected an object")
    unknown = set(raw) - _EXPECT_KEYS
    if unknown:
        raise ValueError(f"{where}.expect: unknown keys {sorted(unknown)}")
    return Expect(
        path=raw.get("path"),
        occurrences=raw.get("occurrences"),
        message_contains=_strings(raw.get("message_contains", []), f"{where}.message_contains"),
        snippet_contains=_strings(raw.get("snippet_contains", []), f"{where}.snippet_contains"),
        line=raw.get("line"),
        compared_with_line=raw.get("compared_with_line"),
    )


def load_case_file(path: Path) -> list[RuleCase]:
    """The cases of one file, validated and expanded; a malformed file raises ValueError."""
    data = json.loads(path.read_text("utf-8"))
    if not isinstance(data, dict) or set(data) != {"rule", "cases"}:
        raise ValueError(f"{path.name}: expected exactly the keys 'rule' and 'cases'")
    cases: list[RuleCase] = []
    seen: set[str] = set()
    for index, raw in enumerate(data["cases"]):
        where = f"{path.name}: cases[{index}]"
        if not isinstance(raw, dict):
            raise ValueError(f"{where}: expected an object")
        unknown = set(raw) - _CASE_KEYS
        missing = {"id", "fires", "requests"} - set(raw)
        if unknown or missing:
            raise ValueError(f"{where}: unknown keys {sorted(unknown)}, "
                             f"missing keys {sorted(missing)}")
        case_id = raw["id"]
        if not re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", case_id) or case_id in seen:
            raise ValueError(f"{where}: id {case_id!r} is not unique kebab-case")
        seen.add(case_id)
        if not isinstance(raw["fires"], bool):
            raise ValueError(f"{where}: 'fires' must be true or false")
        if not raw["fires"] and "expect" in raw:
            raise ValueError(f"{where}: a case that does not fire has nothing to expect")
        if not isinstance(raw["requests"], list) or not raw["requests"]:
            raise ValueError(f"{where}: 'requests' must be a non-empty list")
        if not isinstance(raw.get("xfail", ""), str):
            raise ValueError(f"{where}: 'xfail' must be a reason")
        cases.append(RuleCase(
            code=path.stem,
            rule=data["rule"],
            id=case_id,
            fires=raw["fires"],
            requests=tuple(expand(raw["requests"])),
            expect=_expect(raw.get("expect", {}), where) if raw["fires"] else None,
            xfail=raw.get("xfail") or None,
        ))
    return cases


def _all_cases() -> list[RuleCase]:
    return [case for path in sorted(CASES_DIR.glob("*.json")) for case in load_case_file(path)]


CASES = _all_cases()


def audit_case(requests: Sequence[Any], log: Path) -> list[Finding]:
    """Write ``requests`` as a JSONL log at ``log``, audit it with every rule, and return the
    findings; fails the test if any record does not load."""
    log.write_text("".join(json.dumps(record) + "\n" for record in requests), "utf-8")
    report = run_audit([str(log)], default_rules(ALL_RULES))
    assert report.errors == (), f"a case record did not load: {report.errors}"
    assert report.summary.requests_audited == len(requests)
    return list(report.findings)


# ---------------------------------------------------------------------------------------------
# Tests
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("case", [case.param() for case in CASES])
def test_rule_case(case: RuleCase, tmp_path: Path) -> None:
    log = tmp_path / "log.jsonl"
    findings = audit_case(case.requests, log)
    rule = next(rule for rule in ALL_RULES if rule.code == case.code)
    own = [finding for finding in findings if finding.code == rule.code]
    if not case.fires:
        assert own == [], f"{rule.name} fired on a case where it must not: {own}"
        return
    assert len(own) == 1, f"expected one {rule.name} finding, got {len(own)}: {own}"
    finding = own[0]
    expect = case.expect
    assert expect is not None
    assert finding.name == case.rule
    assert finding.location.file == str(log)
    if expect.path is not None:
        assert finding.path == expect.path
    if expect.occurrences is not None:
        assert finding.occurrences == expect.occurrences
    for text in expect.message_contains:
        assert text in finding.message
    for text in expect.snippet_contains:
        assert text in finding.snippet
    if expect.line is not None:
        assert finding.location.line == expect.line
    if expect.compared_with_line is not None:
        assert finding.compared_with is not None
        assert finding.compared_with.line == expect.compared_with_line


@pytest.mark.parametrize("rule", ALL_RULES, ids=lambda rule: rule.code)
def test_every_rule_has_firing_and_quiet_cases(rule: Rule) -> None:
    path = CASES_DIR / f"{rule.code}.json"
    assert path.is_file(), f"{rule.name} has no case file {path.name}"
    cases = load_case_file(path)
    assert {case.rule for case in cases} == {rule.name}
    # Cases recording a known bug do not count: each rule needs cases that pass today.
    working = [case for case in cases if case.xfail is None]
    assert any(case.fires for case in working), f"{path.name}: no case where {rule.name} fires"
    assert any(not case.fires for case in working), f"{path.name}: no case that must not fire"


def test_case_files_name_registered_rules() -> None:
    codes = {rule.code for rule in ALL_RULES}
    assert {path.stem for path in CASES_DIR.glob("*.json")} <= codes


def test_expand_replaces_whole_values_and_text() -> None:
    templates = {"greeting": "hello", "tool:t": {"type": "function"}}
    value = {"a": "{{greeting}}, world", "b": ["{{tool:t}}"], "c": 3}
    assert expand(value, templates) == {"a": "hello, world", "b": [{"type": "function"}],
                                        "c": 3}


@pytest.mark.parametrize(("value", "error"), [
    pytest.param("{{nope}}", KeyError, id="unknown-placeholder"),
    pytest.param("see {{tool:t}}", ValueError, id="object-inside-text"),
])
def test_expand_rejects_bad_placeholders(value: str, error: type[Exception]) -> None:
    with pytest.raises(error):
        expand(value, {"tool:t": {"type": "function"}})
