"""The log formats promptcache reads, one module each.

Every module here that defines an :class:`~promptcache.load.formats.base.InputFormat`
subclass is a format: :func:`all_formats` finds them, so adding a format is adding its
module (and its tests and docs), nothing else.

Discovery imports every format module at each start (a pre-commit hook pays it on every
commit), so it must not import the rest. It tells a helper module from a format by its name
alone, without importing it:

- a name starting with ``_`` is a helper (``_batches``, ``_sse``);
- ``base``, ``otlp`` and ``embedded`` are what formats share;
- ``<format>_<part>`` is a part of the format module ``<format>`` beside it (``otel_span``
  belongs to ``otel``): name a new format so that its name before an underscore is no other
  module's (``openai_batch`` is a format: there is no ``openai`` module).

A format module, in turn, keeps at its top only what ``recognize()`` needs to turn a foreign
record away, and imports the helpers that read its records inside the functions that read
them: telling a file's format then costs a few milliseconds, not every format's reading code.
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache

from promptcache.load.formats.base import InputFormat

_SHARED = frozenset({"base", "otlp", "embedded"})
"""Modules here that hold no format, only what formats share."""


def format_modules(names: frozenset[str]) -> list[str]:
    """Of the modules named ``names`` (this package's), those that hold a format, by the
    naming rule of this package's docstring."""
    return sorted(name for name in names
                  if not (name in _SHARED or name.startswith("_")
                          or ("_" in name and name.partition("_")[0] in names)))


@cache
def all_formats() -> tuple[type[InputFormat], ...]:
    """Every format, in the order detection tries them (priority, then name)."""
    names = frozenset(module.name for module in pkgutil.iter_modules(__path__))
    found: dict[str, type[InputFormat]] = {}
    for name in format_modules(names):
        module = importlib.import_module(f"{__name__}.{name}")
        # A module's own classes, read from its namespace: ``inspect.getmembers`` would
        # sort and filter every attribute of every module for the same answer.
        for member in vars(module).values():
            if (isinstance(member, type) and issubclass(member, InputFormat)
                    and member.__module__ == module.__name__
                    and not getattr(member, "__abstractmethods__", None)):
                found[member.name] = member
    return tuple(sorted(found.values(), key=lambda fmt: (fmt.priority, fmt.name)))


def format_named(name: str) -> type[InputFormat] | None:
    """The format ``--input-format NAME`` names, or None."""
    return next((fmt for fmt in all_formats() if fmt.name == name), None)


def unknown_format(name: str) -> str:
    """What to say of a format name that names none: the likeliest one meant, else the
    list."""
    from promptcache.suggest import did_you_mean

    names = [fmt.name for fmt in all_formats()]
    return (f"unknown input format {name!r}"
            + (did_you_mean(name, names) or f" (formats: {', '.join(names)})"))
