"""The HTML report: a pure function of the report, by way of its JSON data, so that
``promptcache report REPORT.json`` draws a saved report exactly as the audit would have."""

from __future__ import annotations

from dataclasses import replace

from promptcache.report.html.page import report_page
from promptcache.report.json_format import report_to_dict
from promptcache.report.model import Report


def render_html(report: Report) -> str:
    """The report as one self-contained HTML page. The request rows are left out: the page
    draws the bounded chart section, so its size does not grow with every request."""
    return report_page(report_to_dict(replace(report, requests=())))
