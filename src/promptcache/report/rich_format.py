"""The terminal report: a summary table, then the findings grouped by rule, then errors."""

from __future__ import annotations

from itertools import groupby

from rich.console import Console
from rich.markup import escape
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from promptcache.engine.findings import Finding, Severity
from promptcache.report.model import Report
from promptcache.report.phrases import (
    CACHE_CALIBRATION_COLUMNS,
    CACHE_CALIBRATION_TITLE,
    base_priced,
    cache_calibration_cells,
    change_note,
    error_location,
    estimate_group,
    lifetime_line,
    not_read,
    nothing_priced,
    plural,
    predicted_rate,
    resolved_model,
    unpriced_note,
    worst_miss,
)
from promptcache.report.sparkline import hit_rate_line

MAX_ERRORS_SHOWN = 20

_STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}


def render_rich(report: Report, console: Console) -> None:
    """Print ``report`` to ``console``."""
    _summary(report, console)
    _token_calibration(report, console)
    _cache_calibration(report, console)
    _sessions(report, console)
    for code, group in groupby(report.findings, key=lambda finding: finding.code):
        # Within a rule, the costliest finding first.
        ordered = sorted(group, key=lambda finding: -(finding.estimated_savings_usd or 0.0))
        _rule_section(code, ordered, console)
    _errors(report, console)


def _summary(report: Report, console: Console) -> None:
    summary = report.summary
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold")
    table.add_column()
    # Every record read is either audited or invalid: all three figures, always.
    table.add_row("Records read", f"{summary.records_read:,}")
    table.add_row("Requests audited", f"{summary.requests_audited:,}")
    table.add_row("Invalid records", f"{summary.invalid_records:,}"
                  + (" (listed below)" if summary.invalid_records else ""))
    if summary.skipped:
        table.add_row("Skipped calls", escape("\n".join(
            f"{count:,} {reason}" for reason, count in summary.skipped)))
    if summary.unread:
        table.add_row("Not read", escape(not_read(summary, grouped=True).removeprefix(
            "not read: ")) + " (damaged: the audit is incomplete)")
    if summary.suppressed_inline:
        table.add_row("Suppressed inline", f"{summary.suppressed_inline:,} findings")
    table.add_row("Prompt tokens", f"{summary.prompt_tokens:,}")
    audited = summary.requests_audited
    share = f" ({summary.requests_cacheable / audited:.1%})" if audited else ""
    table.add_row("Over the cache minimum",
                  f"{summary.requests_cacheable:,} of {plural(audited, 'request', grouped=True)}"
                  f"{share}")
    if summary.estimated_requests:
        table.add_row("Estimated counts", escape("\n".join(
            [f"{plural(summary.estimated_requests, 'request', grouped=True)} counted by "
             "estimate:"] + [estimate_group(group) for group in summary.estimates])))
    if summary.resolved_models:
        table.add_row("Model names", escape("\n".join(
            resolved_model(*names) for names in summary.resolved_models)))
    if summary.unknown_models:
        table.add_row("Unknown models", escape(", ".join(summary.unknown_models))
                      + " (counted with their provider's defaults: see Estimated counts)")
    if summary.observed_requests:
        table.add_row("Observed usage",
                      f"{summary.observed_exact:,} of "
                      f"{plural(summary.observed_requests, 'request', grouped=True)} counted "
                      "exactly as the provider reported")
    _money_rows(report, table)
    table.add_row("Findings", _severity_line(report))
    console.print(Text(f"promptcache {report.version}", style="bold"))
    console.print(table)


def _money_rows(report: Report, table: Table) -> None:
    savings = report.summary.savings
    rates = f"{predicted_rate(savings)} predicted"
    if savings.hit_rate_observed is not None:
        rates += f", {savings.hit_rate_observed:.1%} observed"
    rates += f"; {savings.hit_rate_after_fixes:.1%} with every fix"
    table.add_row("Cache hit rate", rates + " (share of prompt tokens)")
    line = None if report.charts is None else hit_rate_line(report.charts)
    if line is not None:
        table.add_row("Hit rate over time", line)
    summary = report.summary
    if nothing_priced(summary):
        cost = "unpriced: the price data knows none of the models"
    else:
        cost = f"{_usd(savings.cost_usd)} as logged"
        if savings.savings_usd > 0:
            cost += (f", {_usd(savings.cost_after_fixes_usd)} with every fix "
                     f"(saves {_usd(savings.savings_usd)})")
        if savings.unpriced_requests:
            cost += f"; {unpriced_note(summary)}"
    table.add_row("Input cost", escape(cost))
    table.add_row("Cache model", f"prefix replay, {savings.lifetime_note}; providers' caches are "
                  "best-effort, so hits are predictions")
    if savings.lifetime_costs and not nothing_priced(summary):
        table.add_row("Cache lifetime", escape(lifetime_line(savings)))
    table.add_row("Prices", escape("\n".join(
        [savings.price_data] + [base_priced(*names) for names in savings.base_priced])))
    calibration = savings.calibration
    if calibration is not None:
        line = (f"{calibration.exact:,} of {plural(calibration.requests, 'request', grouped=True)}"
                " predicted exactly "
                f"(mean error {calibration.mean_error:+,.1f} tokens)")
        if calibration.by_reason:
            line += "; misses: " + ", ".join(f"{reason} {count:,}"
                                             for reason, count in calibration.by_reason)
        table.add_row("Calibration", line)


def _usd(value: float) -> str:
    return f"${value:,.2f}" if abs(value) >= 1 else f"${value:,.4f}"


def _severity_line(report: Report) -> Text:
    counts = dict(report.summary.findings_by_severity)
    if not any(counts.values()):
        return Text("none", style="green")
    line = Text()
    for severity in sorted(Severity, reverse=True):
        count = counts.get(severity.value, 0)
        if count:
            if line:
                line.append(" · ")
            line.append(plural(count, severity.value, grouped=True), style=_STYLE[severity])
    return line


MAX_SESSIONS_SHOWN = 10


def _token_calibration(report: Report, console: Console) -> None:
    rows = report.summary.token_calibration
    if not rows:
        return
    console.print()
    console.print(Text("Prompt tokens vs the provider's usage (counted minus observed)",
                       style="bold"))
    table = Table(box=None, header_style="bold", padding=(0, 1))
    table.add_column("model", overflow="fold")
    for column in ("requests", "exact", "within 1%", "estimated", "mean error"):
        table.add_column(column, justify="right", no_wrap=True, min_width=len(column))
    table.add_column("worst miss", overflow="fold")
    for row in rows:
        table.add_row(escape(row.model), f"{row.requests:,}", f"{row.exact:,}",
                      f"{row.within_1pct:,}", f"{row.estimated:,}", f"{row.mean_error:+,.2f}",
                      escape(worst_miss(row)))
    console.print(table)
    for seen in report.summary.counting_changes:
        _indented(console, escape(change_note(seen)), 1, "dim")


def _cache_calibration(report: Report, console: Console) -> None:
    rows = report.summary.savings.cache_calibration
    if not rows:
        return
    console.print()
    console.print(Text(CACHE_CALIBRATION_TITLE, style="bold"))
    table = Table(box=None, header_style="bold", padding=(0, 1))
    table.add_column("model", overflow="fold")
    for column in CACHE_CALIBRATION_COLUMNS:
        table.add_column(column, justify="right", no_wrap=True, min_width=len(column))
    for row in rows:
        table.add_row(escape(row.model), *cache_calibration_cells(row))
    console.print(table)


def _sessions(report: Report, console: Console) -> None:
    sessions = report.sessions
    if len(sessions) < 2:
        return
    console.print()
    shown = sorted(sessions, key=lambda row: (-(row.cost_usd or 0.0), -row.prompt_tokens))
    title = f"Sessions ({len(sessions):,}"
    title += f", the {MAX_SESSIONS_SHOWN} costliest)" if len(sessions) > MAX_SESSIONS_SHOWN \
        else ")"
    console.print(Text(title, style="bold"))
    table = Table(box=None, header_style="bold", padding=(0, 1))
    # The session column gives way at narrow widths (its names fold onto more lines, under
    # themselves) so the figures keep their full width.
    table.add_column("session", overflow="fold")
    for column in ("requests", "tokens", "hit rate", "input cost", "hits"):
        table.add_column(column, justify="right", no_wrap=True, min_width=len(column))
    for row in shown[:MAX_SESSIONS_SHOWN]:
        table.add_row(escape(row.session), f"{row.requests:,}", f"{row.prompt_tokens:,}",
                      f"{row.hit_rate:.1%}",
                      "unpriced" if row.cost_usd is None else _usd(row.cost_usd),
                      f"{row.hits:,}")
    console.print(table)


def _rule_section(code: str, findings: list[Finding], console: Console) -> None:
    first = findings[0]
    console.print()
    heading = Text()
    heading.append(f"{code} {first.name}", style="bold")
    heading.append(f"  {plural(len(findings), 'finding', grouped=True)}")
    console.print(heading)
    for finding in findings:
        _finding(finding, console)


def _indented(console: Console, text: Text | str, indent: int, style: str = "") -> None:
    """Print ``text`` ``indent`` columns in, wrapped lines aligned under its first line (not
    back at the left margin, where they would read as a new entry)."""
    body = text if isinstance(text, Text) else Text(text, style=style)
    console.print(Padding(body, (0, 0, 0, indent), expand=False))


def _finding(finding: Finding, console: Console) -> None:
    head = Text()
    head.append(f"{finding.location}", style="bold")
    head.append(f"  {finding.path}  ")
    head.append(finding.severity.value, style=_STYLE[finding.severity])
    _indented(console, head, 2)
    _indented(console, finding.message, 4)
    if finding.snippet:
        _indented(console, f"evidence: {finding.snippet}", 4, "dim")
    details = [f"{finding.tokens_at_risk:,} tokens at risk"]
    if finding.estimated_savings_usd:
        details.append(f"fixing it saves {_usd(finding.estimated_savings_usd)} "
                       f"({finding.estimated_savings_tokens:,} tokens cached)")
    if finding.occurrences > 1:
        details.append(f"{finding.occurrences:,} requests, last at {finding.last_location}")
    _indented(console, " · ".join(details), 4, "dim")
    divergence = finding.divergence
    if divergence is not None:
        _indented(console,
                  f"prefix breaks at {divergence.path or 'the end'}, token "
                  f"{divergence.token_offset:,} (vs {divergence.compared_with}; "
                  f"{divergence.cacheable_tokens:,} cacheable before it, "
                  f"{divergence.tokens_after:,} paid in full after it)", 4, "dim")
        if divergence.before or divergence.after:  # both empty without snippets
            _indented(console, f"before: {divergence.before}", 6, "dim")
            _indented(console, f"after:  {divergence.after}", 6, "dim")
    elif finding.compared_with is not None:
        _indented(console, f"compared with {finding.compared_with}", 4, "dim")
    _indented(console, f"fix: {finding.fix}", 4, "green")


def _errors(report: Report, console: Console) -> None:
    if not report.errors:
        return
    console.print()
    console.print(Text(f"Could not audit ({len(report.errors):,})", style="bold red"))
    for error in report.errors[:MAX_ERRORS_SHOWN]:
        _indented(console, f"{error_location(error)}: {error.message}", 2)
    hidden = len(report.errors) - MAX_ERRORS_SHOWN
    if hidden > 0:
        _indented(console, f"… and {hidden:,} more (all are in --format json)", 2, "dim")
