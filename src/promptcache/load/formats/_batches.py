"""What the providers' batch formats share: a batch's results joined to its requests.

A batch is two files: the requests the user sent, each named by a ``custom_id``, and the
results the provider wrote back, in any order, naming the same ``custom_id``. The results
file is read first (:meth:`~promptcache.load.formats.base.InputFormat.reads_first`) and of
each result only what a call needs is kept (:class:`Outcome`: usage, model, id, time, a few
dozen bytes), never the response text; the requests then stream in their own order, each
taking its result. Results left over once every file is read are reported by
:meth:`BatchFormat.finish`: a results file given without its requests file is one error
saying so, not a silent empty audit.

Several batches can be audited at once: results of one ``custom_id`` are taken first in,
first out, so batches whose ids repeat (``request-1``...) pair up when their files are
given in the same order.
"""

from __future__ import annotations

from abc import abstractmethod
from collections import deque
from collections.abc import Iterator, Mapping
from typing import Any, ClassVar, NamedTuple

from promptcache.load.formats.base import InputFormat, LoggedCall, Usage
from promptcache.load.sources import LoadError, RawRecord
from promptcache.load.validator import json_type
from promptcache.model import Location

_NAMED_IN_ERRORS = 3
"""How many left-over ``custom_id`` an error names before it says "and N more"."""


# Named tuples, not dataclasses: this module is the base of two formats, so every start
# imports it to tell formats, and a dataclass costs five times as much to define.
class Outcome(NamedTuple):
    """What a batch's results say of one request."""

    location: Location
    """The result's line."""
    usage: Usage | None
    """The provider's usage; None when the request failed, expired or was canceled."""
    failure: str = ""
    """Why there is no usage, as a JSON path and a reason (``$.error: rate_limit_exceeded``);
    '' when the request succeeded."""
    served_model: str | None = None
    """The model the response names."""
    call_id: str | None = None
    """The response's id (``chatcmpl-...``, ``msg_...``)."""
    timestamp: float | None = None
    """When the response was made (OpenAI's ``created``), the nearest a batch comes to the
    time a request was sent."""


class BatchRequest(NamedTuple):
    """One request of a batch's requests file."""

    custom_id: str
    body: Mapping[str, Any]
    body_path: str
    """Where the body sits in the record (``$.body``, ``$.requests[2].params``)."""
    api: str


def string_field(value: Mapping[str, Any], key: str, path: str = "$") -> str:
    """``value[key]`` when it is a non-empty string; raises :class:`BatchProblem` naming the
    path otherwise."""
    found = value.get(key)
    if isinstance(found, str) and found:
        return found
    problem = ("missing" if key not in value
               else f"expected a non-empty string, found {json_type(found)}")
    raise BatchProblem(f"{path}.{key}: {problem}")


def object_field(value: Mapping[str, Any], key: str, path: str = "$") -> Mapping[str, Any]:
    """``value[key]`` when it is a JSON object; raises :class:`BatchProblem` otherwise."""
    found = value.get(key)
    if isinstance(found, Mapping):
        return found
    problem = "missing" if key not in value else f"expected an object, found {json_type(found)}"
    raise BatchProblem(f"{path}.{key}: {problem}")



def error_line(kind: Any, message: Any) -> str:
    """An error's kind and the first line of its message (``rate_limit_exceeded: Too
    many...``), cut to 200 characters: a provider's message can run for paragraphs."""
    first = str(message or "").strip().splitlines()[:1]
    return ": ".join(str(part) for part in (kind, *first) if part)[:200] or "no details"


class BatchProblem(ValueError):
    """A record of a batch file that cannot be read: its message is a JSON path and what is
    wrong there."""


class BatchFormat(InputFormat):
    """A batch's requests file joined to its results file by ``custom_id``. A subclass says
    which records are results and how to read a result and a requests record."""

    joins_files = True

    requests_file: ClassVar[str]
    """What the file holding the requests is called, for the error when it is missing
    ("the batch's input file")."""

    def __init__(self) -> None:
        self._waiting: dict[str, deque[Outcome]] = {}
        self._results_read: dict[str, int] = {}
        """Results read per results file, to tell a file none of whose results were taken."""
        self._requests_named: dict[str, str] = {}
        """The requests file a results file names (see :meth:`requests_named`), per file."""

    @abstractmethod
    def is_result(self, value: Mapping[str, Any]) -> bool:
        """Whether the record is a line of a results file."""

    @abstractmethod
    def outcome(self, value: Mapping[str, Any], location: Location) -> Outcome:
        """What a results line says; raises :class:`BatchProblem` when it cannot be read."""

    @abstractmethod
    def requests(self, value: Mapping[str, Any]) -> Iterator[BatchRequest | BatchProblem]:
        """The requests a record of the requests file holds (one, or a whole
        ``{"requests": [...]}`` document), a problem for each one that cannot be read."""

    def requests_named(self, value: Mapping[str, Any]) -> str | None:
        """The requests file a results line names, if its format names one."""
        return None

    def reads_first(self, value: Any) -> bool:
        return isinstance(value, Mapping) and self.is_result(value)

    def calls(self, records: Iterator[RawRecord | LoadError]) -> Iterator[LoggedCall | LoadError]:
        for record in records:
            if isinstance(record, LoadError):
                yield record
            elif not isinstance(record.value, Mapping):
                yield LoadError(record.location,
                                f"$: expected a JSON object, found {json_type(record.value)}")
            elif self.is_result(record.value):
                yield from self._keep(record.value, record.location)
            else:
                yield from self._join(record.value, record.location)

    def finish(self) -> Iterator[LoggedCall | LoadError]:
        """One error per results file whose results no request took: all of them (the
        requests file was not given), or some (a request missing from the files given)."""
        left: dict[str, list[tuple[str, Outcome]]] = {}
        for custom_id, outcomes in self._waiting.items():
            for outcome in outcomes:
                left.setdefault(outcome.location.file, []).append((custom_id, outcome))
        for file, unmatched in left.items():
            unmatched.sort(key=lambda item: item[1].location.line)
            first = unmatched[0][1].location
            if len(unmatched) == self._results_read[file]:
                yield LoadError(first, self._requests_missing(file, len(unmatched)))
            else:
                yield LoadError(first, _requests_left_out(unmatched))
        self._waiting.clear()
        self._results_read.clear()

    def _requests_missing(self, file: str, results: int) -> str:
        named = self._requests_named.get(file)
        where = f"{self.requests_file} ({named})" if named else self.requests_file
        return (f"$: {results} batch result(s) and no request: the requests are in "
                f"{where}, which is needed too: promptcache audit --input-format {self.name} "
                f"REQUESTS_FILE {file}")

    def _keep(self, value: Mapping[str, Any], location: Location) -> Iterator[LoadError]:
        try:
            custom_id = string_field(value, "custom_id")
            outcome = self.outcome(value, location)
        except BatchProblem as problem:
            yield LoadError(location, str(problem))
            return
        self._waiting.setdefault(custom_id, deque()).append(outcome)
        self._results_read[location.file] = self._results_read.get(location.file, 0) + 1
        named = self.requests_named(value)
        if named:
            self._requests_named[location.file] = named
        if outcome.failure:
            yield LoadError(location, f"{outcome.failure}: no usage for request {custom_id!r}")

    def _join(self, value: Mapping[str, Any],
              location: Location) -> Iterator[LoggedCall | LoadError]:
        for request in self.requests(value):
            if isinstance(request, BatchProblem):
                yield LoadError(location, str(request))
                continue
            outcome = self._take(request.custom_id)
            if outcome is None:
                yield LoggedCall(location=location, body=request.body,
                                 body_path=request.body_path, api=request.api)
                continue
            model = request.body.get("model")
            yield LoggedCall(
                location=location, body=request.body, body_path=request.body_path,
                api=request.api, usage=outcome.usage, timestamp=outcome.timestamp,
                served_model=outcome.served_model if outcome.served_model != model else None,
                call_id=outcome.call_id)

    def _take(self, custom_id: str) -> Outcome | None:
        waiting = self._waiting.get(custom_id)
        if not waiting:
            return None
        outcome = waiting.popleft()
        if not waiting:
            del self._waiting[custom_id]
        return outcome


def _requests_left_out(unmatched: list[tuple[str, Outcome]]) -> str:
    named = ", ".join(repr(custom_id) for custom_id, _ in unmatched[:_NAMED_IN_ERRORS])
    more = len(unmatched) - _NAMED_IN_ERRORS
    if more > 0:
        named += f" and {more} more"
    return (f"$.custom_id: {len(unmatched)} batch result(s) whose request is in none of the "
            f"files given ({named}): their calls are not audited")
