"""The log formats promptcache reads, one module each.

Every module here that defines an :class:`~promptcache.load.formats.base.InputFormat`
subclass is a format: :func:`all_formats` finds them, so adding a format is adding its
module (and its tests and docs), nothing else.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from functools import cache

from promptcache.load.formats.base import InputFormat

_HELPERS = frozenset({"base", "otlp", "embedded"})
"""Modules here that hold no format, only what formats share."""


@cache
def all_formats() -> tuple[type[InputFormat], ...]:
    """Every format, in the order detection tries them (priority, then name)."""
    found: dict[str, type[InputFormat]] = {}
    for module_info in pkgutil.iter_modules(__path__):
        if module_info.name in _HELPERS or module_info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{module_info.name}")
        for _, member in inspect.getmembers(module, inspect.isclass):
            if (issubclass(member, InputFormat) and member is not InputFormat
                    and not inspect.isabstract(member) and member.__module__ == module.__name__):
                found[member.name] = member
    return tuple(sorted(found.values(), key=lambda fmt: (fmt.priority, fmt.name)))


def format_named(name: str) -> type[InputFormat] | None:
    """The format ``--input-format NAME`` names, or None."""
    return next((fmt for fmt in all_formats() if fmt.name == name), None)
