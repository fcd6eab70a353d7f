"""The per-request half of the audit over one part of a log: sessions, anchoring on usage,
the rules and the cache replay.

What comes out is one small :class:`Audited` per request (and one :class:`Unaudited` per
record that could not be audited), in input order, each with its position in the whole log
(``seq``): what the tally (:mod:`promptcache.run.tally`) needs to write the report, and
nothing of the request's text, so it can cross processes and machines. A log audited in one
process is one part; a log split by cache scope (:mod:`promptcache.run.partitions`) is several
parts audited apart, whose outcomes merge by ``seq`` into the stream one part would have given
(:mod:`promptcache.run.partitioned`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from promptcache.anchoring import Anchorer, anchored_bounds
from promptcache.cache.replay import Replayed, Replayer
from promptcache.engine.rule_engine import Accumulator, ActiveRule, RuleEngine
from promptcache.estimates import Certainty, described
from promptcache.load.formats.base import Skipped
from promptcache.load.sources import LoadError
from promptcache.model import Estimate, Location, ObservedUsage
from promptcache.rules import ALL_RULES
from promptcache.sessions import SessionId, SessionTracker
from promptcache.tokens.counting import CountedRequest, PromptCounter


@dataclass(slots=True)
class Audited:
    """One request as the tally needs it: its facts, counts, session, hits and verdict."""

    seq: int
    """Position in the whole log (every record read, audited or not, counts)."""
    location: Location
    provider: str
    model: str
    deployment: str
    api: str
    recorded: str
    observed: ObservedUsage | None
    timestamp: float | None
    prompt_tokens: int
    body_prompt_tokens: int
    """The count from the body alone (``prompt_tokens`` may be anchored on usage)."""
    anchored: bool
    cacheable: bool
    known: bool
    """Whether the catalogue knows the model."""
    certainty: Certainty
    estimate_parts: tuple[tuple[str, Estimate | None], ...]
    """(reason, estimate) of each estimated part, for the report's estimate groups."""
    anchoring_note: Estimate | None
    """The anchoring's reason and how far it moved the body's count (None: not anchored)."""
    session: SessionId
    """The session as the part numbered it (inferred labels are renumbered in the tally)."""
    hits: tuple[tuple[str, str, Location], ...]
    """(rule code, group, location) of each hit the rules found on the request."""
    verdict: Replayed | None = None
    """The replay's verdict; None only while the replay holds the request back."""


@dataclass(frozen=True, slots=True)
class Unaudited:
    """A record read but not audited: a load error or a call skipped on purpose."""

    seq: int
    item: LoadError | Skipped


Outcome = Audited | Unaudited


@dataclass(slots=True)
class EngineState:
    """What the rule engine keeps of a part for the report: its findings in the making."""

    groups: dict[tuple[str, str], Accumulator]
    suppressed_inline: int
    warnings: list[tuple[int, Location, str]]
    """(seq, where, message) of each unknown name in a ``promptcache.ignore`` list."""


@dataclass(slots=True)
class PartAuditor:
    """Audits the requests of one part of a log, fed in input order."""

    rules: Sequence[ActiveRule]
    counter: PromptCounter
    lifetime_seconds: float | None = None
    ignored: Callable[[str, str], bool] | None = None
    project_path: Callable[[str], str] | None = None
    engine: RuleEngine = field(init=False)
    replayer: Replayer = field(init=False)
    sessions: SessionTracker = field(init=False)
    anchorer: Anchorer = field(default_factory=Anchorer)
    _waiting: dict[int, Audited] = field(default_factory=dict)
    """Requests the replay holds back, by their index in this part."""
    _ready: dict[int, Outcome] = field(default_factory=dict)
    _fed: int = 0
    _sent: int = 0

    def __post_init__(self) -> None:
        self.engine = RuleEngine(self.rules, self.counter, self.lifetime_seconds, self.ignored,
                                 self.project_path, catalogue=ALL_RULES)
        self.replayer = Replayer(self.counter, self.lifetime_seconds)
        self.sessions = SessionTracker(self.lifetime_seconds)

    def feed(self, seq: int, item: CountedRequest | LoadError | Skipped) -> list[Outcome]:
        """Audit the item at position ``seq`` of the log; return the outcomes now final, in
        input order (the replay works a bounded window behind, in time order)."""
        index = self._fed
        self._fed += 1
        if isinstance(item, LoadError | Skipped):
            self._ready[index] = Unaudited(seq, item)
            return self._release()
        # The session first: a turn is anchored on the usage of the one it extends in it.
        session = self.sessions.assign(item)
        counted = self.anchorer.anchor(item, session.label)
        hits = self.engine.feed(counted, seq)
        fixes = [(code, hit.repair) for code, hit in hits if hit.repair is not None]
        self._waiting[index] = _audited(seq, counted, session, tuple(
            (code, hit.group, hit.location) for code, hit in hits))
        self._take(self.replayer.add(index, counted, fixes, session.label))
        return self._release()

    def finish(self) -> list[Outcome]:
        """The outcomes still held back, once the whole part has been fed."""
        self._take(self.replayer.finish())
        return self._release()

    def audit(self, items: Iterable[tuple[int, CountedRequest | LoadError | Skipped]]
              ) -> Iterator[Outcome]:
        """Feed every (position, item) of the part, then finish: all its outcomes, in input
        order, as they become final."""
        for seq, item in items:
            yield from self.feed(seq, item)
        yield from self.finish()

    def engine_state(self) -> EngineState:
        engine = self.engine
        return EngineState(engine.groups, engine.suppressed_inline, engine.warnings)

    def _take(self, verdicts: list[Replayed]) -> None:
        for verdict in verdicts:
            audited = self._waiting.pop(verdict.row)
            audited.verdict = verdict
            self._ready[verdict.row] = audited

    def _release(self) -> list[Outcome]:
        ready = self._ready
        released = []
        while self._sent in ready:
            released.append(ready.pop(self._sent))
            self._sent += 1
        return released


def _audited(seq: int, counted: CountedRequest, session: SessionId,
             hits: tuple[tuple[str, str, Location], ...]) -> Audited:
    request = counted.request
    certainty, parts = described(counted)
    note = None
    anchoring = counted.anchoring
    if anchoring is not None:
        change = counted.prompt_tokens - anchoring.body_prompt_tokens
        note = Estimate(anchoring.reason, change, change)
        # With its own usage the total is the provider's figure (only its split is an
        # estimate); after an earlier turn's, only the new segments are.
        low, high = anchored_bounds(counted)
        certainty = Certainty((*certainty.reasons, anchoring.reason), low, high)
    return Audited(
        seq=seq, location=request.location, provider=counted.facts.provider,
        model=request.model, deployment=request.deployment, api=request.api,
        recorded=request.recorded, observed=request.observed, timestamp=request.timestamp,
        prompt_tokens=counted.prompt_tokens, body_prompt_tokens=counted.body_prompt_tokens,
        anchored=anchoring is not None, cacheable=counted.cacheable,
        known=counted.facts.known, certainty=certainty, estimate_parts=parts,
        anchoring_note=note, session=session, hits=hits)
