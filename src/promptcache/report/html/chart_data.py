"""Each chart of the HTML report as a Chart.js configuration and the table of the same
numbers, worked out from the JSON report's data (``charts``, ``findings``, ``summary``)."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from promptcache.report.charts import even_spans
from promptcache.report.html.money import (
    DAYS_PER_MONTH,
    dollars,
    log_days,
    per_day,
    span_text,
)

SAVINGS_FINDINGS = 20
"""Findings drawn in the savings chart, most saving first (the findings table has them all)."""


@dataclass(frozen=True, slots=True)
class Link:
    """A table cell that points at another part of the page."""

    text: str
    href: str


Cell = str | Link


@dataclass(frozen=True, slots=True)
class Table:
    """A chart's numbers as rows of text, for people and screen readers."""

    headers: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]


@dataclass(frozen=True, slots=True)
class ChartSpec:
    """One chart: its Chart.js configuration (datasets carry a ``role`` the page colours by)
    and its table."""

    id: str
    title: str
    note: str
    config: dict[str, Any]
    table: Table


@dataclass(frozen=True, slots=True)
class Missing:
    """A chart the data cannot draw, and why."""

    title: str
    why: str


def chart_specs(document: Mapping[str, Any]) -> list[ChartSpec | Missing]:
    """The report's charts, in page order."""
    charts = document.get("charts")
    if not charts:
        return [Missing("Charts", "this report was saved without its chart section (written "
                        "by an older promptcache): audit the log again to draw them")]
    if not charts["buckets"]:
        return [Missing("Charts", "no request was audited")]
    anchors = finding_anchors(document["findings"])
    return [hit_rate_chart(charts, anchors),
            *waterfall_charts(charts, document["findings"]),
            *savings_charts(document),
            cached_by_model_chart(charts),
            model_totals_chart(charts)]


def finding_anchors(findings: Sequence[Mapping[str, Any]]) -> dict[tuple[str, str, int], str]:
    """(code, file, line) of each finding -> the id of its row in the findings table."""
    return {(finding["code"], finding["file"], finding["line"]): finding_id(index)
            for index, finding in enumerate(findings)}


def finding_id(index: int) -> str:
    """The page id of the findings table's row ``index`` (0-based)."""
    return f"finding-{index + 1}"


def _percent(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def _shown_percent(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1f}%"


def one_day(charts: Mapping[str, Any]) -> str | None:
    """The UTC date every span of a time axis falls on, or None (spans of several days, or
    of requests): within one day the labels leave the date to the axis title."""
    buckets = charts["buckets"]
    if charts["axis"] != "time" or not buckets:
        return None
    first = time.strftime("%Y-%m-%d", time.gmtime(buckets[0]["start"]))
    last = time.strftime("%Y-%m-%d", time.gmtime(buckets[-1]["start"] + charts["bucket_width"]
                                                  - 1))
    return first if first == last else None


def bucket_label(axis: str, start: float, width: float, *, dated: bool = True) -> str:
    """A bucket as the chart's axis names it: its start in UTC (``dated`` False: the time of
    day alone), or its run of requests."""
    if axis == "time":
        # As fine as the spans: requests seconds apart get seconds.
        shown = ("%Y-%m-%d" if width >= 86_400 else "%H:%M" if width >= 60 else "%H:%M:%S")
        if dated and width < 86_400:
            shown = f"%Y-%m-%d {shown}"
        return time.strftime(shown, time.gmtime(start))
    first = int(start) + 1
    last = int(start + width)
    return f"#{first}" if last <= first else f"#{first}-{last}"


def hit_rate_chart(charts: Mapping[str, Any],
                   anchors: Mapping[tuple[str, str, int], str]) -> ChartSpec:
    """Predicted (and observed) cached share per bucket, each finding's first showing
    marked on the bucket it falls in."""
    buckets = charts["buckets"]
    day = one_day(charts)
    labels = [bucket_label(charts["axis"], bucket["start"], charts["bucket_width"],
                           dated=day is None) for bucket in buckets]
    predicted = [_percent(bucket["predicted_cached_tokens"], bucket["prompt_tokens"])
                 for bucket in buckets]
    observed = [_percent(bucket["observed_cached_tokens"], bucket["observed_prompt_tokens"])
                if bucket["observed_requests"] else None for bucket in buckets]
    marked: list[list[str]] = [[] for _ in buckets]
    links: list[str | None] = [None] * len(buckets)
    starts = [bucket["start"] for bucket in buckets]
    for mark in charts["marks"]:
        anchor = anchors.get((mark["code"], mark["file"], mark["line"]))
        if anchor is None or not buckets:
            continue  # a finding the baseline dropped
        index = max(0, sum(1 for start in starts if start <= mark["at"]) - 1)
        marked[index].append(mark["code"])
        links[index] = links[index] or f"#{anchor}"
    # The chart shows time evenly: every span from the first to the last, quiet ones empty.
    width = charts["bucket_width"]
    slots = even_spans(starts, width)
    count = slots[-1] + 1 if slots else 0

    def spread(values: Sequence[Any], empty: Any = None) -> list[Any]:
        spread_values = [empty] * count
        for slot, value in zip(slots, values, strict=True):
            spread_values[slot] = value
        return spread_values

    datasets: list[dict[str, Any]] = [
        {"label": "predicted hit rate (%)", "role": "predicted", "data": spread(predicted)}]
    if any(value is not None for value in observed):
        datasets.append({"label": "observed hit rate (%)", "role": "observed",
                         "data": spread(observed)})
    datasets.append({
        "label": "a finding first shows", "role": "mark", "showLine": False,
        "data": spread([(rate or 0.0) if codes else None
                        for rate, codes in zip(predicted, marked, strict=True)]),
        "codes": spread([", ".join(codes) for codes in marked], ""),
        "links": spread(links)})
    axis_labels = [bucket_label(charts["axis"], starts[0] + slot * width, width,
                                dated=day is None) for slot in range(count)]
    axis = ("requests, in log order" if charts["axis"] != "time"
            else "UTC time" if day is None else f"UTC time on {day}")
    rows = tuple((label, f"{bucket['requests']:,}", f"{bucket['prompt_tokens']:,}",
                  f"{bucket['predicted_cached_tokens']:,}", _shown_percent(rate),
                  _shown_percent(seen), ", ".join(codes))
                 for label, bucket, rate, seen, codes
                 in zip(labels, buckets, predicted, observed, marked, strict=True))
    return ChartSpec(
        "hit-rate", "Cache hit rate over time",
        f"Share of prompt tokens read from the cache per span of the log ({axis}); "
        "triangles mark where a finding first shows.",
        {"type": "line", "data": {"labels": axis_labels, "datasets": datasets},
         "options": {"scales": {"y": {"min": 0, "max": 100,
                                      "title": {"display": True, "text": "% cached"}},
                                "x": {"title": {"display": True, "text": axis}}}}},
        Table(("span", "requests", "prompt tokens", "predicted cached", "predicted",
               "observed", "findings first seen"), rows))


def waterfall_charts(charts: Mapping[str, Any],
                     findings: Sequence[Mapping[str, Any]]) -> list[ChartSpec | Missing]:
    """One stacked bar chart per costliest session: each request's prompt split into cached,
    written and uncached tokens, the first divergence of a finding marked and linked."""
    diverged: dict[tuple[str, int], tuple[str, str]] = {}
    for index, finding in enumerate(findings):
        if finding["divergence"] is not None:
            diverged.setdefault((finding["file"], finding["line"]),
                                (finding["code"], finding_id(index)))
    specs: list[ChartSpec | Missing] = []
    for number, session in enumerate(charts["waterfall"], 1):
        specs.append(_waterfall(number, session, diverged))
    if not specs:
        specs.append(Missing("Session waterfalls", "the log has no requests"))
    left_out = charts["sessions_left_out"]
    if left_out and specs:
        last = specs[-1]
        if isinstance(last, ChartSpec):
            specs[-1] = ChartSpec(last.id, last.title,
                                  f"{last.note} {left_out:,} other session"
                                  f"{'s' if left_out != 1 else ''} not drawn (see the "
                                  "sessions table).", last.config, last.table)
    return specs


def _waterfall(number: int, session: Mapping[str, Any],
               diverged: Mapping[tuple[str, int], tuple[str, str]]) -> ChartSpec:
    bars = session["bars"]
    first = session["first_request"]
    labels = [str(first + offset + 1) for offset in range(len(bars))]
    uncached = [max(0, bar["prompt_tokens"] - bar["cached_tokens"] - bar["written_tokens"])
                for bar in bars]
    marks = [diverged.get((bar["file"], bar["line"])) for bar in bars]
    datasets: list[dict[str, Any]] = [
        {"label": "cached", "role": "cached", "data": [bar["cached_tokens"] for bar in bars]}]
    if any(bar["written_tokens"] for bar in bars):
        datasets.append({"label": "written to the cache", "role": "written",
                         "data": [bar["written_tokens"] for bar in bars]})
    datasets.append({"label": "uncached", "role": "uncached", "data": uncached})
    if any(marks):
        datasets.append({
            "type": "line", "label": "first divergence", "role": "mark", "showLine": False,
            "stack": "marks",
            "data": [bar["prompt_tokens"] if mark else None
                     for bar, mark in zip(bars, marks, strict=True)],
            "codes": [mark[0] if mark else "" for mark in marks],
            "links": [f"#{mark[1]}" if mark else None for mark in marks]})
    rows = tuple(
        (label, f"{bar['file']}:{bar['line']}", f"{bar['prompt_tokens']:,}",
         f"{bar['cached_tokens']:,}", f"{bar['written_tokens']:,}", f"{gap:,}",
         "n/a" if bar["observed_cached_tokens"] is None
         else f"{bar['observed_cached_tokens']:,}",
         Link(mark[0], f"#{mark[1]}") if mark else "")
        for label, bar, gap, mark in zip(labels, bars, uncached, marks, strict=True))
    shown = (f"requests {first + 1}-{first + len(bars)} of {session['requests']:,}"
             if len(bars) < session["requests"]
             else "its one request" if session["requests"] == 1
             else f"all {session['requests']:,} requests")
    return ChartSpec(
        f"waterfall-{number}", f"Session {session['session']}",
        f"Each request's prompt as the cache model predicts it ({shown}; "
        f"{session['uncached_tokens']:,} tokens paid in full).",
        {"type": "bar", "data": {"labels": labels, "datasets": datasets},
         "options": {"scales": {"x": {"stacked": True,
                                      "title": {"display": True, "text": "request"}},
                                "y": {"stacked": True,
                                      "title": {"display": True, "text": "prompt tokens"}}}}},
        Table(("request", "location", "prompt", "cached", "written", "uncached",
               "observed cached", "divergence"), rows))


def savings_charts(document: Mapping[str, Any]) -> list[ChartSpec | Missing]:
    """What fixing each rule's findings, and each finding, is worth per day and per month at
    the log's traffic rate."""
    cost = document["summary"]["cost"]["current_usd"]
    findings = document["findings"]
    if cost is None:
        return [Missing("Savings", "no request of the log is priced")]
    if not any(finding["estimated_savings_usd"] for finding in findings):
        return [Missing("Savings", "no finding's fix changes what the log costs")]
    days = log_days(document)
    unit = "per day" if days is not None else "over the log"

    def rate(usd: float) -> float:
        return round(usd if days is None else usd / days, 6)

    by_rule: dict[str, list[float]] = {}
    for finding in findings:
        key = f"{finding['code']} {finding['name']}"
        totals = by_rule.setdefault(key, [0.0, 0.0])
        totals[0] += finding["estimated_savings_usd"] or 0.0
        totals[1] += 1
    rules = sorted(by_rule.items(), key=lambda item: -item[1][0])
    rule_rows = tuple(
        (name, f"{int(count)}", dollars(saved), dollars(per_day(saved, days)),
         dollars(None if days is None else saved / days * DAYS_PER_MONTH),
         dollars(rate(cost)), dollars(rate(cost - saved)))
        for name, (saved, count) in rules)
    by_rule_spec = ChartSpec(
        "savings-by-rule", "Savings by rule",
        _savings_note(days) + " Bars: the log's input cost now and after fixing that rule's "
        "findings.",
        {"type": "bar", "data": {"labels": [name for name, _ in rules], "datasets": [
            {"label": f"cost {unit} now", "role": "before",
             "data": [rate(cost) for _ in rules]},
            {"label": f"cost {unit} after the fix", "role": "after",
             "data": [rate(cost - saved) for _, (saved, _) in rules]}]},
         "options": {"indexAxis": "y",
                     "scales": {"x": {"title": {"display": True, "text": f"USD {unit}"}}}}},
        Table(("rule", "findings", "saved over the log", "saved per day", "saved per month",
               "cost per day now" if days else "cost now",
               "cost per day after" if days else "cost after"), rule_rows))
    ranked = sorted(enumerate(findings),
                    key=lambda item: -(item[1]["estimated_savings_usd"] or 0.0))
    ranked = [item for item in ranked if item[1]["estimated_savings_usd"]][:SAVINGS_FINDINGS]
    labels = [f"{finding['code']} {finding['file']}:{finding['line']}" for _, finding in ranked]
    finding_rows = tuple(
        (Link(label, f"#{finding_id(index)}"), dollars(finding["estimated_savings_usd"]),
         dollars(per_day(finding["estimated_savings_usd"], days)),
         dollars(None if days is None
                 else finding["estimated_savings_usd"] / days * DAYS_PER_MONTH))
        for label, (index, finding) in zip(labels, ranked, strict=True))
    by_finding_spec = ChartSpec(
        "savings-by-finding", "Savings by finding",
        _savings_note(days) + (f" The {SAVINGS_FINDINGS} findings worth most."
                               if len(ranked) == SAVINGS_FINDINGS else ""),
        {"type": "bar", "data": {"labels": labels, "datasets": [
            {"label": f"saved {unit}", "role": "saving",
             "data": [rate(finding["estimated_savings_usd"]) for _, finding in ranked],
             "links": [f"#{finding_id(index)}" for index, _ in ranked]}]},
         "options": {"indexAxis": "y",
                     "scales": {"x": {"title": {"display": True, "text": f"USD {unit}"}}}}},
        Table(("finding", "saved over the log", "saved per day", "saved per month"),
              finding_rows))
    return [by_rule_spec, by_finding_spec]


def _savings_note(days: float | None) -> str:
    if days is None:
        return ("The log does not say when its requests were sent (or they were all sent at "
                "once): dollars are for the log as a whole, with no daily rate.")
    return (f"At the log's traffic rate: {span_text(days)} of requests; a month is "
            f"{DAYS_PER_MONTH:g} days.")


def cached_by_model_chart(charts: Mapping[str, Any]) -> ChartSpec | Missing:
    """Predicted against observed cached tokens per model, over requests with usage."""
    models = [row for row in charts["models"] if row["observed_requests"]]
    if not models:
        return Missing("Predicted vs observed cached tokens",
                       "the log carries no provider usage to compare with")
    labels = [row["model"] for row in models]
    return ChartSpec(
        "cached-by-model", "Predicted vs observed cached tokens",
        "Over the requests whose log carries the provider's usage, per model.",
        {"type": "bar", "data": {"labels": labels, "datasets": [
            {"label": "predicted cached", "role": "predicted",
             "data": [row["observed_predicted_cached_tokens"] for row in models]},
            {"label": "observed cached", "role": "observed",
             "data": [row["observed_cached_tokens"] for row in models]}]},
         "options": {"scales": {"y": {"title": {"display": True, "text": "tokens"}}}}},
        Table(("model", "requests with usage", "predicted cached", "observed cached"),
              tuple((row["model"], f"{row['observed_requests']:,}",
                     f"{row['observed_predicted_cached_tokens']:,}",
                     f"{row['observed_cached_tokens']:,}") for row in models)))


def model_totals_chart(charts: Mapping[str, Any]) -> ChartSpec:
    """Prompt tokens (cached and not) and input dollars per model."""
    models = charts["models"]
    labels = [row["model"] for row in models]
    return ChartSpec(
        "by-model", "Tokens and dollars by model",
        "Prompt tokens split as the cache model predicts; input cost on the right axis.",
        {"type": "bar", "data": {"labels": labels, "datasets": [
            {"label": "cached tokens", "role": "cached", "stack": "tokens",
             "data": [row["predicted_cached_tokens"] for row in models]},
            {"label": "uncached tokens", "role": "uncached", "stack": "tokens",
             "data": [row["prompt_tokens"] - row["predicted_cached_tokens"]
                      for row in models]},
            {"label": "input cost (USD)", "role": "dollars", "stack": "dollars",
             "yAxisID": "dollars", "data": [row["cost_usd"] for row in models]}]},
         "options": {"scales": {
             "y": {"stacked": True, "title": {"display": True, "text": "prompt tokens"}},
             "dollars": {"position": "right", "beginAtZero": True,
                         "grid": {"drawOnChartArea": False},
                         "title": {"display": True, "text": "USD"}}}}},
        Table(("model", "requests", "prompt tokens", "predicted cached", "input cost"),
              tuple((row["model"], f"{row['requests']:,}", f"{row['prompt_tokens']:,}",
                     f"{row['predicted_cached_tokens']:,}", dollars(row["cost_usd"]))
                    for row in models)))
