"""The page: one HTML file holding its styles, its script, Chart.js and its data, so it opens
offline and asks nothing of any network (its Content-Security-Policy forbids it)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from functools import cache
from importlib.resources import files
from typing import Any

import orjson

from promptcache.report.html.chart_data import ChartSpec, Missing, chart_specs
from promptcache.report.html.findings_table import findings_section
from promptcache.report.html.markup import data_table, text
from promptcache.report.html.money import DAYS_PER_MONTH, dollars, log_days, per_day
from promptcache.report.phrases import plural

SIZE_BUDGET_BYTES = 1_000_000
"""The most the README promises the HTML report of a 10,000-request log weighs. What grows
with a log is bounded: the chart section (60 buckets, 6 waterfalls of 60 bars), the sessions
table (:data:`SESSION_ROWS`), the errors (:data:`ERROR_ROWS`); findings are grouped per problem.
Chart.js is 212 kB of it."""
SESSION_ROWS = 200
"""Sessions listed in the sessions table, most uncached first: the rest are counted."""
ERROR_ROWS = 50
"""Records that could not be read, listed; the rest are counted."""

POLICY = ("default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
          "img-src data:; base-uri 'none'; form-action 'none'")
"""Nothing may be fetched: scripts and styles only from the page itself."""

_SOURCE_MAP = re.compile(r"\n?//# sourceMappingURL=\S+\s*$")


@cache
def _asset(name: str) -> str:
    return files("promptcache.report.html").joinpath(name).read_text("utf-8")


def chart_library() -> str:
    """Chart.js as vendored, without its source-map comment (a map the page does not ship,
    which developer tools would try to load)."""
    return _SOURCE_MAP.sub("\n", _asset("vendor/chart.umd.min.js"))


def script_json(data: object) -> str:
    """``data`` as JSON safe inside a ``<script>`` element (no ``</script>``, no ``<!--``)."""
    return orjson.dumps(data).decode().replace("<", "\\u003c")


def report_page(document: Mapping[str, Any]) -> str:
    """The HTML report of a JSON report's data."""
    specs = chart_specs(document)
    drawn = [{"id": spec.id, "config": spec.config} for spec in specs
             if isinstance(spec, ChartSpec)]
    summary = document["summary"]
    body = "".join((
        "<header><h1>promptcache report</h1>"
        f'<p class="muted">{text(accounting_line(summary))}; '
        f'{plural(summary["findings"], "finding", grouped=True)}; model facts checked '
        f'{text(summary["catalog_date"])}; promptcache {text(document["promptcache"])}.</p>'
        "</header>",
        _nav(specs),
        _cards(document),
        '<section id="charts"><h2>Charts</h2>',
        "".join(_figure(spec) for spec in specs),
        "</section>",
        '<section id="findings-wrap"><h2>Findings</h2>',
        findings_section(document["findings"]),
        "</section>",
        _sessions(document["sessions"]),
        _errors(document["errors"]),
        '<footer>Written by promptcache. Charts drawn with Chart.js (MIT License, '
        "Chart.js Contributors), included in this file.</footer>",
    ))
    scripts = (f'<script type="application/json" id="promptcache-charts">{script_json(drawn)}'
               f"</script><script>{chart_library()}</script>")
    return html_document("promptcache report", body, scripts)


def html_document(title: str, body: str, scripts: str = "") -> str:
    """A whole page: the policy, the styles, ``body`` and ``scripts`` (then the page's own
    script, which draws whatever charts and findings table the page has)."""
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{POLICY}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="color-scheme" content="light dark">'
        f"<title>{text(title)}</title>"
        f"<style>{_asset('static/style.css')}</style></head>"
        f"<body><main>{body}</main>{scripts}"
        f"<script>{_asset('static/app.js')}</script>"
        "</body></html>\n")


def accounting_line(summary: Mapping[str, Any]) -> str:
    """The accounting every format states (see :func:`promptcache.report.phrases.accounting`),
    worded from a JSON report's summary: ``2 requests audited of 3 records read (1
    invalid)``, with the skipped calls, the damaged files' unread ends and the findings
    suppressed inline."""
    said = f"{summary['invalid_records']:,} invalid"
    skipped = summary["skipped_records"]
    if skipped:
        said += (f", {sum(entry['count'] for entry in skipped):,} skipped: "
                 + "; ".join(f"{entry['reason']} {entry['count']:,}" for entry in skipped))
    phrase = (f"{plural(summary['requests_audited'], 'request', grouped=True)} audited of "
              f"{plural(summary['records_read'], 'record', grouped=True)} read ({said})")
    if summary["unread"]:
        phrase += "; not read: " + ", ".join(
            f"{part['bytes']:,} bytes of {part['file']} from line {part['line']}"
            for part in summary["unread"])
    if summary["findings_suppressed_inline"]:
        phrase += (f"; {plural(summary['findings_suppressed_inline'], 'finding', grouped=True)}"
                   " suppressed inline")
    return phrase


def _nav(specs: Sequence[ChartSpec | Missing]) -> str:
    # The waterfalls share one entry (their titles are session labels, long and many).
    drawn = [spec for spec in specs if isinstance(spec, ChartSpec)]
    entries = [(spec.id, "Session waterfalls" if spec.id == "waterfall-1" else spec.title)
               for spec in drawn if not spec.id.startswith("waterfall-")
               or spec.id == "waterfall-1"]
    links = "".join(f'<li><a href="#{text(anchor)}">{text(title)}</a></li>'
                    for anchor, title in entries)
    return (f'<nav aria-label="Sections"><ul>{links}<li><a href="#findings-wrap">Findings</a>'
            '</li><li><a href="#sessions">Sessions</a></li></ul></nav>')


def _cards(document: Mapping[str, Any]) -> str:
    summary = document["summary"]
    cost = summary["cost"]
    rates = summary["hit_rate"]
    days = log_days(document)
    saved = cost["savings_usd"]
    monthly = (None if saved is None or days is None
               else saved / days * DAYS_PER_MONTH)
    cards = [
        ("requests audited", f"{summary['requests_audited']:,}"),
        ("prompt tokens", f"{summary['prompt_tokens']:,}"),
        ("hit rate, predicted", f"{rates['predicted']:.1%}"),
        ("hit rate, observed",
         "no usage logged" if rates["observed"] is None else f"{rates['observed']:.1%}"),
        ("hit rate after fixes", f"{rates['after_fixes']:.1%}"),
        ("input cost", dollars(cost["current_usd"])),
        ("saved by the fixes", dollars(saved)),
        ("saved per day" if days else "saved per day (no times logged)",
         dollars(None if saved is None else per_day(saved, days))),
        ("saved per month", dollars(monthly)),
        ("findings", f"{summary['findings']:,}"),
    ]
    return '<section class="cards" aria-label="Summary">' + "".join(
        f'<div class="card"><div class="value">{text(value)}</div>'
        f'<div class="label">{text(label)}</div></div>' for label, value in cards) + "</section>"


def _figure(spec: ChartSpec | Missing) -> str:
    if isinstance(spec, Missing):
        return f'<h3>{text(spec.title)}</h3><p class="missing">Not drawn: {text(spec.why)}.</p>'
    return (f'<section class="chart" id="{text(spec.id)}"><h3>{text(spec.title)}</h3>'
            f'<p class="note">{text(spec.note)}</p><div class="figure">'
            f'<div class="chart-box"{_height(spec)}><canvas id="chart-{text(spec.id)}" role="img" '
            f'aria-label="{text(spec.title)}"></canvas></div>'
            f"{data_table(spec.table, spec.title + ': the numbers drawn')}</div></section>")


def _height(spec: ChartSpec) -> str:
    """A bar chart lying on its side grows with its bars (a row each), not a fixed box."""
    if spec.config.get("options", {}).get("indexAxis") != "y":
        return ""
    rows = len(spec.config["data"]["labels"])
    return f' style="height: {min(640, 110 + 44 * rows)}px"'


def _sessions(sessions: Sequence[Mapping[str, Any]]) -> str:
    ranked = sorted(sessions, key=lambda row: -(row["prompt_tokens"]
                                                - row["predicted_cached_tokens"]))
    shown = ranked[:SESSION_ROWS]
    rows = "".join(
        f"<tr><td><code>{text(row['session'])}</code></td><td>{row['requests']:,}</td>"
        f"<td>{row['prompt_tokens']:,}</td><td>{row['hit_rate']:.1%}</td>"
        f"<td>{dollars(row['cost_usd'])}</td><td>{row['hits']:,}</td>"
        f"<td><code>{text(row['first']['file'])}:{row['first']['line']}</code></td></tr>"
        for row in shown)
    more = (f'<p class="note">{len(ranked) - len(shown):,} more sessions not listed '
            "(the JSON report has them all).</p>" if len(ranked) > len(shown) else "")
    return ('<section id="sessions"><h2>Sessions</h2><p class="note">Most uncached prompt '
            'tokens first.</p><div class="table-wrap"><table><thead><tr>'
            '<th scope="col">session</th><th scope="col">requests</th>'
            '<th scope="col">prompt tokens</th><th scope="col">hit rate</th>'
            '<th scope="col">input cost</th><th scope="col">rule hits</th>'
            f'<th scope="col">first request</th></tr></thead><tbody>{rows}</tbody></table>'
            f"</div>{more}</section>")


def _errors(errors: Sequence[Mapping[str, Any]]) -> str:
    if not errors:
        return ""
    shown = errors[:ERROR_ROWS]
    items = "".join(f"<li><code>{text(error['file'])}:{error['line']}</code> "
                    f"{text(error['message'])}</li>" for error in shown)
    more = (f"<p class=\"note\">{len(errors) - len(shown):,} more not listed.</p>"
            if len(errors) > len(shown) else "")
    return (f'<section id="errors"><h2>Not audited</h2><p>{len(errors):,} records or files '
            f"could not be read.</p><ul>{items}</ul>{more}</section>")
