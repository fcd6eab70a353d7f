"""``promptcache diff --format html``: the diff's explanation and the two requests side by
side, the view each finding of the HTML report opens onto."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from promptcache.report.html.markup import divergence_view, text
from promptcache.report.html.page import html_document


def diff_page(explanation: Sequence[str], earlier: str, later: str,
              divergence: Mapping[str, Any]) -> str:
    """A page holding the diff's ``explanation`` lines and the divergence between the
    requests at ``earlier`` and ``later`` (``file:line``)."""
    lines = "".join(f"<li>{text(line)}</li>" for line in explanation)
    body = (f"<header><h1>promptcache diff</h1><p class=\"muted\"><code>{text(earlier)}</code> "
            f"against <code>{text(later)}</code></p></header><ul>{lines}</ul>"
            f"{divergence_view(earlier, later, divergence)}")
    return html_document("promptcache diff", body)
