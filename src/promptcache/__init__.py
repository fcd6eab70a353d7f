"""promptcache: audit LLM request logs for prompt-cache misses.

As a library: ``promptcache.audit(paths, ...)`` returns the report model
(:class:`promptcache.report.model.Report`) and ``promptcache.to_dict(report)`` its JSON
document; see :mod:`promptcache.run.library`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

# A literal, not importlib.metadata: reading installed metadata costs 50 ms at every start.
__version__ = "0.1.0"

__all__ = ["AuditError", "__version__", "audit", "to_dict"]

if TYPE_CHECKING:
    from promptcache.run.library import AuditError, audit, to_dict


def __getattr__(name: str) -> Any:
    # The library API is loaded on first use: the command line imports this package at every
    # start and needs none of it.
    if name in ("audit", "to_dict", "AuditError"):
        from promptcache.run import library

        return getattr(library, name)
    raise AttributeError(f"module 'promptcache' has no attribute {name!r}")
