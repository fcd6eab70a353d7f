"""Run the rules over a stream of counted requests and fold their hits into findings.

Requests are grouped into streams: requests that can share a cache (same model, and the same
``prompt_cache_key``, session id or user when the log has them). Each rule sees the current
request and the last few requests of its stream, so memory stays bounded however long the
log is.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict, deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from promptcache.divergence import Divergence, first_divergence
from promptcache.engine.evidence import request_secrets, scrub_divergence, scrub_hit
from promptcache.engine.findings import Finding, Hit, Severity
from promptcache.engine.rule_api import Context, Group, Inherited, Looks, Rule
from promptcache.engine.selectors import rules_named
from promptcache.model import Location, Request
from promptcache.tokens.counting import CountedRequest, PromptCounter
from promptcache.tokens.prefix import Encode, identical_prefix

HISTORY_SIZE = 8
"""Earlier requests of a stream a rule can compare against: the stream's first request,
which sets the canonical form a fix converges on, and the most recent ones."""
LINEAGE_SIZE = 256
"""Latest requests whose place in their stream is kept (see ``Context.lineage``): the
neighbors a rule compares with are the latest few to a model."""
MAX_STREAMS = 10_000
"""Streams kept at once; the least recently active is dropped beyond this."""
STREAM_IDLE_SECONDS = 6 * 3600
"""A stream unused this long (in the log's own time) is forgotten, so memory follows the
traffic of the last hours rather than the length of the log. Its next request, if any, starts
a new history: gaps longer than this are not compared."""


@dataclass(frozen=True, slots=True)
class ActiveRule:
    """A rule as this run uses it: its severity and options after configuration."""

    rule: Rule
    severity: Severity
    options: Mapping[str, Any]


def default_rules(rules: Sequence[Rule]) -> list[ActiveRule]:
    """Every rule at its default severity and options."""
    return [ActiveRule(rule, rule.severity, dict(rule.options)) for rule in rules]


def stream_key(counted: CountedRequest) -> tuple[str, str]:
    """Which requests a rule compares this one with: its session when the log says (cache
    key, session id or user, across models, so a model switch shows), else its model."""
    request = counted.request
    if request.cache_key:
        return ("key", request.cache_key)
    if request.session:
        return ("session", request.session)
    if request.user:
        return ("user", request.user)
    return ("model", request.model)


class _Stream:
    """The requests of one stream a rule may look back at: the first, and the latest few;
    and what the latest shared with earlier requests, for the next to inherit."""

    __slots__ = ("first", "recent", "shared")

    def __init__(self) -> None:
        self.first: CountedRequest | None = None
        self.recent: deque[CountedRequest] = deque(maxlen=HISTORY_SIZE - 1)
        self.shared: Inherited = {}

    def history(self) -> tuple[CountedRequest, ...]:
        if self.first is None or (self.recent and self.recent[0] is self.first):
            return tuple(self.recent)
        return (self.first, *self.recent)

    def last_time(self) -> float | None:
        return self.recent[-1].request.timestamp if self.recent else None

    def remember(self, counted: CountedRequest) -> None:
        if self.first is None:
            self.first = counted
        self.recent.append(counted)


def _unchanged(previous: CountedRequest, current: CountedRequest) -> int:
    """How many leading segments of ``previous`` the current request holds as the same
    objects, counted the same way: where what ``previous`` shared with an earlier request
    holds for the current one too (0 when the encoding differs)."""
    if previous.facts.encoding != current.facts.encoding:
        return 0
    upto = identical_prefix(previous.request.segments, current.request.segments)
    # Anchored counts can differ for the same segments: then nothing is inherited.
    if previous.segment_tokens[:upto] != current.segment_tokens[:upto]:
        return 0
    return upto


def _in_record(hit: Hit, current: CountedRequest) -> str:
    """The hit's path where its record holds it (a body rebuilt from a log's pieces keeps
    some parts elsewhere: see ``Request.relocations``)."""
    # A record may hold several calls (a HAR capture, a trace): the current request first.
    owner = (hit.against if hit.against is not None
             and hit.location != current.request.location
             and hit.location == hit.against.request.location else current)
    return owner.request.in_record(hit.path)


def default_summary(group: Group) -> str:
    """The first hit's message and how many requests show the problem."""
    return f"{group.first.message} (in {group.occurrences} requests)"


def fingerprint(code: str, group: str, file: str) -> str:
    """A finding's identity across runs: its rule, its group and its file."""
    return hashlib.sha256(f"{code}\0{group}\0{file}".encode()).hexdigest()[:32]


@dataclass(slots=True)
class Accumulator:
    """One finding in the making: its first hit (the evidence) and what later hits add.

    ``first_seq`` and ``last_seq`` are the input positions of the first and latest hit, so
    the accumulators of parts of a log audited apart (see :mod:`promptcache.run.partitioned`)
    fold into the one a single pass over the whole log keeps."""

    first: Hit
    occurrences: int = 1
    tokens_at_risk: int = 0
    last: Location | None = None
    measure_min: int = 0
    measure_max: int = 0
    divergence: Divergence | None = None
    first_seq: int = 0
    last_seq: int = 0

    def add(self, hit: Hit, seq: int) -> None:
        self.occurrences += 1
        self.tokens_at_risk += hit.tokens_at_risk
        self.last = hit.location
        self.last_seq = seq
        self.measure_min = min(self.measure_min, hit.measure)
        self.measure_max = max(self.measure_max, hit.measure)

    def merged(self, other: Accumulator) -> Accumulator:
        """This group's hits and ``other``'s (hits of the same group elsewhere in the log)
        as one pass over both would have kept them: the evidence of the earlier first hit,
        the location of the later last one."""
        early = self if self.first_seq <= other.first_seq else other
        last_of = self if self.last_seq >= other.last_seq else other
        return Accumulator(early.first, self.occurrences + other.occurrences,
                           self.tokens_at_risk + other.tokens_at_risk, last_of.last,
                           min(self.measure_min, other.measure_min),
                           max(self.measure_max, other.measure_max), early.divergence,
                           early.first_seq, last_of.last_seq)


@dataclass(frozen=True, slots=True)
class _Silencing:
    """A record's ``promptcache.ignore`` list, resolved."""

    codes: frozenset[str]
    """The rules it silences."""
    unknown: tuple[str, ...]
    """Its entries that name no rule."""


@dataclass(slots=True)
class RuleEngine:
    """Feeds requests to rules and keeps the findings."""

    rules: Sequence[ActiveRule]
    counter: PromptCounter
    lifetime_seconds: float | None = None
    ignored: Callable[[str, str], bool] | None = None
    project_path: Callable[[str], str] | None = None
    """Spells a file for fingerprints, so they hold however the path was typed."""
    catalogue: Sequence[Rule] = ()
    """Every rule a record's ``promptcache.ignore`` may name (default: the rules run)."""
    suppressed_inline: int = 0
    """Hits dropped by the ``promptcache.ignore`` list of the record they are located at."""
    warnings: list[tuple[int, Location, str]] = field(default_factory=list)
    """(input position of the request, where, message) of each entry of a
    ``promptcache.ignore`` list that names no rule."""
    incremental: bool = True
    """Skip each rule where its declared view of the request cannot have changed, and let a
    request inherit the prefixes its stream's previous request shared; off only to check
    that this changes no finding."""
    _silencing: dict[tuple[str, ...], _Silencing] = field(default_factory=dict)
    _streams: OrderedDict[tuple[str, str], _Stream] = field(default_factory=OrderedDict)
    groups: dict[tuple[str, str], Accumulator] = field(default_factory=dict)
    """The findings so far, by (rule code, group), in the order they first showed."""
    _neighbors: dict[str, deque[CountedRequest]] = field(default_factory=dict)
    _lineage: OrderedDict[int, tuple[CountedRequest, CountedRequest, int]] = field(
        default_factory=OrderedDict)
    """The latest requests' places in their streams (see ``Context.lineage``); each entry
    holds its request, so an id here is never a later object's."""
    _fed: int = 0

    def feed(self, counted: CountedRequest, seq: int | None = None) -> list[tuple[str, Hit]]:
        """Check one request against its stream's recent history, then remember it; return
        the (rule code, hit) pairs found on it. ``seq`` is the request's position in the
        whole log (default: how many requests were fed before it)."""
        if seq is None:
            seq = self._fed
        self._fed += 1
        key = stream_key(counted)
        self._forget_idle(counted.request.timestamp)
        stream = self._streams.get(key)
        if stream is None:
            stream = self._streams[key] = _Stream()
            if len(self._streams) > MAX_STREAMS:
                self._streams.popitem(last=False)
        else:
            self._streams.move_to_end(key)
        encode = self.counter.counter_for(counted.facts.encoding).encode
        found: list[tuple[str, Hit]] = []
        earlier = stream.history()
        neighbors = self._neighbors.setdefault(counted.request.model,
                                               deque(maxlen=HISTORY_SIZE))
        lifetime = (self.lifetime_seconds if self.lifetime_seconds is not None
                    else float(counted.facts.cache.lifetime_seconds))
        context = Context(counted, earlier, {}, encode, tuple(neighbors), lifetime)
        incremental = self.incremental
        if incremental and earlier:
            context.inherited, context.inherited_upto = stream.shared, _unchanged(earlier[-1],
                                                                                 counted)
            context.lineage = self._lineage
            self._lineage[id(counted)] = (counted, earlier[-1], context.inherited_upto)
            if len(self._lineage) > LINEAGE_SIZE:
                self._lineage.popitem(last=False)
        if counted.request.inline_ignore:
            self._warn_unknown(counted.request, seq)
        for active in self.rules:
            if (incremental and active.rule.looks_at is Looks.DIVERGENCE
                    and context.extends_previous()):
                continue
            context.options = active.options
            for hit in active.rule.check(context):
                if self.ignored is not None and self.ignored(active.rule.code,
                                                             hit.location.file):
                    continue
                if self._silencing and self._silenced(active.rule.code, hit.location,
                                                      (counted, *earlier)):
                    self.suppressed_inline += 1
                    continue
                self._record(active.rule.code, hit, counted, encode, seq)
                found.append((active.rule.code, hit))
        stream.remember(counted)
        stream.shared = context.shared()
        neighbors.append(counted)
        return found

    def _silencing_list(self, entries: tuple[str, ...]) -> _Silencing:
        """What a ``promptcache.ignore`` list names (worked out once per distinct list: a
        conversation's turns repeat it)."""
        known = self._silencing.get(entries)
        if known is None:
            catalogue = self.catalogue or [active.rule for active in self.rules]
            named = [(entry, rules_named(entry, catalogue)) for entry in entries]
            known = self._silencing[entries] = _Silencing(
                frozenset(rule.code for _, rules in named for rule in rules),
                tuple(entry for entry, rules in named if not rules))
        return known

    def _warn_unknown(self, request: Request, seq: int) -> None:
        for entry in self._silencing_list(request.inline_ignore).unknown:
            self.warnings.append((seq, request.location, (
                f"promptcache.ignore: {entry[:60]!r} names no rule (a code, code prefix, "
                "name or ALL); left out")))

    def _silenced(self, code: str, location: Location,
                  candidates: tuple[CountedRequest, ...]) -> bool:
        """Whether the record a hit is located at (the request checked or one it was compared
        with) silences the hit's rule."""
        for candidate in candidates:
            request = candidate.request
            if request.location == location:
                return bool(request.inline_ignore) and (
                    code in self._silencing_list(request.inline_ignore).codes)
        return False

    def _forget_idle(self, now: float | None) -> None:
        if now is None:
            return
        streams = self._streams
        while streams:
            oldest = next(iter(streams.values()))
            last = oldest.last_time()
            if last is None or now - last <= STREAM_IDLE_SECONDS:
                break
            streams.popitem(last=False)

    def _record(self, code: str, hit: Hit, current: CountedRequest, encode: Encode,
                seq: int) -> None:
        key = (code, hit.group)
        accumulator = self.groups.get(key)
        if accumulator is None:
            divergence = None
            if hit.against is not None:
                divergence = first_divergence(hit.against, current, encode)
            # Keep the evidence, not the requests: a finding outlives the stream's history.
            # Rules cut evidence anywhere, even through a key: remove any piece of the
            # requests' secrets while their whole texts are still at hand.
            secrets = request_secrets((current, hit.against))
            models = {request.request.model for request in (current, hit.against) if request}
            first = scrub_hit(replace(hit, against=None, repair=None,
                                      path=_in_record(hit, current)), secrets, models)
            divergence = scrub_divergence(divergence, secrets)
            if divergence is not None and current.request.relocations:
                divergence = replace(divergence,
                                     path=current.request.in_record(divergence.path))
            self.groups[key] = Accumulator(first, 1, hit.tokens_at_risk, hit.location,
                                           hit.measure, hit.measure, divergence, seq, seq)
        else:
            accumulator.add(hit, seq)

    def findings(self) -> list[Finding]:
        """The findings so far, ordered by rule code, then where they first show."""
        return fold_findings(self.groups, self.rules, self.project_path)


def fold_findings(groups: Mapping[tuple[str, str], Accumulator], rules: Sequence[ActiveRule],
                  project_path: Callable[[str], str] | None) -> list[Finding]:
    """The findings of ``groups`` (see :attr:`RuleEngine.groups`), ordered by rule code, then
    where they first show; ``project_path`` spells a file for fingerprints."""
    by_code = {active.rule.code: active for active in rules}
    findings = []
    for (code, group), accumulator in groups.items():
        active = by_code[code]
        first = accumulator.first
        message = first.message
        if accumulator.occurrences > 1:
            message = (active.rule.summarize or default_summary)(Group(
                first, accumulator.occurrences, accumulator.measure_min,
                accumulator.measure_max))
        findings.append(Finding(
            code=code,
            name=active.rule.name,
            severity=active.severity,
            location=first.location,
            path=first.path,
            message=message,
            fix=first.fix,
            snippet=first.snippet,
            tokens_at_risk=accumulator.tokens_at_risk,
            occurrences=accumulator.occurrences,
            compared_with=first.compared_with,
            last_location=accumulator.last or first.location,
            divergence=accumulator.divergence,
            fingerprint=fingerprint(code, group, project_path(first.location.file)
                                    if project_path is not None else first.location.file),
        ))
    findings.sort(key=lambda f: (f.code, f.location.file, f.location.line, f.path))
    return findings
