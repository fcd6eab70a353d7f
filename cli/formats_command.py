"""``promptcache formats``: the log formats promptcache reads, and what each carries."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from promptcache.load.formats import all_formats


def print_format_list(console: Console) -> None:
    """A table of every input format, in the order detection tries them."""
    table = Table(box=None, header_style="bold")
    table.add_column("name")
    table.add_column("format")
    table.add_column("what its records carry")
    for fmt in all_formats():
        table.add_row(fmt.name, fmt.title, fmt.carries)
    console.print(table)
