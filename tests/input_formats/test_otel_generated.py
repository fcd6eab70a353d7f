"""The ``otel`` format on logs made with the real instrumentations and content of our own
(``cases/otel/generated``, written by ``generate/otel.py``): multi-turn tool calls, nested
tool schemas, ``response_format``, image parts, streaming, Responses calls, Anthropic
system blocks with ``cache_control``, an embedding call, and a request the provider
refused (429). Every request the library traced is one call or one skipped call; a complete
call counts the prompt tokens of the body sent, a partial one no more."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from promptcache.cli.main import main
from promptcache.load.formats.base import LoggedCall, Skipped
from promptcache.load.formats.otel import OpenTelemetryGenAI
from promptcache.load.sources import LoadError
from tests.input_formats.helpers import body_count, read_calls, truth_lines

GENERATED = Path(__file__).parent / "cases" / "otel" / "generated"
FAILED = "failed before the provider answered (span status ERROR, no token count)"
EMBEDDING = "no prompt to cache (an embedding call)"
UNTRACED_BY_OPENAI_V2 = 7
"""opentelemetry-instrumentation-openai-v2 2.4b0 traces no Responses call (6) and no
``chat.completions.parse`` (1): no span at all, so nothing to read."""


def _read(dialect: str) -> tuple[list[LoggedCall], list[Skipped], list[dict[str, Any]]]:
    found = read_calls(OpenTelemetryGenAI(), GENERATED / dialect / "traces.otlp.jsonl")
    assert not [item for item in found if isinstance(item, LoadError)]
    truth = truth_lines(GENERATED / dialect / "traces.truth.jsonl")
    return (
        [item for item in found if isinstance(item, LoggedCall)],
        [item for item in found if isinstance(item, Skipped)],
        truth,
    )


def _prompts(truth: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The truth's answered requests with a prompt (not the 429, not the embeddings), by the
    response id the mock gave each."""
    return {
        line["response_id"]: line
        for line in truth
        if line["usage"] is not None and not line["endpoint"].endswith("/embeddings")
    }


def _audit(capsys: pytest.CaptureFixture[str], path: Path) -> list[dict[str, Any]]:
    main(["audit", "--isolated", "-q", "-f", "json", "--exit-zero", "--allow-empty", str(path)])
    requests: list[dict[str, Any]] = json.loads(capsys.readouterr().out)["requests"]
    return requests


def _bodies(lines: list[dict[str, Any]], tmp_path: Path) -> Path:
    """Requests as request/response pairs (made at test time)."""
    pairs = tmp_path / "bodies.jsonl"
    pairs.write_text(
        "".join(
            json.dumps({"request": line["request"], "response": {"usage": line["usage"]}}) + "\n"
            for line in lines
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
        ("openai_v2_latest", [EMBEDDING, FAILED], UNTRACED_BY_OPENAI_V2),
    ],
)
def test_every_traced_request_is_a_call_or_a_skipped_embedding_or_refusal(
    dialect: str, skipped_reasons: list[str], untraced: int
) -> None:
    calls, skipped, truth = _read(dialect)
    assert [item.reason for item in skipped] == skipped_reasons
    assert len(calls) + len(skipped) + untraced == len(truth)
    assert {call.call_id for call in calls} <= set(_prompts(truth))


@pytest.mark.parametrize("dialect", ["openinference_openai", "openinference_anthropic"])
def test_openinference_gives_every_body_as_sent(dialect: str) -> None:
    calls, _, truth = _read(dialect)
    prompts = _prompts(truth)
    for call in calls:
        sent = dict(prompts[str(call.call_id)]["request"])
        if call.body.get("stream") is None and sent.get("stream") is True:
            # messages.stream() sends stream: true, which its kwargs (input.value) lack.
            del sent["stream"]
        assert call.body == sent
        assert call.missing == ()


def _openllmetry_unlogged(request: dict[str, Any]) -> bool:
    """Whether a request holds what OpenLLMetry 0.62.4 never logs and costs prompt tokens,
    with nothing on the span to tell (documented in ``docs/formats/otel.md``): a forced
    ``tool_choice``, a message ``name``, a Responses ``text.format``, or tool-call
    arguments not written as ``json.dumps`` writes them."""
    choice = request.get("tool_choice")
    messages = request.get("messages") or []
    return (
        (isinstance(choice, dict) and choice.get("type") == "function")
        or any("name" in message for message in messages)
        or "text" in request
        or any(
            call["function"]["arguments"] != json.dumps(json.loads(call["function"]["arguments"]))
            for message in messages
            for call in message.get("tool_calls") or ()
        )
    )


@pytest.mark.parametrize(
    "dialect", ["openinference_openai", "traceloop_openai", "openai_v2_latest"]
)
def test_openai_calls_count_the_prompt_tokens_of_the_bodies_sent_or_fewer_when_partial(
    dialect: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    calls, _, truth = _read(dialect)
    prompts = _prompts(truth)
    logged = _audit(capsys, GENERATED / dialect / "traces.otlp.jsonl")
    sent_lines = [prompts[str(call.call_id)] for call in calls]
    sent = _audit(capsys, _bodies(sent_lines, tmp_path))
    assert len(logged) == len(sent) == len(calls)
    compared = 0
    for call, line, from_log, from_body in zip(calls, sent_lines, logged, sent, strict=True):
        if call.missing or (
            dialect == "traceloop_openai" and _openllmetry_unlogged(line["request"])
        ):
            assert body_count(from_log) <= body_count(from_body)
        else:
            compared += 1
            assert body_count(from_log) == body_count(from_body)
    assert compared > 0 or dialect == "openai_v2_latest"


def test_openllmetry_responses_calls_give_the_bodies_sent_with_instructions_and_string_input() -> (
    None
):
    calls, _, truth = _read("traceloop_openai")
    prompts = _prompts(truth)
    responses = [call for call in calls if call.api == "openai.responses"]
    as_sent = [call for call in responses if call.body == prompts[str(call.call_id)]["request"]]
    assert len(as_sent) == 4
    assert any(call.body.get("stream") is True for call in as_sent)
    assert all("instructions" in call.body for call in as_sent)
