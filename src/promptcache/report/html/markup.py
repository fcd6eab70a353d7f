"""HTML pieces shared by the report and diff pages: escaped text, data tables, the
side-by-side view of a first divergence."""

from __future__ import annotations

from collections.abc import Mapping
from html import escape
from typing import Any

from promptcache.report.html.chart_data import Cell, Link, Table


def text(value: object) -> str:
    """``value`` as HTML text (every ``<``, ``&`` and quote escaped)."""
    return escape(str(value), quote=True)


def cell(value: Cell) -> str:
    """A table cell's content: text, or a link within the page."""
    if isinstance(value, Link):
        return f'<a href="{text(value.href)}">{text(value.text)}</a>'
    return text(value)


def data_table(table: Table, caption: str) -> str:
    """A chart's numbers as an HTML table."""
    head = "".join(f'<th scope="col">{text(header)}</th>' for header in table.headers)
    body = "".join("<tr>" + "".join(f"<td>{cell(value)}</td>" for value in row) + "</tr>"
                   for row in table.rows)
    return (f'<div class="table-wrap"><table><caption>{text(caption)}</caption>'
            f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>")


def location(place: Mapping[str, Any] | None) -> str:
    """``file:line`` of a JSON report location."""
    return "" if place is None else f"{place['file']}:{place['line']}"


def divergence_view(earlier: str, later: str, divergence: Mapping[str, Any]) -> str:
    """Two requests side by side where the later stops sharing the earlier's prefix: the
    JSON path and token offset of the break, and each side's text there highlighted (empty
    when snippets are off: the report then shows where, not what)."""
    path = divergence["path"] or "(none: the later prompt repeats the earlier one)"
    figures = (f"breaks at <code>{text(path)}</code>, token "
               f"{divergence['token_offset']:,}: {divergence['cacheable_tokens']:,} shared "
               f"tokens can come from the cache, {divergence['tokens_after']:,} are paid in "
               "full")
    sides = "".join(
        f'<div class="side"><div class="side-head">{text(title)} <code>{text(where)}</code>'
        f'</div><pre class="snippet">{_marked(value)}</pre></div>'
        for title, where, value in (("earlier", earlier, divergence["before"]),
                                    ("later", later, divergence["after"])))
    return f'<div class="divergence"><p>{figures}</p><div class="sides">{sides}</div></div>'


def _marked(value: str) -> str:
    if not value:
        return '<span class="muted">(text not shown: snippets are off)</span>'
    return f"<mark>{text(value)}</mark>"
