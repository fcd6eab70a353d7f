"""The ``otel`` format on logs made with the real instrumentations and content of our own
(``cases/otel/generated``, written by ``generate/otel.py``): multi-turn tool calls, nested
tool schemas, ``response_format``, image parts, streaming, Responses calls, Anthropic
system blocks with ``cache_control``, an embedding call, and a request the provider
refused (429). Every
request the library traced is one call or one skipped call; a complete call counts the
prompt tokens of the body sent, a partial one no more."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from promptcache.cli.main import main
from promptcache.load.formats.base import LoggedCall, Skipped
from promptcache.load.formats.otel import OpenTelemetryGenAI
from promptcache.load.sources import LoadError
from tests.input_formats.helpers import read_calls, truth_lines

GENERATED = Path(__file__).parent / "cases" / "otel" / "generated"
FAILED = "failed before the provider answered (span status ERROR, no token count)"
EMBEDDING = "no prompt to cache (an embedding call)"
RESPONSES_CALLS = 4
"""The Responses calls each OpenAI run makes: opentelemetry-instrumentation-openai-v2 2.4b0
traces none of them (no span at all, so nothing to read)."""


def _read(dialect: str) -> tuple[list[LoggedCall], list[Skipped], list[dict[str, Any]]]:
    found = read_calls(OpenTelemetryGenAI(), GENERATED / dialect / "traces.otlp.jsonl")
    assert not [item for item in found if isinstance(item, LoadError)]
    truth = truth_lines(GENERATED / dialect / "traces.truth.jsonl")
    return (
        [item for item in found if isinstance(item, LoggedCall)],
        [item for item in found if isinstance(item, Skipped)],
        truth,
    )


def _audit(capsys: pytest.CaptureFixture[str], path: Path) -> list[dict[str, Any]]:
    main(["audit", "--isolated", "-q", "-f", "json", "--exit-zero", "--allow-empty", str(path)])
    requests: list[dict[str, Any]] = json.loads(capsys.readouterr().out)["requests"]
    return requests


def _prompts(truth: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The truth's answered requests with a prompt (not the 429, not the embeddings)."""
    return [
        line
        for line in truth
        if line["usage"] is not None and not line["endpoint"].endswith("/embeddings")
    ]


def _answered_bodies(truth: list[dict[str, Any]], tmp_path: Path) -> Path:
    """The truth's prompts as request/response pairs (made at test time)."""
    pairs = tmp_path / "bodies.jsonl"
    pairs.write_text(
        "".join(
            json.dumps({"request": line["request"], "response": {"usage": line["usage"]}}) + "\n"
            for line in _prompts(truth)
        ),
        "utf-8",
    )
    return pairs


@pytest.mark.parametrize(
    ("dialect", "skipped_reasons", "untraced"),
    [
        ("openinference_openai", [EMBEDDING, FAILED], 0),
        ("openinference_anthropic", [FAILED], 0),
        ("traceloop_openai", [EMBEDDING, FAILED], 0),
        ("traceloop_anthropic", [FAILED], 0),
        ("openai_v2_latest", [EMBEDDING, FAILED], RESPONSES_CALLS),
    ],
)
def test_every_traced_request_is_a_call_or_a_skipped_embedding_or_refusal(
    dialect: str, skipped_reasons: list[str], untraced: int
) -> None:
    calls, skipped, truth = _read(dialect)
    assert [item.reason for item in skipped] == skipped_reasons
    assert len(calls) + len(skipped) + untraced == len(truth)


def test_openinference_openai_gives_every_answered_body_as_sent() -> None:
    calls, _, truth = _read("openinference_openai")
    answered = [line["request"] for line in _prompts(truth)]
    assert [call.body for call in calls] == answered
    assert all(call.missing == () for call in calls)


def test_openinference_anthropic_gives_every_body_as_sent_but_the_stream_flag_of_a_helper() -> None:
    calls, _, truth = _read("openinference_anthropic")
    answered = [line["request"] for line in _prompts(truth)]
    # messages.stream() sends stream: true, which its kwargs (input.value) do not hold.
    assert answered[5].pop("stream") is True
    assert [call.body for call in calls] == answered
    assert all(call.missing == () for call in calls)


FORCED_TOOL_CHOICE = 2
"""The answered call that forces a function (``tool_choice: {"type": "function", ...}``),
which costs prompt tokens: OpenLLMetry 0.62.4 does not log ``tool_choice`` at all, and
nothing on the span tells a forced choice from ``auto`` (documented in
``docs/formats/otel.md``)."""


@pytest.mark.parametrize(
    "dialect", ["openinference_openai", "traceloop_openai", "openai_v2_latest"]
)
def test_openai_calls_count_the_prompt_tokens_of_the_bodies_sent_or_fewer_when_partial(
    dialect: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    calls, _, truth = _read(dialect)
    answered = _prompts(truth)
    logged = _audit(capsys, GENERATED / dialect / "traces.otlp.jsonl")
    sent = _audit(capsys, _answered_bodies(truth, tmp_path))
    # Pair each call with its request by position, leaving out the untraced Responses calls.
    traced = [
        index
        for index, line in enumerate(answered)
        if dialect != "openai_v2_latest" or "input" not in line["request"]
    ]
    assert len(logged) == len(calls) == len(traced)
    lower = {FORCED_TOOL_CHOICE} if dialect == "traceloop_openai" else set()
    for call, from_log, index in zip(calls, logged, traced, strict=True):
        if call.missing or index in lower:
            assert from_log["prompt_tokens"] <= sent[index]["prompt_tokens"]
        else:
            assert from_log["prompt_tokens"] == sent[index]["prompt_tokens"]


def test_openllmetry_responses_calls_give_the_bodies_sent_with_instructions_and_string_input() -> (
    None
):
    calls, _, truth = _read("traceloop_openai")
    answered = [line["request"] for line in _prompts(truth)]
    instructions_string_input, function_call_output, _, streamed = range(9, 13)
    for index in (instructions_string_input, function_call_output, streamed):
        assert calls[index].body == answered[index]
    assert calls[streamed].body["stream"] is True
