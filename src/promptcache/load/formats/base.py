"""The contract every input format keeps: recognize its records, and turn them into calls.

A log written by a gateway or a tracing library wraps each request body in its own record
(LiteLLM's standard logging payload, an OpenTelemetry span, a HAR entry...). One module of
:mod:`promptcache.load.formats` reads one such format: it says whether a record is its own
(and why not, when it is not), and extracts from each record a :class:`LoggedCall`: the
request body as the provider received it (or as near as the log has it), where it came
from, the provider's usage in one meaning (:class:`Usage`), and what the record lacks.

Adding a format is adding a module with one :class:`InputFormat` subclass: the package finds
it (see :func:`promptcache.load.formats.all_formats`); nothing else changes.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from promptcache.load.sources import LoadError, RawRecord
from promptcache.model import Location

CHAT = "openai.chat"
"""OpenAI Chat Completions (``/v1/chat/completions``)."""
RESPONSES = "openai.responses"
"""OpenAI Responses (``/v1/responses``)."""
MESSAGES = "anthropic.messages"
"""Anthropic Messages (``/v1/messages``)."""


@dataclass(frozen=True, slots=True)
class Usage:
    """The provider's usage for one call, in one meaning whatever the log's own.

    ``input_tokens`` counts every prompt token, cache reads and writes included: OpenAI's
    ``prompt_tokens`` / ``input_tokens``. Anthropic's ``input_tokens`` excludes both (add
    ``cache_read_input_tokens`` and ``cache_creation_input_tokens``); Langfuse's ``input``
    excludes cache reads (add them back). Each format converts once, here."""

    input_tokens: int
    """Every prompt token of the call."""
    cache_read_tokens: int = 0
    """Prompt tokens served from the cache (a part of ``input_tokens``)."""
    cache_write_tokens: int | None = None
    """Prompt tokens written to the cache (Anthropic); None when the log does not say."""
    cache_write_1h_tokens: int | None = None
    """Of ``cache_write_tokens``, those written with the 1-hour lifetime (Anthropic's
    ``cache_creation.ephemeral_1h_input_tokens``); None when the log does not say."""


@dataclass(frozen=True, slots=True)
class LoggedCall:
    """One call to a provider, as a log recorded it."""

    location: Location
    """The record it came from."""
    body: Mapping[str, Any]
    """The request body: the JSON the provider received, rebuilt where the log keeps it in
    pieces (a span's attributes) and missing what the log did not keep (see ``missing``)."""
    body_path: str = "$"
    """Where the body sits in the record, as a JSON path, so problems and findings point
    into the record (``$.request``, ``$.log.entries[3].request.postData.text``)."""
    api: str = ""
    """:data:`CHAT`, :data:`RESPONSES` or :data:`MESSAGES`; '' to decide from the body."""
    usage: Usage | None = None
    """The provider's usage, when the log recorded the response."""
    timestamp: float | None = None
    """Seconds since the epoch when the call was sent."""
    session: str | None = None
    """A session, conversation or trace id grouping the calls of one agent run."""
    user: str | None = None
    """The end user the call was made for, when the log says so outside the body (the
    body's own ``user`` / ``metadata.user_id`` is read from the body)."""
    scope: str | None = None
    """What else decides which cache the call can hit (an API key's hash, a project id)."""
    served_model: str | None = None
    """The model the response names, when it differs from the request's (an alias, an Azure
    deployment)."""
    missing: tuple[str, ...] = ()
    """What the record lacks that the provider counted, each as a short phrase ("tool
    definitions not logged", "content truncated by LiteLLM"): the call's count is then a
    lower bound, reported as partial, never as complete."""
    inline_ignore: tuple[str, ...] = ()
    """Rules the record silences for itself (promptcache's own ``promptcache.ignore``)."""
    recorded: str = ""
    """The ISO date the record was logged, when the format says only that."""
    call_id: str | None = None
    """The provider's response id or the log's own id for the call: two records of one call
    (a span and the SDK's own span, a post and its patch) share it."""
    relocations: tuple[tuple[str, str], ...] = ()
    """Where parts of ``body`` sit in the record when not at ``body_path`` + their key, as
    (the body's path, the record's): see :attr:`promptcache.model.Request.relocations`.
    ``$.timestamp`` names the send time's field."""


@dataclass(frozen=True, slots=True)
class Skipped:
    """A record of a call to a provider that is deliberately not audited, and why: answered
    by a gateway's own cache (the provider never saw it), refused by the provider, or no
    prompt to cache (an embedding). Reported as counted, so no call is dropped silently.
    Records that are no call at all (a page load in a HAR capture, a parent span) are not
    skipped calls: they yield nothing."""

    location: Location
    reason: str
    """Short and the same for every such record ("answered by LiteLLM's cache"): the report
    counts records by reason."""


@dataclass(frozen=True, slots=True)
class Recognition:
    """Whether a record is a format's own; when not, why (shown when no format reads a
    file: "LiteLLM: no 'standard_logging_object' fields")."""

    matches: bool
    reason: str = ""


RECOGNIZED = Recognition(True)


def not_recognized(reason: str) -> Recognition:
    """A record that is not the format's own, and why."""
    return Recognition(False, reason)


class InputFormat(ABC):
    """One log format. An instance reads one audit's files: it may keep state across them
    (a batch's outputs joined to its inputs)."""

    name: ClassVar[str]
    """The name ``--input-format`` takes (``litellm``, ``otel``, ``har``...)."""
    title: ClassVar[str]
    """What ``promptcache formats`` calls it ("LiteLLM standard logging payload")."""
    carries: ClassVar[str]
    """One line: what its records carry and what they lack, for ``promptcache formats``."""
    joins_files: ClassVar[bool] = False
    """Whether a call may be made of records in different files (a batch's requests and
    results, a span and its events): such files are read together, never one apart."""
    priority: ClassVar[int] = 100
    """Detection tries formats in increasing priority: a format whose records are also
    valid records of another (a span inside a Langfuse export) goes first."""

    @abstractmethod
    def recognize(self, value: Any) -> Recognition:
        """Whether the decoded record ``value`` is this format's."""

    @abstractmethod
    def calls(self, records: Iterator[RawRecord | LoadError],
              ) -> Iterator[LoggedCall | LoadError | Skipped]:
        """The calls in one file's records, in the order they were made as far as the file
        tells. Load errors pass through in place; a record that is not a call (a parent
        span, a log's header) yields nothing; a call deliberately not audited yields a
        :class:`Skipped`; a record this format should read but cannot yields a
        :class:`LoadError` naming its location, the JSON path and the problem."""

    def reads_first(self, value: Any) -> bool:
        """Whether the file that starts with ``value`` must be read before the others of its
        format (a batch output, whose usage the input's requests are joined to)."""
        return False

    def finish(self) -> Iterator[LoggedCall | LoadError | Skipped]:
        """What is left once every file is read (inputs no output joined); nothing by
        default."""
        return iter(())
