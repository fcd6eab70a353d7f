"""Fine-tuned, dated, provider-prefixed and deployment model names are counted, framed, held to
a minimum and priced as the model they run on (issue 14), and the report says so."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from promptcache.catalog import facts_for, resolve_model
from promptcache.cli.main import main

QUESTION = [{"role": "user", "content": "List three breads."}]
LONG = [{"role": "user", "content": "List three breads. " * 500}]
NON_ENGLISH = [{"role": "user", "content": "Назови три вида хлеба, пожалуйста."}]


def _pair(model: str, response_model: str | None = None, prompt_tokens: int | None = None,
          messages: list[dict[str, str]] = QUESTION) -> dict[str, Any]:
    record: dict[str, Any] = {"request": {"model": model, "messages": messages}}
    if response_model is not None or prompt_tokens is not None:
        response: dict[str, Any] = {}
        if response_model is not None:
            response["model"] = response_model
        if prompt_tokens is not None:
            response["usage"] = {"prompt_tokens": prompt_tokens, "completion_tokens": 3}
        record["response"] = response
    return record


def _audit(tmp_path: Path, capsys: pytest.CaptureFixture[str], records: list[dict[str, Any]],
           output_format: str = "json") -> str:
    log = tmp_path / "log.jsonl"
    log.write_text("".join(json.dumps(record) + "\n" for record in records), "utf-8")
    main(["audit", "--isolated", "--format", output_format, str(log)])
    return capsys.readouterr().out


def _json(tmp_path: Path, capsys: pytest.CaptureFixture[str],
          records: list[dict[str, Any]]) -> dict[str, Any]:
    report: dict[str, Any] = json.loads(_audit(tmp_path, capsys, records))
    return report


@pytest.mark.parametrize(("name", "base"), [
    pytest.param("ft:gpt-4o-mini-2024-07-18:acme::abc123", "gpt-4o-mini-2024-07-18",
                 id="fine-tuned-no-suffix"),
    pytest.param("ft:gpt-3.5-turbo-0125:acme:support-bot:abc123", "gpt-3.5-turbo-0125",
                 id="fine-tuned-with-suffix"),
    pytest.param("openai/gpt-4o", "gpt-4o", id="provider-prefix"),
    pytest.param("azure/gpt-4o-mini", "gpt-4o-mini", id="azure-prefix"),
    pytest.param("openrouter/openai/gpt-4.1", "gpt-4.1", id="two-prefixes"),
    pytest.param("azure/ft:gpt-4o-2024-08-06:acme::x", "gpt-4o-2024-08-06",
                 id="prefixed-fine-tuned"),
    pytest.param("GPT-4o-2024-08-06", "gpt-4o-2024-08-06", id="dated-snapshot-kept"),
    pytest.param("anthropic/claude-3.5-sonnet", "claude-3-5-sonnet", id="openrouter-claude"),
    pytest.param("openrouter/anthropic/claude-sonnet-4.5", "claude-sonnet-4-5",
                 id="openrouter-claude-4.5"),
    pytest.param("us.anthropic.claude-3-5-sonnet-20240620-v1:0",
                 "claude-3-5-sonnet-20240620", id="bedrock-claude"),
    pytest.param("bedrock/anthropic.claude-haiku-4-5-20251001-v1:0",
                 "claude-haiku-4-5-20251001", id="bedrock-claude-prefixed"),
    pytest.param("vertex_ai/claude-3-5-sonnet@20240620", "claude-3-5-sonnet-20240620",
                 id="vertex-claude"),
    pytest.param("claude-opus-4-1-20250805", "claude-opus-4-1-20250805", id="claude-as-is"),
    pytest.param("gpt-audio-mini-2025-10-06", "gpt-audio-mini-2025-10-06", id="audio-model"),
])
def test_model_names_resolve_to_the_model_they_run_on(name: str, base: str) -> None:
    assert resolve_model(name) == base
    assert facts_for(name) == facts_for(base)
    assert facts_for(name).known


def test_a_fine_tuned_gpt_4o_mini_is_not_an_unknown_model(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    tuned = "ft:gpt-4o-mini-2024-07-18:acme::abc123"
    report = _json(tmp_path, capsys, [_pair("gpt-4o-mini"), _pair(tuned)])
    summary = report["summary"]
    assert summary["unknown_models"] == []
    assert [row["prompt_tokens"] for row in report["requests"]] == [11, 11]
    assert [row["exact"] for row in report["requests"]] == [True, True]
    assert summary["resolved_models"] == [{
        "model": tuned, "counted_as": "gpt-4o-mini-2024-07-18", "why": "fine-tuned",
        "note": f"{tuned} is fine-tuned from gpt-4o-mini-2024-07-18: counted with that "
                "model's tokenizer, framing and cache minimum"}]


@pytest.mark.parametrize(("name", "base"), [
    pytest.param("ft:o4-mini-2025-04-16:acme::x1", "o4-mini", id="reasoning-framing"),
    pytest.param("ft:gpt-3.5-turbo-0125:acme:suffix:x1", "gpt-3.5-turbo", id="cl100k"),
    pytest.param("openai/o4-mini", "o4-mini", id="prefixed-reasoning"),
])
def test_the_framing_follows_the_base_model(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, base: str) -> None:
    # o4-mini frames a message one token shorter than gpt-4o: a fine-tuned o4-mini counted
    # with gpt-4o's framing would be one token over. The text tokenizes differently in
    # cl100k_base and o200k_base, so a gpt-3.5 counted with o200k is off too.
    report = _json(tmp_path, capsys, [_pair(base, messages=NON_ENGLISH),
                                      _pair(name, messages=NON_ENGLISH)])
    first, second = (row["prompt_tokens"] for row in report["requests"])
    assert second == first


def test_an_azure_deployment_is_counted_as_the_model_the_response_names(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    report = _json(tmp_path, capsys, [
        _pair("support-bot-prod", response_model="gpt-4o-2024-08-06", prompt_tokens=11)])
    row = report["requests"][0]
    assert (row["model"], row["prompt_tokens"], row["exact"]) == ("gpt-4o-2024-08-06", 11, True)
    assert report["summary"]["unknown_models"] == []
    assert report["summary"]["observed_exact"] == 1
    assert report["summary"]["resolved_models"][0]["note"] == (
        "support-bot-prod is not a model promptcache knows (an Azure deployment name?): "
        "counted as gpt-4o-2024-08-06, the model the response names")
    assert report["summary"]["cost"]["unpriced_models"] == []


def test_the_rich_report_says_which_models_were_counted_as_others(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = _audit(tmp_path, capsys, [
        _pair("support-bot-prod", response_model="gpt-4o", prompt_tokens=11)], "rich")
    text = " ".join(out.split())  # the cell wraps at the terminal's width
    assert ("Model names support-bot-prod is not a model promptcache knows (an Azure "
            "deployment name?): counted as gpt-4o, the model the response names "
            "Observed usage") in text


def test_a_deployment_whose_response_names_no_known_model_stays_unknown(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    report = _json(tmp_path, capsys, [_pair("support-bot-prod", response_model="acme-llm")])
    assert report["requests"][0]["model"] == "support-bot-prod"
    assert report["summary"]["unknown_models"] == ["support-bot-prod"]
    assert report["summary"]["resolved_models"] == []


def test_a_known_request_model_is_kept_whatever_the_response_says(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    report = _json(tmp_path, capsys, [_pair("gpt-4o-mini", response_model="gpt-4o")])
    assert report["requests"][0]["model"] == "gpt-4o-mini"
    assert report["summary"]["resolved_models"] == []


def test_fine_tuned_models_have_their_own_price_where_the_price_data_knows_it(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # genai-prices lists fine-tuned gpt-4o-mini input at $0.30 per million tokens, twice the
    # base model's $0.15.
    report = _json(tmp_path, capsys, [
        _pair("ft:gpt-4o-mini-2024-07-18:acme::abc123", messages=LONG),
        _pair("gpt-4o-mini-2024-07-18", messages=LONG)])
    tuned, base = report["requests"]
    assert tuned["prompt_tokens"] == base["prompt_tokens"] == 2008
    assert tuned["cost_usd"] == round(2008 * 0.30e-6, 6)
    assert base["cost_usd"] == round(2008 * 0.15e-6, 6)
    assert report["summary"]["cost"]["base_priced"] == []


def test_other_fine_tuned_models_are_priced_at_their_base_with_a_note(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    tuned = "ft:gpt-4.1-mini-2025-04-14:acme::abc123"
    report = _json(tmp_path, capsys, [_pair(tuned, messages=LONG)])
    cost = report["summary"]["cost"]
    assert cost["unpriced_models"] == []
    assert report["requests"][0]["cost_usd"] == round(2008 * 0.40e-6, 6)
    assert cost["base_priced"] == [{
        "model": tuned, "priced_as": "gpt-4.1-mini",
        "note": f"{tuned} is priced at its base model's rates (gpt-4.1-mini): the price data "
                "has no price for it, and fine-tuned models usually cost more"}]


def test_a_responses_request_to_a_fine_tuned_model_is_framed_as_its_base(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bodies = [{"request": {"model": model, "input": "List three breads."}}
              for model in ("o4-mini", "ft:o4-mini-2025-04-16:acme::x1")]
    report = _json(tmp_path, capsys, bodies)
    first, second = (row["prompt_tokens"] for row in report["requests"])
    assert second == first
    assert report["summary"]["unknown_models"] == []


@pytest.mark.parametrize("output_format", ["rich", "json", "markdown", "sarif", "concise"])
def test_no_snippets_hides_the_organization_of_a_fine_tuned_model_everywhere(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], output_format: str) -> None:
    # The calibration table, the resolved names and the price notes all name the model.
    log = tmp_path / "log.jsonl"
    records = [_pair("ft:gpt-4.1-mini-2025-04-14:acme-secret-org::zz9", prompt_tokens=12),
               _pair("deploy-acme-secret-org", response_model="gpt-4o", prompt_tokens=11)]
    log.write_text("".join(json.dumps(record) + "\n" for record in records), "utf-8")
    main(["audit", "--isolated", "--no-snippets", "--format", output_format, str(log)])
    captured = capsys.readouterr()
    assert "acme-secret-org" not in captured.out + captured.err
    assert "zz9" not in captured.out + captured.err
