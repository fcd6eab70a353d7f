"""A count that cannot be exact offline says so, why, and within what range, in every format
(issue 14): remote images of unknown size, files, audio, built-in tools, unknown models."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from promptcache.catalog import facts_for
from promptcache.cli.main import main
from promptcache.estimates import segment_estimate
from promptcache.model import Estimate, Segment, SegmentKind
from promptcache.tokens.images import image_token_range

REPORT_SCHEMA = (Path(__file__).resolve().parents[1] / "src" / "promptcache" / "schemas"
                 / "report.schema.json")
QUESTION = "What is in this picture?"
REMOTE = "https://images.example.com/cat.png"


def _chat(model: str, content: object) -> dict[str, Any]:
    return {"request": {"model": model, "messages": [{"role": "user", "content": content}]}}


def _image(detail: str | None = None) -> list[dict[str, Any]]:
    spec = {"url": REMOTE} if detail is None else {"url": REMOTE, "detail": detail}
    return [{"type": "text", "text": QUESTION}, {"type": "image_url", "image_url": spec}]


LOG = [
    _chat("gpt-4o", _image()),
    _chat("gpt-4o", _image("high")),
    _chat("gpt-4o", [{"type": "text", "text": "Summarize the report."},
                     {"type": "file", "file": {"file_id": "file-123"}}]),
    _chat("gpt-4o", "List three breads."),
    _chat("acme-llm", "List three breads."),
    {"request": {"model": "gpt-4o", "input": "What happened today?",
                 "tools": [{"type": "web_search"}]}},
    {"request": {"model": "gpt-4o", "input": [{"role": "user", "content": [
        {"type": "input_text", "text": QUESTION},
        {"type": "input_image", "image_url": REMOTE}]}]}},
]
IMAGE = "a remote image of unknown size"
FILE = "file input, not counted offline"
UNKNOWN = "a model not in the catalogue (counted with OpenAI's defaults)"
SEARCH = "not estimable offline, lower bound only: web search results the server fetches"


def _audit(tmp_path: Path, capsys: pytest.CaptureFixture[str], output_format: str) -> str:
    log = tmp_path / "log.jsonl"
    log.write_text("".join(json.dumps(record) + "\n" for record in LOG), "utf-8")
    main(["audit", "--isolated", "--format", output_format, str(log)])
    return capsys.readouterr().out


@pytest.fixture
def report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    found: dict[str, Any] = json.loads(_audit(tmp_path, capsys, "json"))
    return found


def test_json_rows_say_whether_a_count_is_exact_why_not_and_its_bounds(
        report: dict[str, Any]) -> None:
    rows = [(row["prompt_tokens"], row["exact"], row["estimate_reasons"], row["bounds"])
            for row in report["requests"]]
    assert rows == [
        # Assumed 1024x1024 (765 tokens); auto detail may be served as low (85) and the
        # largest image is 768x2048 (1445).
        (778, False, [IMAGE], {"low": 778 - 765 + 85, "high": 778 - 765 + 1445}),
        # detail high: at least one tile (255).
        (778, False, [IMAGE], {"low": 778 - 765 + 255, "high": 778 - 765 + 1445}),
        # The file is guessed at 512 tokens: anything from nothing up, no upper bound.
        (525, False, [FILE], {"low": 525 - 512, "high": None}),
        (11, True, [], {"low": 11, "high": 11}),
        (11, False, [UNKNOWN], {"low": None, "high": None}),
        # gpt-4o's web search prompt is counted (294); what the searches fetch is not.
        (305, False, [SEARCH], {"low": 305, "high": None}),
        (778, False, [IMAGE], {"low": 778 - 765 + 85, "high": 778 - 765 + 1445}),
    ]
    assert [row["estimated"] for row in report["requests"]] == [
        not row["exact"] for row in report["requests"]]


def test_the_summary_groups_estimated_requests_by_reason(report: dict[str, Any]) -> None:
    summary = report["summary"]
    assert summary["estimated_requests"] == 6
    assert summary["estimates"] == [
        {"reason": IMAGE, "requests": 3, "low": 85, "high": 1445},
        {"reason": UNKNOWN, "requests": 1, "low": None, "high": None},
        {"reason": FILE, "requests": 1, "low": 0, "high": None},
        {"reason": SEARCH, "requests": 1, "low": 294, "high": None},
    ]


def test_the_json_report_with_estimates_matches_its_schema(report: dict[str, Any]) -> None:
    jsonschema.validate(report, json.loads(REPORT_SCHEMA.read_text("utf-8")))


GROUPS = ("a remote image of unknown size: 3 requests (85 to 1,445 tokens each); "
          "a model not in the catalogue (counted with OpenAI's defaults): 1 request (no bound); "
          f"{FILE}: 1 request (no upper bound); {SEARCH}: 1 request (at least 294 tokens each)")


def test_concise_says_it_in_one_line(tmp_path: Path,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    lines = _audit(tmp_path, capsys, "concise").splitlines()
    assert lines[-2:] == [f"note: 6 requests counted by estimate: {GROUPS}",
                          "2 findings in 7 requests audited of 7 records read (0 invalid)"]


def test_github_says_it_in_one_log_line(tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    lines = _audit(tmp_path, capsys, "github").splitlines()
    assert lines[-2] == f"promptcache: 6 requests counted by estimate: {GROUPS}"


def test_markdown_lists_the_reasons(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = _audit(tmp_path, capsys, "markdown")
    assert ("6 requests counted by estimate:\n"
            "- a remote image of unknown size: 3 requests (85 to 1,445 tokens each)\n"
            "- a model not in the catalogue (counted with OpenAI's defaults): 1 request "
            "(no bound)\n"
            f"- {FILE}: 1 request (no upper bound)\n"
            f"- {SEARCH}: 1 request (at least 294 tokens each)\n") in out


def test_rich_lists_the_reasons(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = " ".join(_audit(tmp_path, capsys, "rich").split())  # cells wrap at the width
    assert ("Estimated counts 6 requests counted by estimate: a remote image of unknown size: "
            "3 requests (85 to 1,445 tokens each) a model not in the catalogue") in text


def test_sarif_run_properties_carry_the_reasons(tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    properties = json.loads(_audit(tmp_path, capsys, "sarif"))["runs"][0]["properties"]
    assert properties["estimatedRequests"] == 6
    assert properties["estimates"][0] == {"reason": IMAGE, "requests": 3, "low": 85,
                                          "high": 1445}


def test_an_exact_log_says_nothing_about_estimates(tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    log = tmp_path / "exact.jsonl"
    log.write_text(json.dumps(_chat("gpt-4o", "List three breads.")) + "\n", "utf-8")
    main(["audit", "--isolated", "--format", "concise", str(log)])
    assert "estimate" not in capsys.readouterr().out


@pytest.mark.parametrize(("model", "detail", "expected"), [
    pytest.param("gpt-4o", "auto", (85, 1445), id="tiles-auto-may-be-low"),
    pytest.param("gpt-4o", "high", (255, 1445), id="tiles-high-one-tile-up"),
    pytest.param("gpt-4o", "low", (85, 85), id="tiles-low-any-size"),
    pytest.param("gpt-5", "auto", (70, 70 + 8 * 140), id="gpt-5-tiles"),
    # One patch to the 1536 cap, times 1.62, rounded up.
    pytest.param("gpt-4.1-mini", "auto", (2, 2489), id="patches"),
])
def test_an_image_of_unknown_size_is_bounded_by_the_models_scheme(
        model: str, detail: str, expected: tuple[int, int]) -> None:
    assert image_token_range(facts_for(model).image, detail) == expected


def test_a_segment_marked_estimated_without_a_reason_is_described_by_its_kind() -> None:
    bare = Segment(SegmentKind.OTHER, "$.messages[0].content[1]", "", estimated=True)
    assert segment_estimate(bare) == Estimate(
        "a content part promptcache cannot render exactly", 0, None)
    given = Estimate("a video frame", 10, 20)
    assert segment_estimate(Segment(SegmentKind.OTHER, "$", "", estimated=True,
                                    estimate=given)) is given


def test_a_large_logs_rows_keep_their_reasons_and_bounds_through_the_disk() -> None:
    from promptcache.report.model import RequestRow
    from promptcache.report.rows import RequestRows

    rows = RequestRows(memory_rows=1)  # every row goes to the temporary file
    row = RequestRow("log.jsonl", 1, "gpt-4o", 778, None, None, 0, 0.0019, True,
                     estimate_reasons=(IMAGE, FILE), low=98, high=None)
    rows.append(row)
    assert list(rows) == [row]


def test_an_unknown_claude_model_says_it_is_counted_as_claude(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    log = tmp_path / "claude.jsonl"
    log.write_text(json.dumps({"request": {
        "model": "claude-2.1", "max_tokens": 64, "system": "Be brief.",
        "messages": [{"role": "user", "content": "Hello"}]}}) + "\n", "utf-8")
    main(["audit", "--isolated", "--format", "json", "--exit-zero", str(log)])
    (row,) = json.loads(capsys.readouterr().out)["requests"]
    assert row["exact"] is False
    assert row["estimate_reasons"] == [
        "a Claude model not in the catalogue (counted with the Claude 3 tokenizer and "
        "Anthropic's cache rules)"]
