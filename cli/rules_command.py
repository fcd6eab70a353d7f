"""``promptcache rules`` and ``promptcache rule CODE``."""

from __future__ import annotations

from rich.console import Console
from rich.markdown import Markdown
from rich.table import Table

from promptcache.rules import ALL_RULES, find_rule


def print_rule_list(console: Console) -> None:
    """A table of every rule."""
    table = Table(box=None, header_style="bold")
    table.add_column("code")
    table.add_column("name")
    table.add_column("severity")
    table.add_column("what it detects")
    for rule in ALL_RULES:
        table.add_row(rule.code, rule.name, rule.severity.value, rule.summary)
    console.print(table)


def print_rule_doc(code_or_name: str, console: Console) -> bool:
    """The rule's documentation; False when there is no such rule."""
    rule = find_rule(code_or_name)
    if rule is None:
        return False
    console.print(Markdown(f"# {rule.code} {rule.name}\n\n" + rule.doc.split("\n", 1)[1]))
    return True
