"""Every string the input carries into a report passes redaction, and ``--no-snippets`` shows
model names in their public form while the API's own words stay readable.

A secret of each shape is planted where no snippet goes: in the names of the log files, in
model names, prompt cache keys, session ids and users, tool names and a metadata field, and in
a value a load error quotes; every format, to stdout and to a file, and ``promptcache diff``
must show no piece of any of them. Then, with ``--no-snippets``: a fine-tuned model shows as
its base model, a name the catalogue does not know as ``[omitted]``, and image details,
``tool_choice`` modes, reasoning efforts and catalogue model names as they are.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from promptcache.cli.main import main
from promptcache.report.output_format import OutputFormat
from promptcache.snippets import hide_models
from promptcache.vocabulary import public_model_name

from .test_redaction import KINDS, REDACTED, _leaks

FORMATS = [output_format.value for output_format in OutputFormat
           if output_format is not OutputFormat.AUTO]
SHARED = ("Answer questions about orders, refunds and deliveries for the store, politely and "
          "briefly. " * 80).strip()
_FILE_SAFE = re.compile(r"[A-Za-z0-9._=+\-]{1,150}")
FINE_TUNED = "ft:gpt-4o-mini-2024-07-18:my-org::abc123"


def _tool(name: str) -> dict[str, Any]:
    return {"type": "function", "function": {
        "name": name, "description": "Look the order up.",
        "parameters": {"type": "object", "properties": {"order_id": {"type": "string"}}}}}


def _request(model: str, *, tools: list[dict[str, Any]] | None = None,
             text: str = SHARED, **fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"model": model, "messages": [
        {"role": "system", "content": text}, {"role": "user", "content": "Where is it?"}],
        **fields}
    if tools is not None:
        body["tools"] = tools
    return body


def _records(planted: str) -> Iterator[dict[str, Any]]:
    """Requests that carry ``planted`` in every name a report may quote."""
    model = f"ft:gpt-4o-mini-2024-07-18:{planted}::x1"
    first, second = _tool(f"lookup {planted}"), _tool("refund_order")
    # A prompt cache key, tools that change order (tool-order quotes their names) and a
    # model that changes (model-changed quotes both).
    yield {"request": _request("gpt-4o", tools=[first, second], prompt_cache_key=planted)}
    yield {"request": _request(model, tools=[second, first], prompt_cache_key=planted)}
    # A session id from the metadata, the secret itself as a model name.
    for name in ("gpt-4o", planted):
        yield {"request": _request(name, metadata={"ticket": planted, planted: "key"}),
               "meta": {"session": planted}}
    # A user, and prompts too short to cache (prompt-too-short names the model).
    for name in (model, planted):
        yield {"request": _request(name, text="Be brief.", user=planted)}
    # A property named after the secret, its keys in another order (tool-schema-key-order
    # quotes the rendered schema).
    properties = {planted: {"type": "string"}, "order_id": {"type": "string"}}
    for order in (properties, dict(reversed(properties.items()))):
        schema = _tool("refund_order")
        schema["function"]["parameters"]["properties"] = order
        yield {"request": _request("gpt-4o", tools=[schema], prompt_cache_key="schema")}
    # A value a load error quotes.
    yield {"request": _request("gpt-4o", text="Be brief."), "timestamp": planted}


def _write_logs(folder: Path) -> list[str]:
    """One log per shape of secret, named after the secret where a file name can hold it and
    the secret is recognizable on its own (a header's value is a secret after its name)."""
    secrets: list[str] = []
    for kind in KINDS:
        value = kind.make()
        secrets.append(value)
        named = kind.context is None and _FILE_SAFE.fullmatch(value)
        name = f"{kind.name}.{value}.jsonl" if named else f"{kind.name}.jsonl"
        (folder / name).write_text(
            "".join(json.dumps(record) + "\n" for record in _records(kind.embed(value))), "utf-8")
    return secrets


@pytest.fixture
def planted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    (tmp_path / "logs").mkdir()
    return _write_logs(tmp_path / "logs")


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_the_planted_names_reach_the_report(planted: list[str],
                                            capsys: pytest.CaptureFixture[str]) -> None:
    """The scenario is real: the names are quoted (redacted) where a report shows them."""
    code, out, err = _run(capsys, "audit", "--isolated", "--format", "json", "logs")
    report = json.loads(out)
    assert code == 1
    assert {"PC201", "PC207", "PC001", "PC203"} <= {finding["code"]
                                                  for finding in report["findings"]}
    # Every file holds one bad timestamp, echoed on stderr with the file's name.
    assert len(report["errors"]) == len(KINDS)
    assert err.count("not an ISO 8601 time") == len(KINDS)
    assert any(REDACTED in row["file"] for row in report["requests"])
    assert any(REDACTED in row["model"] for row in report["requests"])
    assert any(REDACTED in model for model in report["summary"]["unknown_models"])
    assert any(REDACTED in row["session"] for row in report["sessions"])


@pytest.mark.parametrize("snippets", ["--snippets", "--no-snippets"])
@pytest.mark.parametrize("output_format", FORMATS)
def test_no_planted_secret_in_any_format(planted: list[str], capsys: pytest.CaptureFixture[str],
                                         output_format: str, snippets: str) -> None:
    code, out, err = _run(capsys, "audit", "--isolated", "--format", output_format, snippets,
                          "logs")
    assert code == 1
    assert out
    assert _leaks(out, planted) == []
    assert _leaks(err, planted) == []
    code, out, err = _run(capsys, "audit", "--isolated", "--format", output_format, snippets,
                          "--output", "report.out", "logs")
    assert (code, out) == (1, "")
    assert _leaks(Path("report.out").read_text("utf-8"), planted) == []
    assert _leaks(err, planted) == []


@pytest.mark.parametrize("snippets", ["--snippets", "--no-snippets"])
def test_diff_shows_no_planted_secret(planted: list[str], capsys: pytest.CaptureFixture[str],
                                      snippets: str) -> None:
    logs = sorted(str(path) for path in Path("logs").iterdir())
    for log in logs:
        code, out, err = _run(capsys, "diff", snippets, f"{log}:1", f"{log}:2")
        assert code == 0
        assert "the prefix breaks at $.request" in out
        assert _leaks(out + err, planted) == []
        # A record that cannot be read: its error quotes the bad value.
        code, out, err = _run(capsys, "diff", snippets, f"{log}:1", f"{log}:9")
        assert code == 2
        assert "not an ISO 8601 time" in err
        assert _leaks(out + err, planted) == []


def test_a_missing_file_named_after_a_key_is_reported_redacted(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    key = next(kind for kind in KINDS if kind.name == "groq").make()
    code, _, err = _run(capsys, "audit", "--isolated", f"logs-{key}.jsonl")
    assert code == 2
    assert err.startswith("promptcache: logs-[redacted].jsonl")
    code, _, err = _run(capsys, "diff", f"logs-{key}.jsonl:1", f"logs-{key}.jsonl:2")
    assert code == 2
    assert err == "promptcache: logs-[redacted].jsonl: no such file\n"


def test_a_redacted_file_name_keeps_the_findings_column(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """Redacting a file name replaces the name only: a record inside a `.json` array keeps
    the column it starts at."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    key = next(kind for kind in KINDS if kind.name == "groq").make()
    tools = [{"type": "function", "function": {"name": name, "parameters": {
        "type": "object", "properties": {"q": {"type": "string"}}}}} for name in ("a", "b")]
    records = [{"model": "gpt-4o", "tools": order, "messages": [
        {"role": "system", "content": SHARED * 40}, {"role": "user", "content": "hi"}]}
        for order in (tools, tools[::-1])]
    (tmp_path / f"logs-{key}.json").write_text(
        "[\n  " + ",\n  ".join(json.dumps(record) for record in records) + "\n]\n", "utf-8")
    _, out, _ = _run(capsys, "audit", "--isolated", "-f", "concise", f"logs-{key}.json")
    assert out.startswith("logs-[redacted].json:3:3: PC201 tool-order")


# --- --no-snippets: model names and the API's vocabulary --------------------------------------


@pytest.mark.parametrize(("name", "shown"), [
    pytest.param("gpt-4o", "gpt-4o", id="catalogue"),
    pytest.param("gpt-4o-mini-2024-07-18", "gpt-4o-mini-2024-07-18", id="snapshot"),
    pytest.param("gpt-3.5-turbo-16k-0613", "gpt-3.5-turbo-16k-0613", id="old-snapshot"),
    pytest.param("chatgpt-4o-latest", "chatgpt-4o-latest", id="latest"),
    pytest.param("openai/gpt-4.1", "openai/gpt-4.1", id="gateway-prefix"),
    pytest.param(FINE_TUNED, "gpt-4o-mini-2024-07-18 (fine-tuned)", id="fine-tuned"),
    pytest.param("ft:gpt-3.5-turbo:acme:support-bot:7p4lURel", "gpt-3.5-turbo (fine-tuned)",
                 id="fine-tuned-with-suffix"),
    pytest.param("ft:acme-base:acme::7p4lURel", "[omitted]", id="fine-tuned-unknown-base"),
    pytest.param("gpt-4o-acme-internal", "[omitted]", id="catalogue-prefix-only"),
    pytest.param("acme/gpt-4o", "[omitted]", id="organization-prefix"),
    pytest.param("llama-3-70b-acme", "[omitted]", id="unknown"),
])
def test_public_model_names(name: str, shown: str) -> None:
    assert public_model_name(name) == shown


def _vocabulary_log(path: Path) -> None:
    image, other = ([{"type": "image_url",
                      "image_url": {"url": "https://cdn.test/p.png", "detail": detail}}]
                    for detail in ("auto", "high"))
    lookup = [_tool("lookup_order")]
    bodies = [
        # tool_choice first: its 'auto' once hid the image-detail message's 'auto' too.
        _request("gpt-4o", tools=lookup, tool_choice="auto", prompt_cache_key="choice"),
        _request("gpt-4o", tools=lookup, tool_choice="required", prompt_cache_key="choice"),
        _request("o3", reasoning_effort="low", prompt_cache_key="effort"),
        _request("o3", reasoning_effort="high", prompt_cache_key="effort"),
        {**_request("gpt-4o", prompt_cache_key="image"), "messages": [
            {"role": "system", "content": SHARED}, {"role": "user", "content": image}]},
        {**_request("gpt-4o", prompt_cache_key="image"), "messages": [
            {"role": "system", "content": SHARED}, {"role": "user", "content": other}]},
        _request("gpt-4o", prompt_cache_key="switch"),
        _request("gpt-4.1", prompt_cache_key="switch"),
        _request("gpt-4o-mini", prompt_cache_key="tuned"),
        _request(FINE_TUNED, prompt_cache_key="tuned"),
        _request(FINE_TUNED, text="Be brief."),
        _request("acme-internal-llm", text="Be brief."),
    ]
    path.write_text("".join(json.dumps({"request": body}) + "\n" for body in bodies), "utf-8")


@pytest.fixture
def vocabulary_log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    _vocabulary_log(tmp_path / "v.jsonl")
    return tmp_path / "v.jsonl"


def test_no_snippets_keeps_the_api_vocabulary(vocabulary_log: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = _run(capsys, "audit", "--isolated", "--format", "concise", "--no-snippets",
                     vocabulary_log.name)
    lines = out.splitlines()
    assert [line.split(" [info] ")[1].split(" in prompt_cache_key ")[0] for line in lines
            if " PC205 " in line or " PC207 " in line or " PC208 " in line] == [
        'tool_choice changes from "auto" to "required"',
        "the model changes from 'gpt-4o' to 'gpt-4.1'",
        "the model changes from 'gpt-4o-mini' to 'gpt-4o-mini-2024-07-18 (fine-tuned)'",
        "the reasoning effort changes from 'low' to 'high'",
    ]
    assert ("v.jsonl:6:1: PC301 image-detail [warning] an image (cdn.test) is sent with detail "
            "'high' here and 'auto' in v.jsonl:5; 768 tokens from it on miss the cache") in lines
    # The session labels (prompt cache keys) are the log's own words: still omitted.
    assert [label for label in ("'choice'", "'effort'", "'image'", "'switch'", "'tuned'")
            if label in out] == []
    assert "prompt_cache_key '[omitted]'" in out


@pytest.mark.parametrize("output_format", FORMATS)
def test_no_snippets_shows_fine_tuned_and_unknown_models_by_their_public_name(
        vocabulary_log: Path, capsys: pytest.CaptureFixture[str], output_format: str) -> None:
    _, out, err = _run(capsys, "audit", "--isolated", "--format", output_format,
                       "--no-snippets", vocabulary_log.name)
    for hidden in ("my-org", "abc123", "acme-internal"):
        assert hidden not in out + err
    _, with_snippets, _ = _run(capsys, "audit", "--isolated", "--format", output_format,
                               vocabulary_log.name)
    assert "acme-internal-llm" in with_snippets  # without --no-snippets, names show


def test_no_snippets_model_names_in_rows_and_summary(vocabulary_log: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = _run(capsys, "audit", "--isolated", "--format", "json", "--no-snippets",
                     vocabulary_log.name)
    report = json.loads(out)
    tuned = "gpt-4o-mini-2024-07-18 (fine-tuned)"
    assert [row["model"] for row in report["requests"]][8:] == [
        "gpt-4o-mini", tuned, tuned, "[omitted]"]
    # A fine-tuned model is its base model's (issue 14): only the unknown model is unknown.
    assert report["summary"]["unknown_models"] == ["[omitted]"]
    assert report["summary"]["resolved_models"][0]["model"] == tuned
    short = [finding["message"] for finding in report["findings"] if finding["code"] == "PC001"]
    assert short == [
        f"the prompt has 18 tokens, 1006 short of the 1024-token minimum for caching on {tuned}",
        "the prompt has 18 tokens, 1006 short of the 1024-token minimum for caching on "
        "[omitted] (not in the catalogue: OpenAI's default minimum)"]


def test_diff_without_snippets_shows_the_base_model(vocabulary_log: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "diff", "--no-snippets", "v.jsonl:9", "v.jsonl:10")
    assert code == 0
    assert out.splitlines()[1].startswith(
        "later:   v.jsonl:10 (gpt-4o-mini-2024-07-18 (fine-tuned), ")
    assert "my-org" not in out
    code, out, _ = _run(capsys, "diff", "v.jsonl:9", "v.jsonl:10")
    assert f"later:   v.jsonl:10 ({FINE_TUNED}, " in out



def test_hidden_model_names_are_replaced_whole() -> None:
    message = "caching on x (an x-ray of model x2), then ft:gpt-4o-mini:acme::a1 and gpt-4o"
    assert hide_models(message, ["x", "ft:gpt-4o-mini:acme::a1", "gpt-4o"]) == (
        "caching on [omitted] (an x-ray of model x2), then gpt-4o-mini (fine-tuned) and gpt-4o")
