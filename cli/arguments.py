"""Option values the command line checks itself, so a mistake gets one line that says what
would have been right: a choice with "did you mean", a duration, ``FORMAT=PATH``."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from enum import StrEnum
from typing import TypeVar

import typer

from promptcache.report.output_format import OutputFormat
from promptcache.suggest import closest

Choice = TypeVar("Choice", bound=StrEnum)


def choices(enum: type[StrEnum], *, skip: Iterable[StrEnum] = ()) -> list[str]:
    """The values an option accepts, in the enum's order."""
    skipped = set(skip)
    return [member.value for member in enum if member not in skipped]


def choice_metavar(enum: type[StrEnum]) -> str:
    """``[auto|rich|...]`` for the help, as typer shows an enum's choices."""
    return f"[{'|'.join(choices(enum))}]"


def choice_completion(enum: type[StrEnum]) -> Callable[[str], list[str]]:
    """Shell completion of an enum option's values (the parser hides them from typer)."""
    def complete(incomplete: str) -> list[str]:
        return [value for value in choices(enum) if value.startswith(incomplete.lower())]

    return complete


def choice_parser(enum: type[Choice], option: str) -> Callable[[str], Choice]:
    """A typer ``parser`` for ``enum`` (case-insensitive) whose error suggests the nearest
    value: ``'jsn' is not one of 'auto', 'rich', ...; did you mean 'json'?``."""
    def parse(value: str) -> Choice:
        if isinstance(value, enum):  # the default, already converted
            return value
        return enum(_one_of(value, choices(enum), option))

    return parse


def _one_of(value: str, allowed: Sequence[str], option: str) -> str:
    wanted = value.strip().lower()
    if wanted in allowed:
        return wanted
    close = closest(wanted, allowed)
    hint = f"; did you mean {close!r}?" if close is not None else ""
    raise typer.BadParameter(f"{value!r} is not one of {', '.join(map(repr, allowed))}{hint}",
                             param_hint=f"'{option}'")


def duration_parser(option: str) -> Callable[[str], float]:
    """A typer ``parser`` for a duration in seconds (``600``, ``90s``, ``10m``, ``1h30m``)."""
    def parse(value: str) -> float:
        from promptcache.durations import DurationError, parse_duration  # when given only

        try:
            return parse_duration(value)
        except DurationError as error:
            raise typer.BadParameter(str(error), param_hint=f"'{option}'") from None

    return parse


OUTPUT_FORMAT_OPTION = "--output-format"


def output_specs(values: Sequence[str]) -> tuple[tuple[OutputFormat, str], ...]:
    """``--output-format FORMAT=PATH`` values as (format, path); ``-`` is stdout."""
    specs = []
    allowed = choices(OutputFormat, skip=(OutputFormat.AUTO,))
    for value in values:
        name, equals, path = value.partition("=")
        if not equals or not name.strip() or not path:
            raise typer.BadParameter(
                f"{value!r} is not FORMAT=PATH (e.g. sarif=promptcache.sarif, json=-)",
                param_hint=f"'{OUTPUT_FORMAT_OPTION}'")
        specs.append((OutputFormat(_one_of(name, allowed, OUTPUT_FORMAT_OPTION)), path))
    return tuple(specs)
