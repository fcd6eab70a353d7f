"""Every log written by a real library in ../shared/samples/formats audits as the request
bodies it was made from: the same prompt token counts, request by request, and the same
findings; its format is told right, and ``--input-format`` names it too.

The truth files' usage is a mock's, not a provider's: only the bodies are compared here."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import pytest

from promptcache.cli.main import main
from promptcache.load.calls import read_calls, tell_format
from promptcache.load.formats import all_formats
from promptcache.load.formats.base import MESSAGES, LoggedCall, Skipped
from promptcache.load.sources import LoadError
from tests.conftest import shared_format_sample

from .helpers import as_received, body_count, logged_response, truth_lines

# (sample folder, its log files in the order to give them, the format that reads them, the
# truth file). Only the formats promptcache has are listed.
SAMPLES: list[tuple[str, tuple[str, ...], str, str]] = []
_KNOWN = {fmt.name for fmt in all_formats()}
_ALL_SAMPLES = [
    ("litellm", ("standard_logging_payload.jsonl",), "litellm",
     "standard_logging_payload.truth.jsonl"),
    ("langfuse", ("langfuse_spans.otlp.jsonl",), "langfuse", "langfuse_spans.truth.jsonl"),
    ("langsmith", ("runs.jsonl",), "langsmith", "runs.truth.jsonl"),
    ("har", ("session.har",), "har", "session.truth.jsonl"),
    ("openai_batch", ("batch_input.jsonl", "batch_output.jsonl"), "openai_batch",
     "batch.truth.jsonl"),
    *((folder, ("traces.otlp.jsonl",), "otel", "traces.truth.jsonl") for folder in (
        "otel_openai_v2_latest", "otel_openinference_anthropic", "otel_openinference_openai",
        "otel_traceloop_anthropic", "otel_traceloop_openai")),
]
SAMPLES = [sample for sample in _ALL_SAMPLES if sample[2] in _KNOWN]
PARTIAL = {
    # LiteLLM logs an image's data as a placeholder ("[base64_data truncated: ...]"): the
    # request with the image, in each provider's three sessions.
    "litellm": [2, 3, 4, 16, 17, 18],
    # No tool definitions, user or response_format in these spans (opentelemetry-
    # instrumentation-openai-v2 with content capture).
    "otel_openai_v2_latest": list(range(14)),
    # OpenLLMetry keeps no cache_control breakpoints while the usage shows cache writes.
    "otel_traceloop_anthropic": list(range(14)),
    # OpenLLMetry logged no messages for the three turns with an image, and the schema of a
    # response_format without its name and strict flag.
    "otel_traceloop_openai": [2, 3, 4, 9],
}
"""The calls of each sample that are partial, by index, in the truth file's order."""
COUNTED_SHORT = {
    # (litellm: the image's data, which LiteLLM logs as a placeholder, counts as the least a
    # Claude image costs, 1 patch + 3: what the sample's 1x1 image costs, so its Claude turns
    # count what their bodies count; the OpenAI ones, at detail low, cost the same whatever
    # the image.)
    # No tool definitions (309 tokens) nor response_format in these spans.
    "otel_openai_v2_latest": list(range(14)),
    # The turns OpenLLMetry logged no messages for, and the response_format it shortened.
    "otel_traceloop_openai": [2, 3, 4, 9],
}
"""The calls of each sample whose log counts fewer prompt tokens than the body sent (every
other call counts exactly what its body counts), by index in the truth file's order."""
FINDINGS_UNSEEN: dict[str, Counter[str]] = {
    # The breakpoints OpenLLMetry does not keep: the two written again each turn (after the
    # clock session's changing system block, and the shuffle session's reordered tools) are
    # breakpoint-on-volatile in the bodies, unseen in its spans.
    "otel_traceloop_anthropic": Counter({"PC501": 2}),
    # No tools nor response_format in these spans: what the rules say of them is unseen.
    # (PC206 and PC403, which the bodies showed too, are no longer found on either side:
    # the bodies carry the log's usage, and the samples' usage is their mock server's, 4
    # characters a token, on which the estimated turns are anchored, the edited ones on
    # their shared run too; below the minimum, those changes lose nothing.)
    "otel_openai_v2_latest": Counter({"PC002": 1, "PC201": 1}),
}
"""What the rules find in a sample's bodies and not in its log, where the log keeps less."""


def _as_sent(body: Mapping[str, Any]) -> Mapping[str, Any]:
    return body


def _what_langfuse_keeps(body: Mapping[str, Any]) -> dict[str, Any]:
    """A body without what Langfuse does not keep as sent, none of it prompt tokens: the
    model (its OpenAI integration logs the one the response names), ``user`` (not logged),
    and an image's data (a media reference; a ``detail: low`` image costs the same whatever
    its size)."""
    kept = {key: value for key, value in body.items() if key not in ("model", "user")}
    kept["messages"] = [
        {**message, "content": [
            {**part, "image_url": {**part["image_url"], "url": "(image)"}}
            if part.get("type") == "image_url" else part for part in message["content"]]}
        if isinstance(message.get("content"), list) else message
        for message in body["messages"]]
    return kept


KEPT: dict[str, Callable[[Mapping[str, Any]], Mapping[str, Any]]] = {
    "langfuse": _what_langfuse_keeps}
"""What of a body a format's log keeps as sent, where it keeps less and what it drops costs
no prompt token (the prompt tokens are compared in full by the test above)."""


def _audit(capsys: pytest.CaptureFixture[str], *arguments: str) -> dict[str, Any]:
    main(["audit", "--isolated", "-q", "-f", "json", "--exit-zero", "--allow-empty",
          *arguments])
    report: dict[str, Any] = json.loads(capsys.readouterr().out)
    return report


def _truth_as_bodies(folder: str, truth: str, calls: list[LoggedCall],
                     tmp_path: Path) -> Path:
    """The truth file's request bodies, each with the time, session and usage the log gives
    its call (so that time and session rules, and counts anchored on usage, see the same
    traffic): made at test time, never committed."""
    lines = truth_lines(shared_format_sample(folder, truth))
    assert len(lines) == len(calls)
    bodies = tmp_path / f"{folder}.bodies.jsonl"
    bodies.write_text("".join(
        json.dumps({"request": line["request"], "timestamp": call.timestamp,
                    "meta": {"session": call.session}, **logged_response(call)}) + "\n"
        for line, call in zip(lines, calls, strict=True)), "utf-8")
    return bodies


def _received(found: Iterable[LoggedCall | LoadError | Skipped]) -> list[LoggedCall]:
    """The calls read, as their providers received them (a chat body a gateway logged for
    Claude as its Messages translation: see helpers.as_received)."""
    calls = [as_received(call) for call in found if isinstance(call, LoggedCall)]
    assert all(isinstance(call, LoggedCall) for call in calls), calls
    return [call for call in calls if isinstance(call, LoggedCall)]


def _findings(report: dict[str, Any]) -> Counter[str]:
    return Counter(finding["code"] for finding in report["findings"])


@pytest.mark.parametrize(("folder", "logs", "name", "truth"), SAMPLES,
                         ids=[sample[0] for sample in SAMPLES])
def test_a_sample_audits_as_the_bodies_it_was_made_from(
        folder: str, logs: tuple[str, ...], name: str, truth: str, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    paths = [str(shared_format_sample(folder, log)) for log in logs]
    calls = _received(read_calls(paths))
    from_log = _audit(capsys, *paths)
    from_bodies = _audit(capsys, str(_truth_as_bodies(folder, truth, calls, tmp_path)))
    assert from_log["summary"]["requests_audited"] == from_bodies["summary"][
        "requests_audited"]
    pairs = list(zip(from_log["requests"], from_bodies["requests"], strict=True))
    # A complete call counts what its body counts; a partial one (the log kept less) counts
    # no more, and says it is a lower bound.
    complete = [(logged, sent) for logged, sent in pairs if logged["exact"] or not any(
        reason.startswith("partial record: ") for reason in logged["estimate_reasons"])]
    partial = [(logged, sent) for logged, sent in pairs if (logged, sent) not in complete]
    assert [body_count(logged) for logged, _ in complete] == [
        body_count(sent) for _, sent in complete]
    assert all(body_count(logged) <= body_count(sent) and (
        logged["bounds"]["high"] is None or "body_prompt_tokens" in logged)
               for logged, sent in partial)
    assert [index for index, (logged, sent) in enumerate(pairs)
            if body_count(logged) != body_count(sent)] == COUNTED_SHORT.get(folder, [])
    unseen = FINDINGS_UNSEEN.get(folder, Counter())
    assert (_findings(from_log), _findings(from_bodies) - _findings(from_log)) == (
        _findings(from_bodies) - unseen, unseen)


@pytest.mark.parametrize(("folder", "logs", "name", "truth"), SAMPLES,
                         ids=[sample[0] for sample in SAMPLES])
def test_a_sample_gives_every_body_exactly_and_is_told_right(
        folder: str, logs: tuple[str, ...], name: str, truth: str) -> None:
    paths = [str(shared_format_sample(folder, log)) for log in logs]
    lines = truth_lines(shared_format_sample(folder, truth))
    expected = [line["request"] for line in lines]
    assert [tell_format(path) for path in paths] == [name] * len(paths)
    for forced in (None, name):
        calls = _received(read_calls(paths, forced))
        assert len(calls) == len(expected)
        # Every Claude call is read as the Messages request Claude received.
        assert [call.api == MESSAGES for call in calls] == [
            line["provider"] == "anthropic" for line in lines]
        # A partial call (the log kept less than was sent) says so instead of matching.
        assert [index for index, call in enumerate(calls) if call.missing] == PARTIAL.get(
            folder, [])
        kept = KEPT.get(folder, _as_sent)
        assert [kept(call.body) for call in calls if not call.missing] == [
            kept(body) for body, call in zip(expected, calls, strict=True)
            if not call.missing]
