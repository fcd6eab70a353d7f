"""Fewer runs of CPython's cycle collector while an audit runs.

An audit allocates a few hundred container objects per request (the decoded body, its
segments, the rules' evidence) and frees nearly all of them by reference counting as soon as
the request has passed: the pipeline makes next to no reference cycles. CPython's default
thresholds (700, 10, 10) still run a young collection every 700 net allocations and, as the
rows, sessions and cache entries the audit keeps grow, full collections that walk every one
of them: on the 250 MB agent log, 1,362 young, 123 middle and 11 full collections in one
process, about a ninth of the audit's time (``python bench/collector.py LOG``, which runs the
audit both ways in one run and compares the reports). With a young threshold of 200,000,
as mypy runs its builds (``mypy/build.py``: "otherwise we can spend a large fraction of cpu
in gc"), the same log takes 59, 5 and no full collection, and peak memory does not move:
what the collector would have found is the little cyclic garbage the run makes, freed a few
hundred requests later.

The thresholds are the process's, so :func:`fewer_collections` puts back what it found when
the audit ends (an audit called from Python leaves its caller's settings alone); the reader
process forked inside it inherits them.
"""

from __future__ import annotations

import gc
import platform
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Final

AUDIT_THRESHOLDS: Final = (200_000, 30, 30)
"""The collector's thresholds during an audit (young, middle, old generation)."""


@contextmanager
def fewer_collections() -> Iterator[None]:
    """Within the block, run the cycle collector at :data:`AUDIT_THRESHOLDS` (CPython only:
    other interpreters collect differently); the thresholds found are restored after."""
    if platform.python_implementation() != "CPython":
        yield
        return
    found = gc.get_threshold()
    gc.set_threshold(*AUDIT_THRESHOLDS)
    try:
        yield
    finally:
        gc.set_threshold(*found)
