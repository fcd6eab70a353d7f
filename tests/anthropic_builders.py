"""Anthropic Messages requests built directly as segments, for rule tests.

The segments follow the contract the normalizer keeps (``promptcache.model``): tools, then
system blocks, then each message as a frame followed by one segment per content block, each
block's ``cache_control`` ttl as its ``breakpoint``. :func:`words` makes text of a known
length: each word is one token in the encoding Claude rows count with.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from promptcache.engine.findings import Finding, Hit, Repair
from promptcache.engine.rule_api import Rule
from promptcache.engine.rule_engine import RuleEngine, default_rules
from promptcache.model import Location, ObservedUsage, Request, Segment, SegmentKind
from promptcache.tokens.counting import CountedRequest, PromptCounter

MODEL = "claude-sonnet-4-5"
"""A Claude model whose minimum cacheable prefix is 1,024 tokens."""

LOG = "anthropic.jsonl"


def words(count: int, topic: str = "policy") -> str:
    """``count`` tokens of text: ``topic`` (one common English word) then common words, each
    one token with its leading space; the same for the same arguments."""
    vocabulary = ("the", "and", "to", "of", "in", "is", "for", "on")
    return " ".join([topic, *(vocabulary[index % len(vocabulary)]
                              for index in range(count - 1))])


@dataclass(frozen=True, slots=True)
class Block:
    """One content block: its text and, if any, its ``cache_control`` ttl."""

    text: str
    ttl: str = ""
    kind: SegmentKind = SegmentKind.TEXT


@dataclass(frozen=True, slots=True)
class Body:
    """An Anthropic request body, as segments."""

    system: Sequence[Block] = ()
    messages: Sequence[tuple[str, Sequence[Block]]] = ()
    tools: Sequence[Block] = ()
    settings: Mapping[str, Any] = field(default_factory=dict)
    model: str = MODEL

    def request(self, line: int, timestamp: float | None = None,
                session: str | None = None, cache_key: str | None = None,
                observed: ObservedUsage | None = None) -> Request:
        """The body as the normalizer would hand it over, at ``line`` of the log."""
        segments: list[Segment] = []
        for index, tool in enumerate(self.tools):
            segments.append(Segment(SegmentKind.TOOL, f"$.tools[{index}]", tool.text,
                                    key=f"tool{index}", breakpoint=tool.ttl))
        for index, block in enumerate(self.system):
            segments.append(Segment(block.kind, f"$.system[{index}]", block.text,
                                    role="system", breakpoint=block.ttl))
        for number, (role, blocks) in enumerate(self.messages):
            segments.append(Segment(SegmentKind.MESSAGE_FRAME, f"$.messages[{number}]", "",
                                    fixed_tokens=3, role=role))
            for index, block in enumerate(blocks):
                segments.append(Segment(block.kind, f"$.messages[{number}].content[{index}]",
                                        block.text, role=role, breakpoint=block.ttl))
        automatic = self.settings.get("cache_control")
        if isinstance(automatic, dict):
            _mark_last_block(segments, str(automatic.get("ttl") or "5m"))
        settings = {name: json.dumps(value) for name, value in self.settings.items()}
        return Request(Location(LOG, line), "anthropic.messages", self.model, tuple(segments),
                       timestamp=timestamp, cache_key=cache_key, session=session,
                       observed=observed, settings=settings)


def _mark_last_block(segments: list[Segment], ttl: str) -> None:
    """Automatic caching as the normalizer applies it: the last block gets the breakpoint,
    unless it has its own."""
    last = max(index for index, segment in enumerate(segments)
               if segment.kind is not SegmentKind.MESSAGE_FRAME)
    if not segments[last].breakpoint:
        segments[last] = replace(segments[last], breakpoint=ttl)


def audit(requests: Sequence[Request], rules: Sequence[Rule]) -> list[Finding]:
    """Count ``requests`` and feed them, in order, to an engine running ``rules``."""
    counter = PromptCounter()
    engine = RuleEngine(default_rules(rules), counter)
    for request in requests:
        engine.feed(counter.count(request))
    return engine.findings()


def hits(requests: Sequence[Request], rule: Rule) -> list[Hit]:
    """The hits ``rule`` finds on ``requests``, fed in order."""
    counter = PromptCounter()
    engine = RuleEngine(default_rules([rule]), counter)
    return [hit for request in requests for _, hit in engine.feed(counter.count(request))]


def repaired(request: Request, repair: Repair | None) -> Request:
    """``request`` with a hit's fix applied (segment replacements only)."""
    assert repair is not None, "the hit carries no fix"
    segments = list(request.segments)
    for index, segment in repair.replace:
        segments[index] = segment
    return request.with_segments(tuple(segments))


def counted(request: Request) -> CountedRequest:
    """``request`` counted on its own."""
    return PromptCounter().count(request)
