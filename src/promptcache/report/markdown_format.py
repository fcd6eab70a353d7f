"""A Markdown summary for a pull-request comment or ``$GITHUB_STEP_SUMMARY``."""

from __future__ import annotations

from promptcache.report.model import Report
from promptcache.report.phrases import accounting, error_location

MAX_ROWS = 50


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def render_markdown(report: Report) -> str:
    """Headline figures, then a table of findings (costliest first)."""
    summary = report.summary
    savings = summary.savings
    counts = dict(summary.findings_by_severity)
    lines = [
        "## promptcache",
        "",
        f"**{len(report.findings)} findings** ({counts.get('error', 0)} errors, "
        f"{counts.get('warning', 0)} warnings, {counts.get('info', 0)} info) in "
        f"{accounting(summary, grouped=True)}.",
        "",
        "| | |",
        "| --- | --- |",
        f"| Prompt tokens | {summary.prompt_tokens:,} |",
        f"| Cache hit rate (predicted) | {savings.hit_rate_predicted:.1%} |",
        f"| With every fix | {savings.hit_rate_after_fixes:.1%} |",
        f"| Input cost | ${savings.cost_usd:,.4f} |",
        f"| Saved by fixing | ${savings.savings_usd:,.4f} |",
        "",
    ]
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
            lines.append(f"\n…and {len(ordered) - MAX_ROWS} more (see the JSON report).")
        lines.append("")
    if report.errors:
        lines.append(f"{len(report.errors)} records could not be read; the first: "
                     f"`{_cell(error_location(report.errors[0]))}` "
                     f"{_cell(report.errors[0].message)}")
        lines.append("")
    lines.append(f"<sub>{savings.price_data}. Cache hits are predictions: provider caches are "
                 "best-effort.</sub>")
    return "\n".join(lines) + "\n"
