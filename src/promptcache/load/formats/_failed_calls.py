"""Calls a tracer logged as failed: told from the SDK exception it recorded.

Tracing libraries (LangSmith's wrappers, Langfuse's OpenAI integration) log a call that
raised as a run or generation with the exception's text and no answer. The OpenAI and
Anthropic SDKs write a refusal's HTTP status first in that text: ``Error code: 429 - {...}``
(openai), ``429 Rate limit reached ...`` (anthropic), possibly inside the exception's repr
(``RateLimitError('Error code: 429 - ...')``). Such a call read and wrote no cache: it is
skipped, and counted, never audited as if answered.
"""

from __future__ import annotations

import re
from typing import Any

from promptcache.load.formats._responses import REFUSED

FAILED = "failed with no answer (a connection error or a timeout)"
"""Why a call that raised with no HTTP status is skipped: the provider may never have seen it,
and nothing tells what it read."""

_STATUS = re.compile(r"^(?:\w+\(['\"])?(?:Error code: )?([1-5]\d\d)\b")


def failure(error: Any) -> str | None:
    """Why a call whose log recorded ``error`` (the exception's text) and no usage is skipped
    (:data:`REFUSED` or :data:`FAILED`); ``None`` when it recorded no error."""
    if not isinstance(error, str) or not error.strip():
        return None
    status = _STATUS.match(error.strip())
    return REFUSED if status and int(status.group(1)) >= 400 else FAILED
