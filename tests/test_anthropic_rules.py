"""The breakpoint rules (PC501-PC508) and the other rules on Anthropic Messages requests.

Requests are built as segments (tests/anthropic_builders.py), so each rule is tested on the
exact prompt shape the normalizer hands over; tests/rule_cases/PC5xx.json run the same rules
end to end on request bodies. Every text is made of one-token words: a 1,500-word system
prompt is 1,500 tokens, a message frame 3.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from promptcache.cli.main import main
from promptcache.engine.findings import Finding
from promptcache.engine.rule_api import Rule
from promptcache.engine.rule_engine import default_rules
from promptcache.load.records import read_requests
from promptcache.model import ObservedUsage, Request, SegmentKind
from promptcache.rules import (
    ALL_RULES,
    breakpoint_below_minimum,
    breakpoint_lifetime,
    breakpoint_lookback,
    breakpoint_missing,
    breakpoint_too_many,
    breakpoint_ttl_order,
    breakpoint_volatile,
    cache_key_hot,
    cache_key_missing,
    cache_key_random,
    find_rule,
    idle_gap,
    thinking_changed,
)
from promptcache.rules._breakpoints import layout, premium_tokens
from promptcache.run.audit import run_audit
from tests.anthropic_builders import Block, Body, audit, counted, hits, repaired, words
from tests.conftest import shared_data

OPENAI_MODEL = "gpt-4o"
"""The twin of a quiet case: the same requests to a model whose cache is implicit."""

INSTRUCTIONS = words(1500)
MINUTE = 60.0
QUESTIONS = ("Water is coming through my kitchen ceiling; what should I do first?",
             "Can I use my own builder to repair the ceiling?")


def only(findings: Sequence[Finding], code: str) -> Finding:
    """The one finding of rule ``code``."""
    own = [finding for finding in findings if finding.code == code]
    assert len(own) == 1, f"expected one {code} finding, got {own}"
    return own[0]


def codes(findings: Sequence[Finding]) -> list[str]:
    """The codes of ``findings``."""
    return [finding.code for finding in findings]


def run(rule: Rule, requests: Sequence[Request]) -> list[Finding]:
    """The findings of ``rule`` alone on ``requests``."""
    return audit(requests, [rule])


def question(number: int, size: int = 40) -> list[tuple[str, list[Block]]]:
    """One user turn of ``size`` tokens whose first word tells turns apart."""
    topic = ("first", "second", "third", "fourth", "fifth")[number]
    return [("user", [Block(words(size, topic))])]


# ---------------------------------------------------------------------------------------------
# The shared helper
# ---------------------------------------------------------------------------------------------


def test_layout_counts_blocks_not_frames_and_adds_automatic_caching() -> None:
    body = Body(tools=[Block(words(100, "tool"), "1h")], system=[Block(INSTRUCTIONS)],
                messages=[("user", [Block(words(40, "first")), Block(words(10, "second"))])],
                settings={"cache_control": {"type": "ephemeral"}})
    marks = layout(counted(body.request(1)))
    # tools[0], system[0], then the message's two blocks (its frame is not a block)
    assert marks.blocks == (0, 1, 3, 4)
    assert [(mark.block, mark.ttl, mark.prefix_tokens, mark.path)
            for mark in marks.breakpoints] == [
        (0, "1h", 100, "$.tools[0].cache_control"),
        (3, "5m", 100 + 1500 + 3 + 40 + 10, "$.messages[0].content[1].cache_control"),
    ]
    assert marks.automatic == "5m"


def test_write_premium_is_a_quarter_for_5m_and_the_same_again_for_1h() -> None:
    assert premium_tokens(1000, "5m") == 250
    assert premium_tokens(1000, "1h") == 1000


# ---------------------------------------------------------------------------------------------
# PC501 breakpoint-on-volatile
# ---------------------------------------------------------------------------------------------


def _stamped(minute: int) -> Body:
    return Body(system=[Block(INSTRUCTIONS), Block(f"Current time: 07:{minute:02d}", "5m")],
                messages=question(0))


def test_volatile_breakpoint_fires_from_the_third_write_with_what_it_rewrites() -> None:
    requests = [_stamped(minute).request(line, session="s")
                for line, minute in ((1, 31), (2, 32), (3, 33), (4, 34))]
    finding = only(run(breakpoint_volatile.RULE, requests), "PC501")
    written = layout(counted(requests[2])).breakpoints[0].prefix_tokens
    # three different entries at $.system[1] (min-writes) by the third request
    assert (finding.location.line, finding.last_location.line) == (3, 4)
    assert finding.path == "$.system[1].cache_control"
    assert finding.occurrences == 2
    # a breakpoint on the instructions (system[0]) would read all 1,500 of them
    assert finding.tokens_at_risk == 2 * 1500
    assert f"writes {written:,} tokens to the 5-minute cache" in finding.message
    assert f"premium of {premium_tokens(written, '5m'):,}" in finding.message
    assert "$.system[1] changed" in finding.message
    assert finding.compared_with is not None
    assert finding.compared_with.line == 2


def test_volatile_breakpoint_believes_a_recorded_read() -> None:
    first, second, third = (_stamped(minute).request(line, session="s")
                            for line, minute in ((1, 31), (2, 32), (3, 33)))
    total = counted(third).prompt_tokens
    # the provider read 1,510 of the tokens: more than halfway from the 0 the rule expects to
    # be read to the prefix it would call rewritten
    read = ObservedUsage(prompt_tokens=total, cached_tokens=1510, written_tokens=0)
    assert run(breakpoint_volatile.RULE, [first, second, replace(third, observed=read)]) == []
    unread = ObservedUsage(prompt_tokens=total, cached_tokens=0, written_tokens=1510)
    assert codes(run(breakpoint_volatile.RULE,
                     [first, second, replace(third, observed=unread)])) == ["PC501"]


def test_volatile_breakpoint_is_quiet_on_two_applications_taking_turns() -> None:
    # no session: two system prompts alternate, each entry is read when its turn comes again
    prompts = [words(1500, "policy"), words(1500, "recipe")]
    requests = [Body(system=[Block(prompts[line % 2], "5m")], messages=question(0))
                .request(line) for line in range(1, 5)]
    assert run(breakpoint_volatile.RULE, requests) == []


def test_volatile_breakpoint_is_quiet_on_a_growing_conversation() -> None:
    first = Body(system=[Block(INSTRUCTIONS)],
                 messages=[("user", [Block(words(40, "first"), "5m")])])
    second = Body(system=[Block(INSTRUCTIONS)], messages=[
        ("user", [Block(words(40, "first"))]), ("assistant", [Block(words(30, "answer"))]),
        ("user", [Block(words(40, "second"), "5m")])])
    requests = [first.request(1, session="s"), second.request(2, session="s")]
    assert run(breakpoint_volatile.RULE, requests) == []


def test_volatile_breakpoint_needs_a_session_for_a_change_in_the_messages() -> None:
    bodies = [Body(system=[Block(INSTRUCTIONS)],
                   messages=[("user", [Block(words(40, topic), "5m")])])
              for topic in ("first", "second", "third")]
    apart = [body.request(line) for line, body in enumerate(bodies, 1)]
    assert run(breakpoint_volatile.RULE, apart) == []
    together = [body.request(line, session="s") for line, body in enumerate(bodies, 1)]
    finding = only(run(breakpoint_volatile.RULE, together), "PC501")
    assert finding.path == "$.messages[0].content[0].cache_control"
    assert finding.tokens_at_risk == 1500


# ---------------------------------------------------------------------------------------------
# PC502 breakpoint-beyond-lookback
# ---------------------------------------------------------------------------------------------


def _agent_turns(appended_pairs: int, mark_previous: bool = False,
                 note: bool = False) -> list[Request]:
    """Turn 1 marks its question; turn 2 appends ``appended_pairs`` tool calls and results
    (two blocks each), and a note after them when ``note``, and marks its last block."""
    first = Body(system=[Block(INSTRUCTIONS)], messages=[("user", [Block(words(40), "5m")])])
    calls = [Block(words(20, "call"), kind=SegmentKind.TOOL_CALL)
             for _ in range(appended_pairs)]
    results = [Block(words(30, "result")) for _ in range(appended_pairs)]
    results.append(Block(words(10, "note")))
    results = results if note else results[:-1]
    results[-1] = replace(results[-1], ttl="5m")
    second = Body(system=[Block(INSTRUCTIONS)], messages=[
        ("user", [Block(words(40), "5m" if mark_previous else "")]),
        ("assistant", calls), ("user", results)])
    return [first.request(1, session="s"), second.request(2, session="s")]


def test_lookback_fires_when_the_next_breakpoint_is_20_blocks_on() -> None:
    # the window counts the breakpoint's own block: 20 blocks on is one too far
    finding = only(run(breakpoint_lookback.RULE, _agent_turns(10)), "PC502")
    assert finding.location.line == 2
    assert finding.path == "$.messages[2].content[9].cache_control"
    assert finding.tokens_at_risk == 1500 + 3 + 40
    assert "20 blocks later, beyond the 20-block lookback" in finding.message
    assert "through $.messages[0].content[0]" in finding.message


def test_lookback_is_quiet_at_19_blocks() -> None:
    assert run(breakpoint_lookback.RULE, _agent_turns(9, note=True)) == []


def test_lookback_is_quiet_when_the_previous_turn_stays_marked() -> None:
    assert run(breakpoint_lookback.RULE, _agent_turns(11, mark_previous=True)) == []


# ---------------------------------------------------------------------------------------------
# PC503 too-many-breakpoints
# ---------------------------------------------------------------------------------------------


def _marked(count: int, automatic: bool = False) -> Request:
    blocks = [Block(words(300, "part"), "5m") for _ in range(count)]
    settings = {"cache_control": {"type": "ephemeral"}} if automatic else {}
    return Body(system=blocks, messages=question(0), settings=settings).request(1)


def test_five_breakpoints_are_an_error_at_the_fifth() -> None:
    finding = only(run(breakpoint_too_many.RULE, [_marked(5)]), "PC503")
    assert finding.path == "$.system[4].cache_control"
    assert finding.severity.value == "error"
    assert finding.tokens_at_risk == 5 * 300 + 3 + 40
    assert "marks 5 cache breakpoints, more than the 4 the API accepts" in finding.message


def test_automatic_caching_takes_the_fifth_slot() -> None:
    finding = only(run(breakpoint_too_many.RULE, [_marked(4, automatic=True)]), "PC503")
    # Automatic caching's breakpoint is set, and fixed, by the top-level field.
    assert finding.path == "$.cache_control"
    assert "(one of them automatic caching's)" in finding.message


def test_a_request_the_api_answered_had_no_breakpoint_too_many() -> None:
    answered = ObservedUsage(prompt_tokens=2000, cached_tokens=0, written_tokens=1500)
    assert run(breakpoint_too_many.RULE, [replace(_marked(5), observed=answered)]) == []
    assert run(breakpoint_ttl_order.RULE,
               [replace(_lifetimes("5m", "1h"), observed=answered)]) == []


def test_four_breakpoints_are_quiet() -> None:
    assert run(breakpoint_too_many.RULE, [_marked(4)]) == []
    assert run(breakpoint_too_many.RULE, [_marked(3, automatic=True)]) == []


# ---------------------------------------------------------------------------------------------
# PC504 breakpoint-below-minimum
# ---------------------------------------------------------------------------------------------


def _short_head(head: int, document: int = 2000,
                observed: ObservedUsage | None = None) -> Request:
    return Body(system=[Block(words(head), "5m")],
                messages=[("user", [Block(words(document, "document"))])]).request(
                    1, observed=observed)


def test_a_breakpoint_on_a_short_system_prompt_caches_nothing() -> None:
    finding = only(run(breakpoint_below_minimum.RULE, [_short_head(600)]), "PC504")
    assert finding.path == "$.system[0].cache_control"
    assert "prefix of 600 tokens, below the 1,024-token minimum" in finding.message
    # no breakpoint reaches the minimum: one on the document would cache all of it
    assert finding.tokens_at_risk == 600 + 3 + 2000


def test_a_short_breakpoint_beside_a_long_one_loses_nothing() -> None:
    body = Body(system=[Block(words(600), "5m")],
                messages=[("user", [Block(words(2000, "document"), "5m")])])
    finding = only(run(breakpoint_below_minimum.RULE, [body.request(1)]), "PC504")
    assert finding.tokens_at_risk == 0


@pytest.mark.parametrize("head", [900, 1100], ids=["within-margin", "above"])
def test_below_minimum_is_quiet_within_the_counting_margin(head: int) -> None:
    assert run(breakpoint_below_minimum.RULE, [_short_head(head)]) == []


def test_below_minimum_scales_the_prefix_to_the_recorded_usage() -> None:
    # 1,100 tokens counted, but the provider counted half as many for the whole prompt
    recorded = ObservedUsage(prompt_tokens=(1100 + 3 + 2000) // 2, cached_tokens=0,
                             written_tokens=0)
    finding = only(run(breakpoint_below_minimum.RULE,
                       [_short_head(1100, observed=recorded)]), "PC504")
    assert "prefix of 550 tokens (scaled to the recorded usage), below" in finding.message
    assert finding.tokens_at_risk == 1551  # the whole prompt, as the provider counted it
    # 900 tokens counted, twice as many recorded: 1,800, above the minimum
    doubled = ObservedUsage(prompt_tokens=2 * (900 + 3 + 2000), cached_tokens=0,
                            written_tokens=0)
    assert run(breakpoint_below_minimum.RULE, [_short_head(900, observed=doubled)]) == []


def test_below_minimum_believes_a_recorded_cache_write() -> None:
    wrote = ObservedUsage(prompt_tokens=600 + 3 + 2000, cached_tokens=0, written_tokens=600)
    assert run(breakpoint_below_minimum.RULE, [_short_head(600, observed=wrote)]) == []


# ---------------------------------------------------------------------------------------------
# PC505 breakpoint-ttl-order
# ---------------------------------------------------------------------------------------------


def _lifetimes(system: str, message: str, automatic: str = "") -> Request:
    settings = {"cache_control": {"type": "ephemeral", "ttl": automatic}} if automatic else {}
    return Body(system=[Block(INSTRUCTIONS, system)],
                messages=[("user", [Block(words(400, "document"), message)])],
                settings=settings).request(1)


def test_1h_after_5m_is_an_error() -> None:
    finding = only(run(breakpoint_ttl_order.RULE, [_lifetimes("5m", "1h")]), "PC505")
    assert finding.path == "$.messages[0].content[0].cache_control"
    assert "follows the 5-minute one at $.system[0]" in finding.message
    assert finding.tokens_at_risk == 1500 + 3 + 400


def test_automatic_1h_after_an_explicit_5m_is_an_error() -> None:
    finding = only(run(breakpoint_ttl_order.RULE, [_lifetimes("5m", "", "1h")]), "PC505")
    assert finding.path == "$.cache_control"


def test_1h_before_5m_is_quiet() -> None:
    assert run(breakpoint_ttl_order.RULE, [_lifetimes("1h", "5m")]) == []
    assert run(breakpoint_ttl_order.RULE, [_lifetimes("1h", "1h")]) == []


# ---------------------------------------------------------------------------------------------
# PC506 breakpoint-lifetime-mismatch
# ---------------------------------------------------------------------------------------------


def _session(gaps: Sequence[float], ttl: str) -> list[Request]:
    """A conversation marking its newest turn, each turn ``gaps[i]`` after the one before."""
    requests: list[Request] = []
    messages: list[tuple[str, list[Block]]] = []
    now = 1_000_000.0
    for number, gap in enumerate((0.0, *gaps)):
        now += gap
        history = [(role, [Block(block.text) for block in blocks]) for role, blocks in messages]
        turn = [("user", [Block(words(200, ("first", "second", "third", "fourth")[number]),
                                ttl)])]
        body = Body(system=[Block(INSTRUCTIONS)], messages=[*history, *turn])
        requests.append(body.request(number + 1, timestamp=now, session="s"))
        messages = [*history, *turn, ("assistant", [Block(words(100, "answer"))])]
    return requests


def test_5m_entries_expiring_between_turns_call_for_1h() -> None:
    finding = only(run(breakpoint_lifetime.RULE, _session([12 * MINUTE], "5m")), "PC506")
    assert finding.location.line == 2
    assert finding.path == "$.messages[2].content[0].cache_control"
    assert finding.tokens_at_risk == 1500 + 3 + 200
    assert "sent 12 min after the previous request" in finding.message
    assert "a 1-hour entry would have been read" in finding.message


@pytest.mark.parametrize(("gap", "ttl"), [(2 * MINUTE, "5m"), (2 * 3600.0, "5m"),
                                          (12 * MINUTE, "1h")],
                         ids=["within-5m", "past-an-hour", "already-1h"])
def test_lifetime_is_quiet_when_the_entry_survives_or_nothing_would(gap: float,
                                                                    ttl: str) -> None:
    assert run(breakpoint_lifetime.RULE, _session([gap], ttl)) == []


def test_1h_entries_in_a_stream_that_never_waits_are_a_premium_for_nothing() -> None:
    requests = _session([30.0, 40.0], "1h")
    finding = only(run(breakpoint_lifetime.RULE, requests), "PC506")
    # seen from the third request on (min-requests 3): it writes its new turn and the
    # previous answer (3 + 100 + 3 + 200 tokens) at 2x instead of 1.25x
    assert finding.location.line == 3
    assert "writes 306 tokens with the 1-hour lifetime" in finding.message
    assert f"{round(306 * 0.75):,} input-token equivalents less" in finding.message


def test_1h_entries_are_quiet_when_one_gap_is_long() -> None:
    assert run(breakpoint_lifetime.RULE, _session([30.0, 20 * MINUTE], "1h")) == []
    assert run(breakpoint_lifetime.RULE, _session([30.0, 40.0], "5m")) == []


# ---------------------------------------------------------------------------------------------
# PC507 breakpoint-missing
# ---------------------------------------------------------------------------------------------


def _unmarked(automatic: bool = False, head: int = 1500) -> list[Request]:
    settings = {"cache_control": {"type": "ephemeral"}} if automatic else {}
    return [Body(system=[Block(words(head))], messages=question(number),
                 settings=settings).request(number + 1) for number in range(2)]


def test_a_repeated_prefix_without_breakpoint_pays_full_price() -> None:
    finding = only(run(breakpoint_missing.RULE, _unmarked()), "PC507")
    assert (finding.location.line, finding.path) == (2, "$.system[0]")
    assert finding.tokens_at_risk == 1500
    assert "re-sends 1,500 tokens unchanged from line 1" in finding.message
    assert "save 1,350 input-token equivalents" in finding.message


def test_breakpoint_missing_believes_a_recorded_cache_read() -> None:
    first, second = _unmarked()
    read = ObservedUsage(prompt_tokens=1543, cached_tokens=1500, written_tokens=0)
    assert run(breakpoint_missing.RULE, [first, replace(second, observed=read)]) == []


def test_breakpoint_missing_is_quiet_with_automatic_caching_or_a_short_prefix() -> None:
    assert run(breakpoint_missing.RULE, _unmarked(automatic=True)) == []
    assert run(breakpoint_missing.RULE, _unmarked(head=900)) == []


# ---------------------------------------------------------------------------------------------
# PC508 thinking-changed
# ---------------------------------------------------------------------------------------------


def _thinking(settings: Sequence[dict[str, object]], session: str | None = "s") -> list[Request]:
    first = Body(system=[Block(INSTRUCTIONS, "5m")],
                 messages=[("user", [Block(words(800, "first"), "5m")])],
                 settings=settings[0])
    second = Body(system=[Block(INSTRUCTIONS, "5m")], messages=[
        ("user", [Block(words(800, "first"))]), ("assistant", [Block(words(100, "answer"))]),
        ("user", [Block(words(40, "second"), "5m")])], settings=settings[1])
    return [first.request(1, session=session), second.request(2, session=session)]


def test_thinking_switched_off_misses_the_messages_only() -> None:
    enabled = {"thinking": {"type": "enabled", "budget_tokens": 2000}}
    finding = only(run(thinking_changed.RULE, _thinking([enabled, {}])), "PC508")
    assert finding.path == "$.thinking"
    assert "from enabled (budget 2,000) to disabled" in finding.message
    # the system prompt stays cached; the first turn's frame and text miss
    assert finding.tokens_at_risk == 3 + 800


def test_a_new_thinking_budget_is_a_change_too() -> None:
    small = {"thinking": {"type": "enabled", "budget_tokens": 2000}}
    large = {"thinking": {"type": "enabled", "budget_tokens": 8000}}
    finding = only(run(thinking_changed.RULE, _thinking([small, large])), "PC508")
    assert "from enabled (budget 2,000) to enabled (budget 8,000)" in finding.message


def test_thinking_is_quiet_when_unchanged_or_without_a_session() -> None:
    enabled = {"thinking": {"type": "enabled", "budget_tokens": 2000}}
    assert run(thinking_changed.RULE, _thinking([enabled, enabled])) == []
    assert run(thinking_changed.RULE, _thinking([enabled, {}], session=None)) == []


# ---------------------------------------------------------------------------------------------
# Existing rules on Anthropic requests
# ---------------------------------------------------------------------------------------------


def _tools(names: Sequence[str], choice: object = None) -> Body:
    settings = {"tool_choice": choice} if choice is not None else {}
    return Body(tools=[Block(words(100, name)) for name in names],
                system=[Block(INSTRUCTIONS, "5m")], messages=question(0), settings=settings)


def test_tools_changed_fires_on_anthropic_requests() -> None:
    requests = [_tools(["lookup"]).request(1, session="s"),
                _tools(["lookup", "book"]).request(2, session="s")]
    rule = find_rule("tools-changed")
    assert rule is not None
    assert codes(run(rule, requests)) == ["PC202"]


def test_tool_choice_changed_fires_on_anthropic_requests() -> None:
    requests = [_tools(["lookup"], {"type": "auto"}).request(1, session="s"),
                _tools(["lookup"], {"type": "any"}).request(2, session="s")]
    rule = find_rule("tool-choice-changed")
    assert rule is not None
    assert codes(run(rule, requests)) == ["PC205"]


def _burst(model: str, keys: Sequence[str | None], spacing: float) -> list[Request]:
    """Requests sharing the instructions, from conversations that differ in their question."""
    return [Body(system=[Block(INSTRUCTIONS)],
                 messages=[("user", [Block(words(40, f"question{index}"))])],
                 model=model).request(index + 1, timestamp=1_000_000.0 + index * spacing,
                                      cache_key=key)
            for index, key in enumerate(keys)]


@pytest.mark.parametrize(("rule", "keys", "spacing"), [
    pytest.param(cache_key_missing.RULE, [None] * 8, 1.0, id="PC403"),
    pytest.param(cache_key_hot.RULE, ["hot"] * 8, 1.0, id="PC405"),
    pytest.param(idle_gap.RULE, ["k"] * 2, 20 * MINUTE, id="PC401"),
])
def test_openai_routing_and_lifetime_rules_stay_quiet_on_anthropic(
        rule: Rule, keys: Sequence[str | None], spacing: float) -> None:
    assert codes(run(rule, _burst(OPENAI_MODEL, keys, spacing))) == [rule.code]
    assert run(rule, _burst("claude-sonnet-4-5", keys, spacing)) == []


def test_cache_key_random_stays_quiet_on_anthropic() -> None:
    def turns(model: str) -> list[Request]:
        first = Body(system=[Block(INSTRUCTIONS)], messages=question(0), model=model)
        second = Body(system=[Block(INSTRUCTIONS)], model=model, messages=[
            *question(0), ("assistant", [Block(words(30, "answer"))]), *question(1)])
        third = Body(system=[Block(INSTRUCTIONS)], model=model, messages=question(2))
        return [first.request(1, cache_key="a"), third.request(2, cache_key="b"),
                second.request(3, cache_key="c")]

    assert codes(run(cache_key_random.RULE, turns(OPENAI_MODEL))) == ["PC404"]
    assert run(cache_key_random.RULE, turns("claude-sonnet-4-5")) == []


# ---------------------------------------------------------------------------------------------
# End to end: Anthropic request bodies through `promptcache audit`
# ---------------------------------------------------------------------------------------------


def _body(system_ttls: Sequence[str], question_text: str, **extra: Any) -> dict[str, Any]:
    """A Messages body: two 1,500-token system blocks (the second with the given lifetime
    marks) and one question."""
    system: list[dict[str, Any]] = [{"type": "text", "text": INSTRUCTIONS}]
    for ttl in system_ttls:
        mark = {"type": "ephemeral", **({"ttl": ttl} if ttl != "5m" else {})}
        system.append({"type": "text", "text": words(300, "rules"), "cache_control": mark})
    return {"model": "claude-sonnet-4-5", "max_tokens": 512, "system": system,
            "messages": [{"role": "user", "content": question_text}], **extra}


def _audit_log(folder: Path, capsys: pytest.CaptureFixture[str],
               bodies: Sequence[dict[str, Any]], *options: str) -> tuple[int, dict[str, Any]]:
    log = folder / "log.jsonl"
    log.write_text("".join(json.dumps({"request": body}) + "\n" for body in bodies), "utf-8")
    code = main(["audit", "--isolated", "-q", "-f", "json", *options, str(log)])
    return code, json.loads(capsys.readouterr().out)


def test_a_clean_anthropic_log_exits_zero(tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    bodies = [_body(["5m"], asked) for asked in QUESTIONS]
    code, report = _audit_log(tmp_path, capsys, bodies)
    assert report["summary"]["requests_audited"] == 2
    assert report["findings"] == []
    assert code == 0


def test_lifetimes_out_of_order_fail_the_run_at_the_marked_block(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    body = _body(["5m"], QUESTIONS[0])
    body["messages"][0]["content"] = [{"type": "text", "text": QUESTIONS[0],
                                       "cache_control": {"type": "ephemeral", "ttl": "1h"}}]
    code, report = _audit_log(tmp_path, capsys, [body], "--fail-on", "error")
    assert [(finding["code"], finding["line"], finding["path"], finding["severity"])
            for finding in report["findings"]] == [
        ("PC505", 1, "$.request.messages[0].content[0].cache_control", "error")]
    assert code == 1


def test_an_unmarked_repeated_prefix_is_a_warning_that_fails_by_default(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bodies = [_body([], asked) for asked in QUESTIONS]
    code, report = _audit_log(tmp_path, capsys, bodies)
    [finding] = report["findings"]
    assert (finding["code"], finding["line"], finding["path"]) == ("PC507", 2,
                                                                    "$.request.system[0]")
    assert finding["compared_with"]["line"] == 1
    assert code == 1


# ---------------------------------------------------------------------------------------------
# The recorded calls: each finding agrees with the provider's usage
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["anthropic-cassettes.jsonl", "anthropic-more.jsonl"])
def test_breakpoint_findings_agree_with_the_recorded_usage(name: str) -> None:
    """PC504 says a request caches nothing (unless another breakpoint of it reaches the
    minimum) and PC507 that it has no cache at all: on real calls, the usage of every
    request they fire on records no cache write or read; PC501
    says a request rewrites its entry: the usage records a write there."""
    log = shared_data(name)
    usage = {item.location.line: item.observed for item in read_requests([str(log)])
             if isinstance(item, Request)}
    rules = [rule for rule in ALL_RULES if rule.code in ("PC501", "PC504", "PC507")]
    report = run_audit([str(log)], default_rules(rules))
    assert report.errors == ()
    # both logs hold short marked prefixes and repeated unmarked ones (not a vacuous check)
    assert {"PC504", "PC507"} <= {finding.code for finding in report.findings}
    for finding in report.findings:
        recorded = usage[finding.location.line]
        assert recorded is not None, finding
        if finding.code == "PC501":
            assert recorded.written_tokens, finding
        elif finding.code == "PC504" and finding.tokens_at_risk == 0:
            # Another breakpoint of the request reaches the minimum (nothing is lost but the
            # slot): the cache use recorded is that breakpoint's.
            continue
        else:
            assert (recorded.cached_tokens, recorded.written_tokens or 0) == (0, 0), finding


# ---------------------------------------------------------------------------------------------
# The fixes the savings replay applies: breakpoints moved, added, dropped or re-timed
# ---------------------------------------------------------------------------------------------


def _marks_after_fix(requests: Sequence[Request], rule: Rule) -> list[tuple[str, str]]:
    """(place, lifetime) of each breakpoint of the last request with a hit, its fix applied."""
    hit = hits(requests, rule)[-1]
    request = next(request for request in requests if request.location == hit.location)
    fixed = counted(repaired(request, hit.repair))
    return [(fixed.request.segments[mark.segment].path, mark.ttl)
            for mark in layout(fixed).breakpoints]


def test_fixes_move_each_breakpoint_where_the_rule_says() -> None:
    stamped = [_stamped(minute).request(line, session="s")
               for line, minute in ((1, 31), (2, 32), (3, 33))]
    assert _marks_after_fix(stamped, breakpoint_volatile.RULE) == [("$.system[0]", "5m")]
    assert _marks_after_fix(_agent_turns(10), breakpoint_lookback.RULE) == [
        ("$.messages[0].content[0]", "5m"), ("$.messages[2].content[9]", "5m")]
    assert _marks_after_fix([_marked(5)], breakpoint_too_many.RULE) == [
        (f"$.system[{index}]", "5m") for index in range(1, 5)]
    assert _marks_after_fix([_short_head(600)], breakpoint_below_minimum.RULE) == [
        ("$.messages[0].content[0]", "5m")]
    assert _marks_after_fix([_lifetimes("5m", "1h")], breakpoint_ttl_order.RULE) == [
        ("$.system[0]", "5m"), ("$.messages[0].content[0]", "5m")]
    assert _marks_after_fix(_session([12 * MINUTE], "5m"), breakpoint_lifetime.RULE) == [
        ("$.messages[2].content[0]", "1h")]
    assert _marks_after_fix(_session([30.0, 40.0], "1h"), breakpoint_lifetime.RULE) == [
        ("$.messages[4].content[0]", "5m")]
    assert _marks_after_fix(_unmarked(), breakpoint_missing.RULE) == [("$.system[0]", "5m")]


def test_a_volatile_breakpoint_with_nothing_stable_to_cache_is_dropped() -> None:
    # a 900-token document that changes per request, marked, after 300 stable tokens: the
    # stable part is too short to cache, so the fix is no breakpoint at all
    bodies = [Body(system=[Block(words(300)), Block(words(900, topic), "5m")],
                   messages=question(0)) for topic in ("lease", "deed", "will")]
    requests = [body.request(line, session="s") for line, body in enumerate(bodies, 1)]
    assert _marks_after_fix(requests, breakpoint_volatile.RULE) == []
