"""The HTML report without a browser: its chart section adds up to the request rows, the page
holds everything it needs and asks nothing of a network, a saved JSON report draws the same
page, and no secret or (with --no-snippets) prompt text reaches it."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path
from typing import Any

import pytest

from promptcache.cli.main import main
from promptcache.model import Location
from promptcache.report.chart_tally import ChartTally
from promptcache.report.charts import MAX_BUCKETS, WATERFALL_SESSIONS
from promptcache.report.model import RequestRow

from .html_logs import POLICY, SECRET, WHOLE_SENTENCE, agent_records, write_log

_CHART_DATA = re.compile(
    r'<script type="application/json" id="promptcache-charts">(.*?)</script>', re.DOTALL)


def chart_configs(page: str) -> dict[str, dict[str, Any]]:
    """The Chart.js configurations a page embeds, by chart id."""
    found = _CHART_DATA.search(page)
    assert found is not None
    return {spec["id"]: spec["config"] for spec in json.loads(found.group(1))}


@pytest.fixture(scope="module")
def audited(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], str, Path]:
    """The JSON report and the HTML page of one audit of the agent log, and the folder."""
    folder = tmp_path_factory.mktemp("html")
    log = write_log(folder / "agent.jsonl", agent_records())
    json_path, html_path = folder / "report.json", folder / "report.html"
    status = main(["audit", str(log), "--format", "html", "-o", str(html_path),
                   "--output-format", f"json={json_path}"])
    assert status == 1  # the timestamp finding is a warning
    return (json.loads(json_path.read_text("utf-8")), html_path.read_text("utf-8"), folder)


def test_the_chart_section_adds_up_to_the_request_rows(
        audited: tuple[dict[str, Any], str, Path]) -> None:
    document, _, _ = audited
    charts, rows = document["charts"], document["requests"]
    assert charts["axis"] == "time"
    assert charts["first_time"] == 1746090000.0  # 2025-05-01T09:00:00Z
    assert charts["last_time"] == 1746090000.0 + 22 * 60
    for field in ("prompt_tokens", "predicted_cached_tokens"):
        assert sum(bucket[field] for bucket in charts["buckets"]) == sum(row[field]
                                                                         for row in rows)
    assert sum(bucket["requests"] for bucket in charts["buckets"]) == 16
    assert sum(bucket["observed_cached_tokens"] for bucket in charts["buckets"]) == \
        1536 + 1664 + 1792 + 1792
    by_line = {row["line"]: row for row in rows}
    drawn = {bar["line"]: bar for session in charts["waterfall"] for bar in session["bars"]}
    assert sorted(drawn) == list(range(1, 17))  # both sessions, every request
    for line, bar in drawn.items():
        assert (bar["prompt_tokens"], bar["cached_tokens"], bar["observed_cached_tokens"]) == (
            by_line[line]["prompt_tokens"], by_line[line]["predicted_cached_tokens"],
            by_line[line]["observed_cached_tokens"])
    # The clock session pays for every token, so it ranks first.
    assert [session["session"] for session in charts["waterfall"]] == ["session:clock",
                                                                       "session:steady"]
    assert charts["sessions_left_out"] == 0
    models = {row["model"]: row for row in charts["models"]}
    assert models["gpt-4.1"]["prompt_tokens"] == 8 * 1510
    assert models["gpt-4o-mini"]["observed_cached_tokens"] == 1536 + 1664 + 1792 + 1792
    assert models["gpt-4o-mini"]["observed_predicted_cached_tokens"] == 1536 + 1664 + 1792 + 1920
    assert [(mark["code"], mark["line"]) for mark in charts["marks"]] == \
        [(finding["code"], finding["line"]) for finding in document["findings"]]


def test_the_page_draws_the_reports_numbers(audited: tuple[dict[str, Any], str, Path]) -> None:
    document, page, _ = audited
    configs = chart_configs(page)
    assert list(configs) == ["hit-rate", "waterfall-1", "waterfall-2", "savings-by-rule",
                             "savings-by-finding", "cached-by-model", "by-model"]
    buckets = document["charts"]["buckets"]
    width = document["charts"]["bucket_width"]
    hit_rate = configs["hit-rate"]["data"]
    # Every 32-second span from the first request to the last: quiet ones are gaps.
    assert width == 32.0
    assert len(hit_rate["labels"]) == 42
    # Spans start on multiples of their width since the epoch; one day: times alone.
    assert hit_rate["labels"][:3] == ["08:59:44", "09:00:16", "09:00:48"]
    assert configs["hit-rate"]["options"]["scales"]["x"]["title"]["text"] == \
        "UTC time on 2025-05-01"
    predicted = hit_rate["datasets"][0]["data"]
    slots = [round((b["start"] - buckets[0]["start"]) / width) for b in buckets]
    assert [predicted[slot] for slot in slots] == [
        round(100 * b["predicted_cached_tokens"] / b["prompt_tokens"], 1) for b in buckets]
    assert sum(value is None for value in predicted) == 42 - 16
    marks = hit_rate["datasets"][-1]
    assert [code for code in marks["codes"] if code] == ["PC102"]
    assert marks["links"][marks["codes"].index("PC102")] == "#finding-1"
    # The finding was found at 09:04:00, the second clock request: the span holding it.
    assert hit_rate["labels"][marks["codes"].index("PC102")] == "09:04:00"
    clock = configs["waterfall-1"]["data"]["datasets"]
    assert [dataset["role"] for dataset in clock] == ["cached", "uncached", "mark"]
    assert clock[1]["data"] == [1510] * 8
    # The finding is located at the second clock request: its bar carries the link.
    assert clock[2]["links"] == [None, "#finding-1", None, None, None, None, None, None]
    saving = document["findings"][0]["estimated_savings_usd"]
    days = 22 * 60 / 86_400
    by_rule = configs["savings-by-rule"]["data"]["datasets"]
    cost = document["summary"]["cost"]["current_usd"]
    assert by_rule[0]["data"] == [round(cost / days, 6)]
    assert by_rule[1]["data"] == [round((cost - saving) / days, 6)]
    assert configs["cached-by-model"]["data"]["labels"] == ["gpt-4o-mini"]
    assert configs["by-model"]["data"]["datasets"][2]["data"] == [
        row["cost_usd"] for row in document["charts"]["models"]]


def test_the_page_is_self_contained(audited: tuple[dict[str, Any], str, Path]) -> None:
    _, page, _ = audited
    assert "default-src 'none'" in page  # the policy forbids any fetch
    assert re.search(r"<(script|img|link|iframe)[^>]*\b(src|href)=", page) is None
    assert "Chart.js v4" in page
    assert "sourceMappingURL" not in page
    assert "@media print" in page
    assert "prefers-color-scheme: dark" in page
    # Every chart has its numbers as a table beside it.
    assert page.count("<canvas") == 7
    assert page.count(": the numbers drawn</caption>") == 7


def test_findings_table_rows_open_onto_their_evidence(
        audited: tuple[dict[str, Any], str, Path]) -> None:
    _, page, _ = audited
    [row] = re.findall(r'<tbody class="finding" id="finding-1".*?</tbody>', page, re.DOTALL)
    assert 'data-severity="warning"' in row
    assert '<code>PC102</code> timestamp-in-prefix' in row
    assert "<details>" in row
    assert 'class="sides"' in row
    # Earlier and later side by side, the changed text highlighted.
    assert re.search(r"earlier <code>[^<]*agent\.jsonl:9</code>.*later <code>[^<]*"
                     r"agent\.jsonl:10</code>", row, re.DOTALL)
    assert row.count("<mark>") == 2


def test_a_saved_json_report_draws_the_same_page(audited: tuple[dict[str, Any], str, Path],
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    _, page, folder = audited
    again = folder / "again.html"
    assert main(["report", str(folder / "report.json"), "-o", str(again)]) == 0
    assert again.read_text("utf-8") == page
    assert main(["report", str(folder / "report.json")]) == 0
    assert capsys.readouterr().out == page


@pytest.mark.parametrize(("content", "said"), [
    ("not json", "not JSON"),
    ('{"promptcache": "0.1.0"}', "not a promptcache JSON report: $: missing required field "
                                 "'summary'"),
])
def test_a_file_that_is_not_a_report_is_refused_in_one_line(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str, said: str) -> None:
    saved = tmp_path / "saved.json"
    saved.write_text(content, "utf-8")
    assert main(["report", str(saved), "-o", str(tmp_path / "out.html")]) == 2
    error = capsys.readouterr().err
    assert said in error
    assert error.count("\n") == 1
    assert not (tmp_path / "out.html").exists()


def test_a_report_saved_without_charts_draws_the_rest(
        audited: tuple[dict[str, Any], str, Path], tmp_path: Path) -> None:
    document, _, _ = audited
    older = {key: value for key, value in document.items() if key != "charts"}
    saved = tmp_path / "older.json"
    saved.write_text(json.dumps(older), "utf-8")
    assert main(["report", str(saved), "-o", str(tmp_path / "older.html")]) == 0
    page = (tmp_path / "older.html").read_text("utf-8")
    assert "without its chart section" in page
    assert chart_configs(page) == {}
    assert 'id="finding-1"' in page


def test_no_secret_and_only_trimmed_snippets(audited: tuple[dict[str, Any], str, Path]) -> None:
    _, page, _ = audited
    text = html.unescape(page)
    assert SECRET not in text
    assert SECRET[8:20] not in text
    assert POLICY[:300] not in text  # the prompt appears at most as a trimmed snippet
    # The snippets that show the problem: the two times, and the text around the change.
    assert "2025-05-01T09:01:00Z -> 2025-05-01T09:04:00Z" in text
    assert "<mark>…e: 2025-05-01T09:01:00Z" in page


def test_no_snippets_leaves_no_prompt_text(tmp_path: Path) -> None:
    log = write_log(tmp_path / "agent.jsonl", agent_records())
    out = tmp_path / "quiet.html"
    main(["audit", str(log), "--no-snippets", "--format", "html", "-o", str(out)])
    text = html.unescape(out.read_text("utf-8"))
    for prompt_text in ("09:01:00Z", "You are the support", "Heronsgate", WHOLE_SENTENCE[:30],
                        "HC-100", SECRET[8:20]):
        assert prompt_text not in text
    assert "snippets are off" in text
    assert "session:#" in text  # session labels as digests, as every format shows them


def _row(index: int, session_cost: int) -> RequestRow:
    return RequestRow(file="log.jsonl", line=index + 1, model="gpt-4o", prompt_tokens=session_cost,
                      observed_prompt_tokens=None, observed_cached_tokens=None,
                      predicted_cached_tokens=0, cost_usd=0.001, estimated=False)


def test_ten_thousand_requests_stay_within_sixty_buckets() -> None:
    tally = ChartTally()
    for index in range(10_000):
        tally.add(_row(index, 100), index, 1_700_000_000.0 + 37.0 * index, f"s{index % 50}")
    charts = tally.result()
    assert charts.axis == "time"
    assert len(charts.buckets) <= MAX_BUCKETS
    assert sum(bucket.requests for bucket in charts.buckets) == 10_000
    assert sum(bucket.prompt_tokens for bucket in charts.buckets) == 1_000_000
    assert charts.bucket_width == 8192.0  # doubled from one second until 60 spans cover it


def test_one_request_without_a_time_puts_the_axis_in_request_order() -> None:
    tally = ChartTally()
    for index in range(100):
        tally.add(_row(index, 10), index, None if index == 50 else 1_700_000_000.0 + index,
                  "s")
    charts = tally.result()
    assert charts.axis == "request"
    assert charts.first_time is None
    assert [bucket.start for bucket in charts.buckets][:3] == [0.0, 2.0, 4.0]


def test_the_waterfall_keeps_the_sessions_that_pay_most() -> None:
    tally = ChartTally()
    # Session k sends k requests of 100 uncached tokens, interleaved: the last sessions pay
    # most, though they start after the candidate pool is full.
    index = 0
    for turn in range(100):
        for session in range(100):
            if turn < session:
                tally.add(_row(index, 100), index, float(index), f"s{session}")
                index += 1
    charts = tally.result()
    assert [session.session for session in charts.waterfall] == [
        f"s{number}" for number in range(99, 99 - WATERFALL_SESSIONS, -1)]
    assert charts.sessions_left_out == 99 - WATERFALL_SESSIONS
    assert charts.waterfall[0].requests == 99


def test_finding_marks_name_where_a_finding_first_showed() -> None:
    tally = ChartTally()
    tally.found("PC101", "group", Location("a.jsonl", 3), 5.0, 2)
    tally.found("PC101", "group", Location("a.jsonl", 9), 8.0, 8)  # the same finding again
    tally.add(_row(0, 10), 0, 5.0, "s")
    [mark] = tally.result().marks
    assert (mark.code, mark.line, mark.at) == ("PC101", 3, 5.0)


def test_diff_as_html_shows_the_two_requests_side_by_side(
        audited: tuple[dict[str, Any], str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    _, _, folder = audited
    log = folder / "agent.jsonl"
    assert main(["diff", f"{log}:9", f"{log}:10"]) == 0
    explained = capsys.readouterr().out.splitlines()
    out = folder / "diff.html"
    assert main(["diff", f"{log}:9", f"{log}:10", "--format", "html", "-o", str(out)]) == 0
    page = out.read_text("utf-8")
    # The text's explanation, line for line, then the values side by side.
    for line in explained[:3]:
        assert f"<li>{html.escape(line)}</li>" in page
    assert re.search(r'earlier <code>[^<]*agent\.jsonl:9</code></div><pre class="snippet">'
                     r"<mark>…e: 2025-05-01T09:01:00Z", page)
    assert re.search(r'later <code>[^<]*agent\.jsonl:10</code></div><pre class="snippet">'
                     r"<mark>…e: 2025-05-01T09:04:00Z", page)
    assert main(["diff", f"{log}:9", f"{log}:10", "--format", "html", "--no-snippets"]) == 0
    hidden = capsys.readouterr().out
    assert "09:01:00Z" not in hidden
    assert hidden.count("snippets are off") == 2


@pytest.mark.parametrize(("damage", "said"), [
    (lambda report: report["charts"]["buckets"].extend(report["charts"]["buckets"] * 60),
     "$.charts.buckets: must have at most 60 items"),
    (lambda report: report["sessions"][0].update(hit_rate=1.5),
     "$.sessions[0].hit_rate: must be at most 1, found 1.5"),
    (lambda report: report["sessions"][0].update(session="somebody"),
     "$.sessions[0].session: does not match ^(key|session|user|auto):"),
])
def test_a_saved_report_is_checked_against_every_schema_rule(
        audited: tuple[dict[str, Any], str, Path], tmp_path: Path,
        capsys: pytest.CaptureFixture[str], damage: Any, said: str) -> None:
    report = json.loads(json.dumps(audited[0]))
    damage(report)
    saved = tmp_path / "damaged.json"
    saved.write_text(json.dumps(report), "utf-8")
    assert main(["report", str(saved)]) == 2
    assert capsys.readouterr().err == (
        f"promptcache: {saved}: not a promptcache JSON report: {said}\n")


def test_an_audit_of_nothing_draws_no_empty_chart(tmp_path: Path) -> None:
    empty = tmp_path / "empty.jsonl"
    empty.write_text("", "utf-8")
    out = tmp_path / "empty.html"
    assert main(["audit", str(empty), "--allow-empty", "--format", "html", "-o", str(out)]) == 0
    page = out.read_text("utf-8")
    assert chart_configs(page) == {}
    assert "Not drawn: no request was audited." in page
    assert "<p>No findings.</p>" in page


def test_markup_in_the_log_stays_text(tmp_path: Path) -> None:
    """A model, session or file name that holds markup is shown as text: it opens no element
    and cannot end the page's data script."""
    hostile = "</script><img src=x onerror=alert(1)>"
    records = agent_records(4)
    for record in records:
        record["request"]["model"] = hostile
        record["meta"]["session"] = hostile
    log = write_log(tmp_path / "hostile.jsonl", records)
    out = tmp_path / "hostile.html"
    main(["audit", str(log), "--format", "html", "-o", str(out)])
    page = out.read_text("utf-8")
    assert "<img" not in page
    assert page.count("<script") == 3  # the data, Chart.js, the page's own
    assert page.count("</script>") == 3
    configs = chart_configs(page)
    assert configs["by-model"]["data"]["labels"] == [hostile]  # the data keeps the name
    assert "session:&lt;/script&gt;&lt;img" in page


def test_diff_never_writes_onto_a_log(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    log = write_log(tmp_path / "agent.jsonl", agent_records(2))
    before = log.read_bytes()
    assert main(["diff", f"{log}:1", f"{log}:2", "--format", "html", "-o", str(log)]) == 2
    assert "refusing to overwrite it" in capsys.readouterr().err
    assert log.read_bytes() == before
