"""``--statistics``: how many findings each rule reported, most frequent first, as in ruff."""

from __future__ import annotations

from promptcache.report.model import Report
from promptcache.report.phrases import accounting


def render_statistics(report: Report) -> str:
    """One line per rule that reported anything (count, code, name, severity), most findings
    first and then by code; a closing line accounting for the records."""
    counts: dict[str, int] = {}
    described: dict[str, tuple[str, str]] = {}
    for finding in report.findings:
        counts[finding.code] = counts.get(finding.code, 0) + 1
        described.setdefault(finding.code, (finding.name, finding.severity.value))
    ranked = sorted(counts, key=lambda code: (-counts[code], code))
    count_width = max((len(str(count)) for count in counts.values()), default=1)
    name_width = max((len(described[code][0]) for code in ranked), default=0)
    lines = [f"{counts[code]:>{count_width}}  {code}  {described[code][0]:<{name_width}}  "
             f"{described[code][1]}" for code in ranked]
    lines.append(accounting(report.summary))
    return "\n".join(lines) + "\n"
