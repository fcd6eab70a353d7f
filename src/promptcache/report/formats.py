"""Every output format, chosen by one enum; each is a pure function of the report."""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping

from promptcache.report.concise_format import render_concise
from promptcache.report.github_format import render_github
from promptcache.report.gitlab_format import render_gitlab
from promptcache.report.json_format import render_json
from promptcache.report.markdown_format import render_markdown
from promptcache.report.model import Report
from promptcache.report.output_format import OutputFormat
from promptcache.report.sarif_format import render_sarif


def render_rich_text(report: Report, width: int = 100) -> str:
    """The terminal report as plain text (no colour), for files and pipes."""
    from rich.console import Console  # only this format needs rich: keep it off the start path

    from promptcache.report.rich_format import render_rich

    buffer = io.StringIO()
    render_rich(report, Console(file=buffer, highlight=False, no_color=True, width=width,
                                color_system=None, emoji=False))
    return buffer.getvalue()


def render_junit(report: Report) -> str:
    """JUnit XML (see :mod:`promptcache.report.junit_format`)."""
    # Imported when asked for: xml.etree and the module cost 2 ms of every run's start-up.
    from promptcache.report.junit_format import render_junit as render

    return render(report)


def render_html(report: Report) -> str:
    """The self-contained HTML report (see :mod:`promptcache.report.html_format`)."""
    # Imported when asked for: the page's modules and Chart.js stay off every other run.
    from promptcache.report.html_format import render_html as render

    return render(report)


RENDERERS: Mapping[OutputFormat, Callable[[Report], str]] = {
    OutputFormat.RICH: render_rich_text,
    OutputFormat.CONCISE: render_concise,
    OutputFormat.JSON: render_json,
    OutputFormat.SARIF: render_sarif,
    OutputFormat.GITHUB: render_github,
    OutputFormat.MARKDOWN: render_markdown,
    OutputFormat.GITLAB: render_gitlab,
    OutputFormat.JUNIT: render_junit,
    OutputFormat.HTML: render_html,
}
"""Every concrete format (all but AUTO) and its renderer."""


def resolve(chosen: OutputFormat, environ: Mapping[str, str], stdout_is_terminal: bool) -> \
        OutputFormat:
    """AUTO becomes github inside GitHub Actions, rich on a terminal, concise otherwise."""
    if chosen is not OutputFormat.AUTO:
        return chosen
    if environ.get("GITHUB_ACTIONS") == "true":
        return OutputFormat.GITHUB
    return OutputFormat.RICH if stdout_is_terminal else OutputFormat.CONCISE
