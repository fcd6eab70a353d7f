"""Images at the cache boundary: the replay's range for prefixes that hold images, and
images-changed (PC302) on images shuffled in the newest message, on hand-written logs with
images generated here."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path
from typing import Any

from rich.console import Console

from promptcache.engine.rule_engine import default_rules
from promptcache.report.json_format import render_json
from promptcache.report.markdown_format import render_markdown
from promptcache.report.model import Report
from promptcache.report.rich_format import render_rich
from promptcache.rules import ALL_RULES
from promptcache.run.audit import run_audit
from promptcache.tokens.counter import TokenCounter

from .conftest import shared_data
from .test_rule_cases import _png_data_url

# 800x600 at detail high on gpt-4o: 1024x768, 2x2 tiles, 85 + 4 * 170 = 765 tokens.
GREEN = _png_data_url((46, 125, 50), 800, 600)
ORANGE = _png_data_url((239, 108, 0), 800, 600)
BLUE = _png_data_url((21, 101, 192), 800, 600)
VEGETARIAN = "Which of these dishes are vegetarian?"
SPICY = "Which of these dishes are spicy?"
WORDS = ("harbor", "lantern", "meadow", "copper", "violet", "summit", "river", "quarry")
MENU_1100 = "".join(f" {WORDS[index % len(WORDS)]}" for index in range(1100))


def _image(url: str) -> dict[str, Any]:
    return {"type": "image_url", "image_url": {"url": url, "detail": "high"}}


def _record(images: list[str], question: str, *, system: str | None = None,
            usage: tuple[int, int] | None = None) -> dict[str, Any]:
    messages: list[dict[str, Any]] = [] if system is None else [
        {"role": "system", "content": system}]
    messages.append({"role": "user", "content": [
        *(_image(url) for url in images), {"type": "text", "text": question}]})
    record: dict[str, Any] = {"request": {"model": "gpt-4o-2024-08-06", "messages": messages}}
    if usage is not None:
        record["response"] = {"usage": {"prompt_tokens": usage[0],
                                        "prompt_tokens_details": {"cached_tokens": usage[1]}}}
    return record


def _audit(tmp_path: Path, records: list[dict[str, Any]]) -> Report:
    log = tmp_path / "log.jsonl"
    log.write_text("".join(json.dumps(record) + "\n" for record in records), encoding="utf-8")
    return run_audit([str(log)], default_rules(ALL_RULES))


def _ranges(report: Report) -> list[tuple[int, int | None]]:
    return [(row.predicted_cached_tokens, row.predicted_cached_tokens_low)
            for row in report.requests]


def test_a_cached_run_reaching_into_images_is_a_range_down_to_the_first_image(
        tmp_path: Path) -> None:
    report = _audit(tmp_path, [_record([GREEN, ORANGE], VEGETARIAN),
                               _record([GREEN, ORANGE], SPICY)])
    # 4 framing + 2 x 765 image + 7 question + 3 priming; the two share 1,539 tokens.
    assert [row.prompt_tokens for row in report.requests] == [1544, 1544]
    # The images start at token 4: a cache keeping no image tokens would serve nothing.
    assert _ranges(report) == [(0, None), (1536, 0)]


def test_text_before_the_image_sets_the_low_end_in_whole_blocks(tmp_path: Path) -> None:
    assert TokenCounter("o200k_base").count(MENU_1100) == 1100
    report = _audit(tmp_path, [_record([GREEN], VEGETARIAN, system=MENU_1100),
                               _record([GREEN], SPICY, system=MENU_1100)])
    # The image starts at token 4 + 1,100 + 4 = 1,108: 1,024 in whole blocks; the shared
    # prefix runs on through the image and "Which of these dishes are" (1,878: 1,792).
    assert _ranges(report) == [(0, None), (1792, 1024)]


def test_a_cached_run_that_stops_before_the_image_is_one_value(tmp_path: Path) -> None:
    report = _audit(tmp_path, [_record([GREEN], VEGETARIAN, system=MENU_1100),
                               _record([BLUE], VEGETARIAN, system=MENU_1100)])
    assert _ranges(report) == [(0, None), (1024, None)]


def test_the_json_report_gives_the_low_end_or_null(tmp_path: Path) -> None:
    report = _audit(tmp_path, [_record([GREEN, ORANGE], VEGETARIAN),
                               _record([GREEN, ORANGE], SPICY)])
    rows = json.loads(render_json(report))["requests"]
    assert [(row["predicted_cached_tokens"], row["predicted_cached_tokens_low"])
            for row in rows] == [(0, None), (1536, 0)]


def test_the_reports_give_the_hit_rate_as_a_range_when_images_make_it_one(
        tmp_path: Path) -> None:
    report = _audit(tmp_path, [_record([GREEN, ORANGE], VEGETARIAN),
                               _record([GREEN, ORANGE], SPICY)])
    # 1,536 of 3,088 prompt tokens at the high end, none at the low end.
    assert json.loads(render_json(report))["summary"]["hit_rate"] == {
        "predicted": 0.4974, "predicted_low": 0.0, "after_fixes": 0.4974, "observed": None}
    assert "| Cache hit rate (predicted) | 0.0-49.7% |" in render_markdown(report).splitlines()
    buffer = io.StringIO()
    render_rich(report, Console(file=buffer, width=120, no_color=True, color_system=None))
    assert ("Cache hit rate          0.0-49.7% predicted; 49.7% with every fix (share of "
            "prompt tokens)") in [line.rstrip() for line in buffer.getvalue().splitlines()]


def test_a_hit_rate_without_image_ranges_stays_one_figure(tmp_path: Path) -> None:
    report = _audit(tmp_path, [_record([GREEN], VEGETARIAN, system=MENU_1100),
                               _record([BLUE], VEGETARIAN, system=MENU_1100)])
    # 1,024 of 2 x 1,883 prompt tokens, cached before the image that differs.
    hit_rate = json.loads(render_json(report))["summary"]["hit_rate"]
    assert (hit_rate["predicted_low"], hit_rate["predicted"]) == (None, 0.2719)
    assert "| Cache hit rate (predicted) | 27.2% |" in render_markdown(report).splitlines()


def test_calibration_reports_an_observed_hit_inside_the_image_range(tmp_path: Path) -> None:
    report = _audit(tmp_path, [
        _record([GREEN, ORANGE], VEGETARIAN, usage=(1544, 0)),
        _record([GREEN, ORANGE], SPICY, usage=(1544, 1280)),
        _record([GREEN, ORANGE], VEGETARIAN, usage=(1544, 0)),
    ])
    calibration = report.summary.savings.calibration
    assert calibration is not None
    assert [(item.location.line, item.observed_cached_tokens, item.predicted_cached_tokens,
             item.reason) for item in calibration.disagreements] == [
        (2, 1280, 1536, "image-boundary"), (3, 0, 1536, "best-effort-miss")]
    assert calibration.disagreements[0].explanation == (
        "the cached prefix runs into an image, where the provider's cache boundary is not "
        "known: promptcache predicts 0 to 1,536 cached tokens (the low end stops before the "
        "first image, the high end is the 128-token floor of the shared prefix), and the "
        "provider's figure is in that range")


def _image_findings(report: Report) -> list[tuple[int, str, str]]:
    return [(finding.location.line, finding.path, finding.message)
            for finding in report.findings if finding.code == "PC302"]


def test_a_new_first_image_pushing_the_earlier_first_image_second_is_reported_there(
        tmp_path: Path) -> None:
    report = _audit(tmp_path, [_record([GREEN, ORANGE], VEGETARIAN),
                               _record([GREEN, ORANGE], SPICY),
                               _record([BLUE, GREEN], VEGETARIAN)])
    [(line, path, message)] = _image_findings(report)
    assert (line, path) == (3, "$.request.messages[0].content[0]")
    assert re.fullmatch(
        r"the images of the user message at messages\[0\] are replaced and reordered since "
        r"line 1: the first image is data:image/png #\w{8} where line 1 sent "
        r"data:image/png #\w{8}, and line 1's first image now comes second; the prompt stops "
        r"matching there, 1,540 tokens from there on miss the cache", message), message
    [finding] = [finding for finding in report.findings if finding.code == "PC302"]
    assert finding.fix.startswith("Send the images that repeat from request to request first")


def test_images_swapped_in_the_newest_message_are_reported_as_another_order(
        tmp_path: Path) -> None:
    report = _audit(tmp_path, [_record([GREEN, ORANGE], VEGETARIAN),
                               _record([ORANGE, GREEN], VEGETARIAN)])
    [(line, path, message)] = _image_findings(report)
    assert (line, path) == (2, "$.request.messages[0].content[0]")
    assert message.startswith("the images of the user message at messages[0] come in another "
                              "order than at line 1: the first image is data:image/png #")
    assert "and line 1's first image now comes second" in message


def test_a_new_picture_with_the_same_question_is_not_reported(tmp_path: Path) -> None:
    report = _audit(tmp_path, [_record([GREEN, ORANGE], VEGETARIAN),
                               _record([BLUE, ORANGE], VEGETARIAN),
                               _record([GREEN, ORANGE, BLUE], VEGETARIAN)])
    assert _image_findings(report) == []


def test_the_cookbook_image_calls_get_their_count_range_and_finding() -> None:
    """OpenAI's prompt-caching cookbook, its three image calls (lines 3-5 of the shared file):
    1,548 prompt tokens each; the second call's recorded 1,280 cached tokens inside the
    predicted range; the third call's miss explained at its first image."""
    log = shared_data("openai-cookbook-prompt-caching.jsonl")
    report = run_audit([str(log)], default_rules(ALL_RULES))
    images = list(report.requests)[2:]
    assert [(row.prompt_tokens, row.observed_prompt_tokens) for row in images] == [
        (1548, 1548)] * 3
    assert [(row.observed_cached_tokens, row.predicted_cached_tokens,
             row.predicted_cached_tokens_low) for row in images] == [
        (0, 0, None), (1280, 1536, 0), (0, 0, None)]
    [(line, path, message)] = _image_findings(report)
    assert (line, path) == (5, "$.request.messages[0].content[0]")
    assert message.startswith("the images of the user message at messages[0] are replaced and "
                              "reordered since line 3: the first image is data:image/png #")
