"""``promptcache diff`` and the first-divergence explanation on findings."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from promptcache.cli.main import main

SYSTEM = ("You are the support assistant of Example Air. " * 130).strip()


def _log(tmp_path: Path, records: list[dict[str, Any]]) -> Path:
    log = tmp_path / "log.jsonl"
    log.write_text("".join(json.dumps(record) + "\n" for record in records), "utf-8")
    return log


def _chat(*messages: tuple[str, str]) -> dict[str, Any]:
    return {"model": "gpt-4o",
            "messages": [{"role": role, "content": text} for role, text in messages]}


def test_diff_of_an_appended_turn_says_the_later_request_extends_the_earlier(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    first = _chat(("system", SYSTEM), ("user", "Where is my bag?"))
    second = _chat(("system", SYSTEM), ("user", "Where is my bag?"),
                   ("assistant", "Let me check."), ("user", "Thanks"))
    log = _log(tmp_path, [first, second])
    assert main(["diff", f"{log}:1", f"{log}:2"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == f"earlier: {log}:1 (gpt-4o, 1,186 prompt tokens)"
    assert out[2] == (
        "the later request extends the earlier one: the whole earlier prompt up to its reply, "
        "1,183 tokens, is a cacheable prefix (1,152 of them come from the cache, which serves "
        "128-token steps); the 16 new tokens are paid in full")
    assert out[3] == "  new from $.messages[2]: the message's role and framing (assistant message)"
    assert "break" not in "\n".join(out)


def test_diff_of_a_short_appended_turn_says_it_is_below_the_minimum(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    log = _log(tmp_path, [_chat(("user", "hi")), _chat(("user", "hi"), ("assistant", "hello"))])
    assert main(["diff", "--no-snippets", f"{log}:1", f"{log}:2"]) == 0
    assert capsys.readouterr().out.splitlines()[2:] == [
        "the later request extends the earlier one: the whole earlier prompt up to its reply, "
        "5 tokens, is shared, but it is below the 1,024-token minimum, so none can come from the "
        "cache; all 13 tokens of the later request are paid in full"]


def test_diff_names_prompt_parts_in_user_words(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    first = _chat(("system", SYSTEM), ("user", "Where is my bag?"))
    second = _chat(("system", SYSTEM), ("assistant", "Where is my bag?"))
    log = _log(tmp_path, [first, second])
    assert main(["diff", f"{log}:1", f"{log}:2"]) == 0
    out = capsys.readouterr().out
    assert "  after:  the message's role and framing (assistant message)" in out
    assert "message_frame" not in out


def test_diff_of_a_changed_value(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    log = _log(tmp_path, [_chat(("system", f"Now: 10:00:03\n{SYSTEM}"), ("user", "hi")),
                          _chat(("system", f"Now: 10:00:09\n{SYSTEM}"), ("user", "hi"))])
    assert main(["diff", f"{log}:1", f"{log}:2"]) == 0
    out = capsys.readouterr().out
    assert "the prefix breaks at $.messages[0].content, token " in out
    assert "below the 1,024-token minimum, so none can come from the cache" in out
    assert "before: " in out
    assert "10:00:03" in out
    assert "10:00:09" in out


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        pytest.param("log.jsonl", "expected FILE:LINE", id="no-line"),
        pytest.param("log.jsonl:0", "expected FILE:LINE", id="line-zero"),
        pytest.param("missing.jsonl:1", "missing.jsonl: no such file", id="missing"),
        pytest.param("log.jsonl:9", "no record starts on that line", id="past-the-end"),
        pytest.param("log.jsonl:2", "$.messages: expected array", id="invalid-record"),
    ],
)
def test_diff_errors_exit_two(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                              monkeypatch: pytest.MonkeyPatch, spec: str, message: str) -> None:
    monkeypatch.chdir(tmp_path)
    _log(tmp_path, [_chat(("user", "hi")), {"messages": "oops"}])
    assert main(["diff", "log.jsonl:1", spec]) == 2
    assert message in capsys.readouterr().err


def test_findings_carry_the_divergence(tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    log = _log(tmp_path, [{"request": _chat(("system", f"Request {n}\n{SYSTEM}"), ("user", "hi"))}
                          for n in range(2)])
    main(["audit", "--format", "json", "--isolated", str(log)])
    [finding] = json.loads(capsys.readouterr().out)["findings"]
    divergence = finding["divergence"]
    assert divergence["compared_with"] == {"file": str(log), "line": 1, "column": 1}
    assert divergence["path"] == "$.request.messages[0].content"
    assert divergence["token_offset"] > 0
    assert divergence["cacheable_tokens"] == 0
    assert "Request 0" in divergence["before"]
    assert "Request 1" in divergence["after"]
