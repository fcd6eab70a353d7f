"""The findings as a table the page can sort and filter, each row opening onto its
evidence."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from promptcache.report.html.chart_data import finding_id
from promptcache.report.html.markup import divergence_view, location, text
from promptcache.report.html.money import dollars

_SEVERITY_RANK = {"error": 3, "warning": 2, "info": 1}
"""Sort keys for the severity column, most severe highest."""


def findings_section(findings: Sequence[Mapping[str, Any]]) -> str:
    """The findings table, or a line saying there are none."""
    if not findings:
        return "<p>No findings.</p>"
    severities = sorted({finding["severity"] for finding in findings},
                        key=lambda name: -_SEVERITY_RANK.get(name, 0))
    options = "".join(f'<option value="{text(name)}">{text(name)}</option>'
                      for name in severities)
    controls = (
        '<div class="controls" role="search">'
        '<label>Filter <input type="search" id="finding-filter" '
        'placeholder="rule, file, message"></label>'
        '<label>Severity <select id="severity-filter"><option value="">all</option>'
        f"{options}</select></label>"
        '<span id="finding-count" aria-live="polite"></span></div>')
    head = "".join(
        f'<th scope="col" data-sort="{kind}"><button type="button">{text(title)}</button></th>'
        for title, kind in (("#", "number"), ("rule", "text"), ("severity", "number"),
                            ("saved (USD)", "number"), ("requests", "number"),
                            ("where", "text")))
    rows = "".join(_row(index, finding) for index, finding in enumerate(findings))
    return (f'{controls}<div class="table-wrap"><table id="findings">'
            f"<thead><tr>{head}</tr></thead>{rows}</table></div>")


def _row(index: int, finding: Mapping[str, Any]) -> str:
    anchor = finding_id(index)
    saved = finding["estimated_savings_usd"]
    where = location(finding)
    search = " ".join((finding["code"], finding["name"], where, finding["message"])).lower()
    cells = (
        f'<td data-value="{index + 1}"><a href="#{anchor}">{index + 1}</a></td>'
        f'<td><code>{text(finding["code"])}</code> {text(finding["name"])}</td>'
        f'<td data-value="{_SEVERITY_RANK.get(finding["severity"], 0)}">'
        f'<span class="severity {text(finding["severity"])}">{text(finding["severity"])}'
        "</span></td>"
        f'<td data-value="{saved or 0}">{dollars(saved)}</td>'
        f'<td data-value="{finding["occurrences"]}">{finding["occurrences"]:,}</td>'
        f"<td><code>{text(where)}</code></td>")
    # One tbody per finding: sorting moves the row and its evidence together.
    return (f'<tbody class="finding" id="{anchor}" data-severity="{text(finding["severity"])}" '
            f'data-search="{text(search)}"><tr class="summary-row">{cells}</tr>'
            f'<tr class="evidence-row"><td colspan="6"><details><summary>Evidence: '
            f"{text(finding['message'])}</summary>{_evidence(finding)}</details></td></tr>"
            "</tbody>")


def _evidence(finding: Mapping[str, Any]) -> str:
    parts = [f"<p><strong>Fix:</strong> {text(finding['fix'])}</p>"]
    parts.append(f"<p>At <code>{text(finding['path'])}</code>; "
                 f"{finding['tokens_at_risk']:,} tokens at risk; last seen "
                 f"<code>{text(location(finding['last']))}</code>.</p>")
    if finding["snippet"]:
        parts.append(f'<pre class="snippet">{text(finding["snippet"])}</pre>')
    divergence = finding["divergence"]
    if divergence is not None:
        parts.append(divergence_view(location(divergence["compared_with"]), location(finding),
                                     divergence))
    return "".join(parts)
