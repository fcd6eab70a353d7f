"""A Markdown summary for a pull-request comment or ``$GITHUB_STEP_SUMMARY``."""

from __future__ import annotations

from promptcache.report.model import Report, Summary
from promptcache.report.phrases import (
    CACHE_CALIBRATION_COLUMNS,
    CACHE_CALIBRATION_TITLE,
    accounting,
    cache_calibration_cells,
    change_note,
    error_location,
    estimate_group,
    lifetime_line,
    nothing_priced,
    plural,
    predicted_rate,
    unpriced_note,
    worst_miss,
)

MAX_ROWS = 50


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def render_markdown(report: Report) -> str:
    """Headline figures, then a table of findings (costliest first); an audit with nothing in
    it says so instead of showing empty figures."""
    summary = report.summary
    lines = ["## promptcache", "", _headline(report), ""]
    if summary.requests_audited:
        lines += _figures(summary) + _trust(summary)
    if report.findings:
        lines += ["| Rule | Severity | Where | What | Saves |", "| --- | --- | --- | --- | --- |"]
        ordered = sorted(report.findings,
                         key=lambda finding: -(finding.estimated_savings_usd or 0.0))
        for finding in ordered[:MAX_ROWS]:
            saves = (f"${finding.estimated_savings_usd:,.4f}"
                     if finding.estimated_savings_usd else "")
            lines.append(
                f"| `{finding.code}` {finding.name} | {finding.severity.value} | "
                f"`{_cell(str(finding.location))}` | {_cell(finding.message)} | {saves} |")
        if len(ordered) > MAX_ROWS:
            lines.append(f"\n…and {len(ordered) - MAX_ROWS:,} more (see the JSON report).")
        lines.append("")
    if report.errors:
        lines.append(f"{plural(len(report.errors), 'record', grouped=True)} could not be read; "
                     f"the first: `{_cell(error_location(report.errors[0]))}` "
                     f"{_cell(report.errors[0].message)}")
        lines.append("")
    if summary.requests_audited:
        lines.append(f"<sub>{summary.savings.price_data}. Cache hits are predictions: provider "
                     "caches are best-effort.</sub>")
    return "\n".join(lines).rstrip("\n") + "\n"


def _headline(report: Report) -> str:
    summary = report.summary
    if not summary.requests_audited:
        return (f"Nothing was audited: {accounting(summary, grouped=True)}, so there are no "
                "findings and no figures.")
    if not report.findings:
        return f"No findings in {accounting(summary, grouped=True)}."
    counts = dict(summary.findings_by_severity)
    by_severity = ", ".join(plural(counts.get(severity, 0), severity, grouped=True)
                            if severity != "info" else f"{counts.get(severity, 0):,} info"
                            for severity in ("error", "warning", "info"))
    return (f"**{plural(len(report.findings), 'finding', grouped=True)}** ({by_severity}) in "
            f"{accounting(summary, grouped=True)}.")


def _trust(summary: Summary) -> list[str]:
    """How far to trust the figures: counts made by estimate, and counts against usage."""
    lines: list[str] = []
    if summary.estimated_requests:
        lines.append(f"{plural(summary.estimated_requests, 'request', grouped=True)} counted "
                     "by estimate:")
        lines += [f"- {_cell(estimate_group(group))}" for group in summary.estimates]
        lines.append("")
    if summary.token_calibration:
        lines += ["Prompt tokens vs the provider's usage (counted minus observed):", "",
                  "| Model | Requests | Exact | Within 1% | Estimated | Mean error | Worst miss |",
                  "| --- | ---: | ---: | ---: | ---: | ---: | --- |"]
        lines += [f"| `{_cell(row.model)}` | {row.requests:,} | {row.exact:,} | "
                  f"{row.within_1pct:,} | {row.estimated:,} | {row.mean_error:+,.2f} | "
                  f"`{_cell(worst_miss(row))}` |"
                  for row in summary.token_calibration]
        lines.append("")
        lines += [f"{_cell(change_note(seen))}.\n" for seen in summary.counting_changes]
    cache_rows = summary.savings.cache_calibration
    if cache_rows:
        lines += [f"{CACHE_CALIBRATION_TITLE}:", "",
                  "| Model | " + " | ".join(column.capitalize()
                                            for column in CACHE_CALIBRATION_COLUMNS) + " |",
                  "| --- |" + " ---: |" * len(CACHE_CALIBRATION_COLUMNS)]
        lines += ["| " + " | ".join((f"`{_cell(row.model)}`", *cache_calibration_cells(row)))
                  + " |" for row in cache_rows]
        lines.append("")
    return lines


def _figures(summary: Summary) -> list[str]:
    savings = summary.savings
    if nothing_priced(summary):
        cost, saved = "unpriced", "unpriced"
    else:
        cost, saved = f"${savings.cost_usd:,.4f}", f"${savings.savings_usd:,.4f}"
    lines = [
        "| | |",
        "| --- | --- |",
        f"| Prompt tokens | {summary.prompt_tokens:,} |",
        f"| Cache hit rate (predicted) | {predicted_rate(savings)} |",
        f"| With every fix | {savings.hit_rate_after_fixes:.1%} |",
        f"| Input cost | {cost} |",
        f"| Saved by fixing | {saved} |",
        "",
    ]
    if savings.lifetime_costs and not nothing_priced(summary):
        lines[-1:-1] = [f"| Cache lifetime | {_cell(lifetime_line(savings))} |"]
    note = unpriced_note(summary)
    if note and not nothing_priced(summary):
        lines[-1:-1] = ["", f"Dollar {note}."]
    return lines
