"""The HTML report of a 10,000-request log stays within the size budget the README states
(a size, not a timing: the time budget is measured by bench/html_report.py)."""

from __future__ import annotations

import json
from pathlib import Path

from promptcache.cli.main import main
from promptcache.report.html.page import SESSION_ROWS, SIZE_BUDGET_BYTES

from .conftest import REPO
from .html_logs import busy_log


def test_a_ten_thousand_request_logs_report_is_within_the_budget(tmp_path: Path) -> None:
    log = busy_log(tmp_path / "busy.jsonl", requests=10_000)
    page, saved = tmp_path / "busy.html", tmp_path / "busy.json"
    main(["audit", str(log), "--quiet", "--format", "html", "-o", str(page),
          "--output-format", f"json={saved}"])
    report = json.loads(saved.read_text("utf-8"))
    assert report["summary"]["requests_audited"] == 10_000
    assert len(report["sessions"]) == 1_000
    size = page.stat().st_size
    assert size <= SIZE_BUDGET_BYTES, f"{size:,} bytes"
    text = page.read_text("utf-8")
    # Bounded by construction: the sessions table lists the costliest, and says so.
    assert text.count("<tr><td><code>session:busy-") == SESSION_ROWS
    assert f"{1_000 - SESSION_ROWS:,} more sessions not listed" in text


def test_the_readme_states_the_budget() -> None:
    readme = (REPO / "README.md").read_text("utf-8")
    assert f"under {SIZE_BUDGET_BYTES / 1_000_000:g} MB" in readme
