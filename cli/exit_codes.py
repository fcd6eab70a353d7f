"""Exit statuses, documented in the README; CI systems depend on them."""

from enum import IntEnum


class ExitCode(IntEnum):
    """What ``promptcache`` returns."""

    CLEAN = 0
    """No finding at or above the failing severity."""
    FINDINGS = 1
    """At least one finding at or above the failing severity."""
    USAGE = 2
    """The command could not run: bad arguments, a missing or unreadable path, bad config;
    or the audit is incomplete: a damaged file's end was not read."""
    INTERNAL = 3
    """A bug in promptcache; the message asks for a report."""
