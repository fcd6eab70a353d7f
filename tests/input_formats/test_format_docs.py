"""Every input format has its page (how to export the log, the command that audits it, what
it carries and lacks) and a row in the README's table of formats."""

from __future__ import annotations

import pytest

from promptcache.load.formats import all_formats
from tests.conftest import REPO

README = (REPO / "README.md").read_text("utf-8")
NAMES = [fmt.name for fmt in all_formats()]


@pytest.mark.parametrize("name", NAMES)
def test_each_format_has_a_page_with_the_command_that_audits_it(name: str) -> None:
    page = REPO / "docs" / "formats" / f"{name}.md"
    assert page.is_file()
    text = page.read_text("utf-8")
    assert "promptcache audit" in text
    if name != "request":  # told apart from the rest by default, named when forced
        assert f"--input-format {name}" in text


@pytest.mark.parametrize("name", NAMES)
def test_each_format_has_a_row_in_the_readme(name: str) -> None:
    assert f"| `{name}` |" in README
    assert f"(docs/formats/{name}.md)" in README
