"""The HTML report opened in headless Chromium with the network cut off: it asks for nothing
but itself, logs no error, draws every chart with the audit's numbers (read back from
Chart.js and compared with the JSON report of the same audit), sorts and filters its
findings, follows the system's dark theme, fits a phone's width and prints without its
controls. Screenshots at 1280 and 390 px wide are kept in tests/artifacts/."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from promptcache.cli.main import main
from tests.conftest import SAMPLES
from tests.html_logs import agent_records, write_log

_READ_CHARTS = """() => Array.from(document.querySelectorAll("canvas")).map(canvas => {
  const chart = Chart.getChart(canvas);
  const pixels = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  let inked = 0;
  for (let i = 3; i < pixels.length; i += 4) { if (pixels[i]) { inked++; } }
  return {id: canvas.id, labels: chart.data.labels, inked: inked,
          datasets: chart.data.datasets.map(d => ({label: d.label, role: d.role, data: d.data}))};
})"""


@dataclass
class Opened:
    """A page as loaded, with what it tried to fetch and what it logged as errors."""

    page: Any
    requested: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


@pytest.fixture(scope="module")
def audit(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    """The HTML report of the agent log and the JSON report of the same audit."""
    folder = tmp_path_factory.mktemp("browser")
    log = write_log(folder / "agent.jsonl", agent_records())
    html_path, json_path = folder / "report.html", folder / "report.json"
    main(["audit", str(log), "--format", "html", "-o", str(html_path),
          "--output-format", f"json={json_path}"])
    return html_path, json.loads(json_path.read_text("utf-8"))


def _open(browser: Any, path: Path, width: int, scheme: str = "light") -> Iterator[Opened]:
    context = browser.new_context(viewport={"width": width, "height": 900},
                                  color_scheme=scheme)
    page = context.new_page()
    opened = Opened(page)
    own = path.resolve().as_uri()

    def gate(route: Any) -> None:
        if route.request.url == own:
            route.continue_()
        else:
            opened.blocked.append(route.request.url)
            route.abort()

    context.route("**/*", gate)
    page.on("request", lambda request: opened.requested.append(request.url))
    page.on("console", lambda message: message.type == "error"
            and opened.errors.append(message.text))
    page.on("pageerror", lambda error: opened.errors.append(str(error)))
    page.goto(own, wait_until="load")
    yield opened
    context.close()


@pytest.fixture
def wide(browser: Any, audit: tuple[Path, dict[str, Any]]) -> Iterator[Opened]:
    yield from _open(browser, audit[0], 1280)


def test_only_the_file_is_requested_and_nothing_is_logged(wide: Opened,
                                                          audit: tuple[Path, dict[str, Any]]
                                                          ) -> None:
    assert wide.requested == [audit[0].resolve().as_uri()]
    assert wide.blocked == []
    assert wide.errors == []


def test_every_chart_is_drawn_with_the_audits_numbers(wide: Opened,
                                                      audit: tuple[Path, dict[str, Any]]
                                                      ) -> None:
    _, report = audit
    charts = {chart["id"]: chart for chart in wide.page.evaluate(_READ_CHARTS)}
    assert list(charts) == ["chart-hit-rate", "chart-waterfall-1", "chart-waterfall-2",
                            "chart-savings-by-rule", "chart-savings-by-finding",
                            "chart-cached-by-model", "chart-by-model"]
    for chart in charts.values():
        assert chart["inked"] > 1000, f"{chart['id']} drew nothing"
    section = report["charts"]
    buckets = section["buckets"]
    hit_rate = {dataset["role"]: dataset["data"] for dataset in charts["chart-hit-rate"]
                ["datasets"]}
    assert [value for value in hit_rate["predicted"] if value is not None] == [
        round(100 * bucket["predicted_cached_tokens"] / bucket["prompt_tokens"], 1)
        for bucket in buckets]
    assert len(hit_rate["predicted"]) == round(
        (buckets[-1]["start"] - buckets[0]["start"]) / section["bucket_width"]) + 1
    assert [value for value in hit_rate["observed"] if value is not None] == [
        round(100 * bucket["observed_cached_tokens"] / bucket["observed_prompt_tokens"], 1)
        for bucket in buckets if bucket["observed_requests"]]
    assert sum(1 for value in hit_rate["mark"] if value is not None) == len(report["findings"])
    for number, session in enumerate(section["waterfall"], 1):
        drawn = {dataset["role"]: dataset["data"]
                 for dataset in charts[f"chart-waterfall-{number}"]["datasets"]}
        assert drawn["cached"] == [bar["cached_tokens"] for bar in session["bars"]]
        assert drawn["uncached"] == [bar["prompt_tokens"] - bar["cached_tokens"]
                                     - bar["written_tokens"] for bar in session["bars"]]
    days = (section["last_time"] - section["first_time"]) / 86_400
    cost = report["summary"]["cost"]["current_usd"]
    saved = report["summary"]["cost"]["savings_usd"]
    by_rule = {dataset["role"]: dataset["data"]
               for dataset in charts["chart-savings-by-rule"]["datasets"]}
    assert by_rule["before"] == [pytest.approx(cost / days, abs=1e-6)]
    assert by_rule["after"] == [pytest.approx((cost - saved) / days, abs=1e-6)]
    [by_finding] = charts["chart-savings-by-finding"]["datasets"]
    assert by_finding["data"] == [pytest.approx(saved / days, abs=1e-6)]
    models = section["models"]
    observed = [row for row in models if row["observed_requests"]]
    compared = {dataset["role"]: dataset["data"]
                for dataset in charts["chart-cached-by-model"]["datasets"]}
    assert charts["chart-cached-by-model"]["labels"] == [row["model"] for row in observed]
    assert compared["predicted"] == [row["observed_predicted_cached_tokens"] for row in observed]
    assert compared["observed"] == [row["observed_cached_tokens"] for row in observed]
    totals = {dataset["role"]: dataset["data"]
              for dataset in charts["chart-by-model"]["datasets"]}
    assert charts["chart-by-model"]["labels"] == [row["model"] for row in models]
    assert totals["cached"] == [row["predicted_cached_tokens"] for row in models]
    assert totals["uncached"] == [row["prompt_tokens"] - row["predicted_cached_tokens"]
                                  for row in models]
    assert totals["dollars"] == [row["cost_usd"] for row in models]
    assert sum(totals["cached"]) + sum(totals["uncached"]) == \
        report["summary"]["prompt_tokens"]


def test_findings_sort_filter_and_open(wide: Opened) -> None:
    page = wide.page
    count = page.locator("#finding-count")
    assert count.inner_text() == "1 of 1 findings shown"
    page.fill("#finding-filter", "no such rule")
    assert count.inner_text() == "0 of 1 findings shown"
    assert page.locator("tbody.finding").first.is_hidden()
    page.fill("#finding-filter", "timestamp")
    page.select_option("#severity-filter", "warning")
    assert count.inner_text() == "1 of 1 findings shown"
    page.click("#findings th[data-sort] >> nth=3")  # saved (USD)
    assert page.locator("#findings th[aria-sort]").get_attribute("aria-sort") == "ascending"
    # The waterfall's link opens the finding's evidence.
    page.click("#waterfall-1 a[href='#finding-1']")
    assert page.locator("#finding-1 details").get_attribute("open") is not None
    assert page.locator("#finding-1 .sides mark").count() == 2


def test_screenshots_at_phone_and_desktop_width(browser: Any,
                                                audit: tuple[Path, dict[str, Any]],
                                                artifacts: Path) -> None:
    for width in (1280, 390):
        for opened in _open(browser, audit[0], width):
            # Nothing wider than the screen: the layout folds to one column.
            assert opened.page.evaluate("document.documentElement.scrollWidth") <= width
            shot = artifacts / f"html-report-{width}.png"
            opened.page.screenshot(path=str(shot), full_page=True)
            assert shot.stat().st_size > 20_000
            assert opened.errors == []


def test_dark_theme_follows_the_system(browser: Any,
                                       audit: tuple[Path, dict[str, Any]]) -> None:
    backgrounds = []
    for scheme in ("light", "dark"):
        for opened in _open(browser, audit[0], 1280, scheme):
            backgrounds.append(opened.page.evaluate(
                "getComputedStyle(document.body).backgroundColor"))
    assert backgrounds == ["rgb(255, 255, 255)", "rgb(13, 17, 23)"]


def test_printed_without_controls_and_with_evidence_open(wide: Opened) -> None:
    page = wide.page
    page.emulate_media(media="print")
    assert page.evaluate("getComputedStyle(document.querySelector('nav')).display") == "none"
    assert page.evaluate(
        "getComputedStyle(document.querySelector('.controls')).display") == "none"
    pdf = page.pdf()
    assert pdf.startswith(b"%PDF")
    page.evaluate("window.dispatchEvent(new Event('beforeprint'))")
    assert page.locator("details:not([open])").count() == 0


def test_the_shipped_samples_report_draws_every_chart(browser: Any, tmp_path: Path,
                                                      artifacts: Path) -> None:
    """Every sample log at once: seven logs, Claude's explicit cache writes among them."""
    page_path, json_path = tmp_path / "samples.html", tmp_path / "samples.json"
    main(["audit", str(SAMPLES), "--isolated", "--format", "html", "-o", str(page_path),
          "--output-format", f"json={json_path}"])
    report = json.loads(json_path.read_text("utf-8"))
    for opened in _open(browser, page_path, 1280):
        assert opened.blocked == []
        assert opened.errors == []
        charts = opened.page.evaluate(_READ_CHARTS)
        assert all(chart["inked"] > 1000 for chart in charts)
        waterfalls = [chart for chart in charts if chart["id"].startswith("chart-waterfall-")]
        assert len(waterfalls) == len(report["charts"]["waterfall"]) == 6
        written = [dataset["data"] for chart in waterfalls for dataset in chart["datasets"]
                   if dataset["role"] == "written"]
        assert written == [[bar["written_tokens"] for bar in session["bars"]]
                           for session in report["charts"]["waterfall"]
                           if any(bar["written_tokens"] for bar in session["bars"])]
        assert written  # the Claude samples write to the cache
        opened.page.screenshot(path=str(artifacts / "samples-1280.png"), full_page=True)


def test_the_sample_report_as_the_readme_shows_it(browser: Any, artifacts: Path) -> None:
    """samples/tool-order.html down to its first waterfall: docs/html-report.png is this
    screenshot (copy it there when the report's look changes)."""
    for opened in _open(browser, SAMPLES / "tool-order.html", 1280):
        assert opened.errors == []
        box = opened.page.locator("#waterfall-1").bounding_box()
        opened.page.screenshot(
            path=str(artifacts / "sample-tool-order.png"), full_page=True,
            clip={"x": 0, "y": 0, "width": 1280, "height": box["y"] + box["height"] + 12})
