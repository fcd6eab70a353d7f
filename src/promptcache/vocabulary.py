"""Values a request holds that are the API's own words, not prompt text.

``--no-snippets`` keeps what the prompts say out of a report, but a finding that says the
image detail changed from 'auto' to 'high', or the model from gpt-4o to gpt-4.1, quotes
nothing anyone wrote: those values are the API's vocabulary (image ``detail`` values, roles,
``reasoning_effort`` levels, ``tool_choice`` modes, response format types) or model names
from the catalogue, and stay readable. Any other model name may carry an organization or a
project (``ft:gpt-4o-mini-2024-07-18:my-org::abc123``): :func:`public_model_name` gives the
form a report without prompt text shows.
"""

from __future__ import annotations

import re
from functools import lru_cache

from promptcache.catalog import MODELS

OMITTED = "[omitted]"
"""What replaces a value while prompt text is hidden."""

NO_MODEL = "(none)"
"""promptcache's own name for a request that names no model."""

API_WORDS = frozenset({
    # image detail
    "auto", "low", "high", "original",
    # roles
    "system", "developer", "user", "assistant", "tool", "function",
    # reasoning_effort and verbosity levels
    "none", "minimal", "medium", "xhigh",
    # tool_choice modes
    "required",
    # response_format types
    "text", "json_object", "json_schema",
})
"""Values the API defines for the settings rules compare (lower case)."""

_GATEWAYS = frozenset({row.provider for row in MODELS} | {"azure", "openrouter"})
"""Provider prefixes gateways put before a model name ("openai/gpt-4o")."""

_SNAPSHOT_SUFFIX = re.compile(
    r"(?:-(?:\d{4}-\d{2}-\d{2}|\d{4}|\d{1,3}k|latest|preview|turbo|instruct|chat|audio|search|"
    r"realtime|transcribe|mini|nano|pro|codex|vision))*")
"""What may follow a catalogue prefix in a published model name: a snapshot date
("-2024-07-18", "-0613"), a context size ("-16k") or a variant word ("-mini", "-preview")."""

_FINE_TUNED = re.compile(r"ft:(?P<base>[^:]+):")


def is_api_vocabulary(value: str) -> bool:
    """True for a value the API defines, or a model name from the catalogue."""
    return value.lower() in API_WORDS or is_catalogue_model(value)


@lru_cache(maxsize=1024)  # asked once per excerpt; a log names few models
def is_catalogue_model(name: str) -> bool:
    """True for a published model name the catalogue covers (``gpt-4o-mini-2024-07-18``,
    ``openai/gpt-4o``), not one that only starts like one (``gpt-4o-acme-internal``)."""
    lowered = name.strip().lower()
    gateway, _, rest = lowered.rpartition("/")
    if gateway and gateway not in _GATEWAYS:
        return False
    return any(rest.startswith(row.prefix)
               and _SNAPSHOT_SUFFIX.fullmatch(rest, len(row.prefix)) is not None
               for row in MODELS)


def public_model_name(name: str) -> str:
    """``name`` as a report without prompt text shows it: itself for a catalogue model,
    ``gpt-4o-mini (fine-tuned)`` for a fine-tuned one (without organization and id),
    ``[omitted]`` for any other."""
    if not name or name == NO_MODEL or is_catalogue_model(name):
        return name
    fine_tuned = _FINE_TUNED.match(name)
    if fine_tuned is not None and is_catalogue_model(fine_tuned["base"]):
        return f"{fine_tuned['base']} (fine-tuned)"
    return OMITTED
