"""What kind of OTLP/JSON export a record is, told from its top-level key alone.

Apart from :mod:`.otlp` (which decodes spans) because format detection asks this of every
file's first records: it must cost no import beyond this module.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def is_trace_export(value: Any) -> bool:
    """Whether a record is an OTLP/JSON trace export (a dict with a ``resourceSpans`` list)."""
    return isinstance(value, Mapping) and isinstance(value.get("resourceSpans"), list)


def is_log_export(value: Any) -> bool:
    """An OTLP/JSON logs export (a dict with a ``resourceLogs`` list)."""
    return isinstance(value, Mapping) and isinstance(value.get("resourceLogs"), list)
