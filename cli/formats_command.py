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


def print_told_formats(paths: list[str], console: Console) -> bool:
    """Each file and the format that reads it (as ``audit`` tells it); False when a file is
    read by none (its line then says why)."""
    from promptcache.load.calls import tell_format
    from promptcache.redaction import redact

    every_one_known = True
    for path in paths:
        told = tell_format(path)
        if isinstance(told, str):
            console.print(f"{redact(path)}: {told}", markup=False, highlight=False)
        else:
            every_one_known = False
            console.print(f"{redact(path)}:{told.location.line}: {told.message}", markup=False,
                          highlight=False, soft_wrap=True)
    return every_one_known
