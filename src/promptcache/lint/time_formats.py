"""Which time formats name only the day: a date in the prompt changes once a day, which the
timestamp rule's documentation accepts (round it to what the model needs)."""

from __future__ import annotations

_DAY_DIRECTIVES = frozenset("YyGmBbhdjAauwUWVxCe%")
"""strftime directives that do not change within a day."""


def day_only_format(fmt: str) -> bool:
    """True when the strftime format ``fmt`` has directives and all of them name the day
    or coarser (``%Y-%m-%d``, ``%A %d %B``); False for ``%H:%M``, ``%c``, or no directive."""
    directives = [fmt[index + 1] for index in range(len(fmt) - 1)
                  if fmt[index] == "%" and (index == 0 or fmt[index - 1] != "%")]
    return bool(directives) and all(directive in _DAY_DIRECTIVES for directive in directives)
