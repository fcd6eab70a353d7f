"""How far a log splits into cache scopes: the bound on what partitioning by scope can gain.

    python bench/partitions.py LOG [LOG ...]

Requests that can share a provider cache must be audited together (the replay simulates one
cache; the rules compare a request with the earlier ones it could have shared a prefix
with). This script counts, for each log, the partitions under two keys and the largest
partition's share of the requests, which bounds the speed-up of auditing partitions on
separate cores (Amdahl: the audit cannot finish before its largest partition):

- **cache scope**: provider, model, ``prompt_cache_key`` and a hash of the prompt's first
  1,024 tokens (the least two prompts must share for either provider to serve a cached
  prefix: OpenAI's minimum, and the smallest Claude minimum). A prompt shorter than that
  can share nothing and is a partition of its own;
- **rule streams**: what the rules compare today: the requests of a model, joined with the
  requests of a cache key, session id or user that spans models (``engine/rule_engine.py``
  ``stream_key``; a rule's ``neighbors`` are the model's recent requests from any stream).

Each log is read, normalized and counted as the audit does (no rules, no replay).
"""

from __future__ import annotations

import argparse
import hashlib
from collections import Counter
from dataclasses import dataclass

from promptcache.cache.blocks import token_stream
from promptcache.load.records import read_requests
from promptcache.model import Request
from promptcache.tokens.counting import CountedRequest, PromptCounter

SHARED_MINIMUM = 1024
"""Tokens two prompts must share before any of it can be served from a cache."""


@dataclass(frozen=True, slots=True)
class Split:
    """How one log divides under one key."""

    requests: int
    partitions: int
    largest: int

    @property
    def bound(self) -> float:
        """The most partitioning can speed the audit up (requests / largest partition)."""
        return self.requests / self.largest if self.largest else 1.0

    def row(self, name: str, key: str) -> str:
        share = self.largest / self.requests if self.requests else 0.0
        return (f"| {name} | {key} | {self.requests:,} | {self.partitions:,} | "
                f"{self.largest:,} ({share:.0%}) | x{self.bound:.2f} |")


def scope_key(counted: CountedRequest, counter: PromptCounter, position: int) -> object:
    """The cache scope: requests with different keys can never read each other's prefix."""
    request = counted.request
    if counted.prompt_tokens < SHARED_MINIMUM:
        return ("short", position)
    encode = counter.counter_for(counted.facts.encoding).encode
    head = token_stream(request.segments, encode)[:SHARED_MINIMUM]
    digest = hashlib.blake2b(head.tobytes(), digest_size=16).digest()
    return (counted.facts.provider, request.model, request.cache_key or "", digest)


class _Components:
    """Union-find over the names that tie requests together."""

    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, name: str) -> str:
        parent = self.parent.setdefault(name, name)
        while parent != name:
            grand = self.parent[parent]
            self.parent[name] = grand
            name, parent = parent, grand
        return name

    def join(self, first: str, second: str) -> None:
        self.parent[self.find(first)] = self.find(second)


def stream_names(request: Request) -> tuple[str, ...]:
    """The names a request ties together for the rules: its model, and its explicit stream."""
    names = [f"model\0{request.model}"]
    for kind, value in (("key", request.cache_key), ("session", request.session),
                        ("user", request.user)):
        if value:
            names.append(f"{kind}\0{value}")
            break
    return tuple(names)


def split(path: str) -> tuple[Split, Split]:
    """The log's split by cache scope and by rule stream."""
    counter = PromptCounter()
    scopes: Counter[object] = Counter()
    components = _Components()
    firsts: list[str] = []
    for position, item in enumerate(read_requests([path], intern=counter.intern)):
        if not isinstance(item, Request):
            continue
        counted = counter.count(item)
        scopes[scope_key(counted, counter, position)] += 1
        names = stream_names(item)
        for name in names[1:]:
            components.join(name, names[0])
        firsts.append(names[0])
    streams = Counter(components.find(name) for name in firsts)
    total = sum(scopes.values())
    return (Split(total, len(scopes), max(scopes.values(), default=0)),
            Split(total, len(streams), max(streams.values(), default=0)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("logs", nargs="+")
    args = parser.parse_args()
    print("| log | key | requests | partitions | largest | speed-up bound |")
    print("| --- | --- | ---: | ---: | ---: | ---: |")
    for path in args.logs:
        by_scope, by_stream = split(path)
        name = path.rsplit("/", 1)[-1]
        print(by_scope.row(name, "cache scope"))
        print(by_stream.row(name, "rule streams"))


if __name__ == "__main__":
    main()
