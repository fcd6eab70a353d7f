"""Fuzz the whole audit with the property tests' strategies, for as long as you like.

    python fuzz/fuzz_audit.py --examples 100000 [--seed N] [--batch 2000]

Each input is a generated JSONL log (tests/strategies.py: valid Chat Completions and
Responses records in every envelope, and corrupted lines). It is audited in-process by
``promptcache.run.audit.run_audit`` and rendered in every format, and the property tests' first
property is checked: every non-blank line ends as an audited request or as exactly one
one-line error naming it, and a valid record is never rejected. Any exception or broken
property stops the run: Hypothesis shrinks the input, the minimal log is printed and written
to ``fuzz-failure-SEED.jsonl`` (reproduce with ``promptcache audit`` on it), and the exit
status is 1.

Hypothesis runs in batches of ``--batch`` inputs, each with its own seed (derived from
``--seed``): one long run would keep the tree of every choice it ever made in memory.
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import tempfile
import time
import traceback
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # tests.strategies
# No cache folder: a fuzz run must not fill the user's with millions of random texts. Set
# before promptcache is imported (the folder is decided once per process).
os.environ.setdefault("PROMPTCACHE_NO_CACHE", "1")

from hypothesis import HealthCheck, Phase, given, seed, settings  # noqa: E402

from promptcache.config import Config, settings_from  # noqa: E402
from promptcache.report.formats import RENDERERS  # noqa: E402
from promptcache.report.json_format import write_json  # noqa: E402
from promptcache.rules import ALL_RULES  # noqa: E402
from promptcache.run.audit import run_audit  # noqa: E402
from tests.strategies import JSON, logs  # noqa: E402

RULES = settings_from(Config(), ALL_RULES).rules


@dataclass
class Tally:
    """What the run has done so far."""

    inputs: int = 0
    records: int = 0
    requests: int = 0
    errors: int = 0
    last: bytes = b""


class PropertyBroken(AssertionError):
    """An audit finished but its report breaks a property."""


def check(log: Path, data: bytes, valid: dict[int, JSON], tally: Tally) -> None:
    """Audit ``data`` as the file ``log``, render every format, check the accounting."""
    tally.inputs += 1
    tally.last = data
    log.write_bytes(data)
    report = run_audit([str(log)], RULES)
    write_json(report, io.StringIO())
    for render in RENDERERS.values():
        render(report)
    lines = [number for number, line in enumerate(data.split(b"\n"), 1) if line.strip()]
    audited = [row.line for row in report.requests]
    failed = [error.line for error in report.errors]
    if sorted(audited + failed) != lines:
        raise PropertyBroken(f"lines {lines}, audited {audited}, errors {failed}")
    rejected = [error for error in report.errors if error.line in valid]
    if rejected:
        raise PropertyBroken(f"a valid record was rejected: {rejected[0]}")
    if any("\n" in error.message or not error.message for error in report.errors):
        raise PropertyBroken("an error message is empty or spans lines")
    summary = report.summary
    if summary.records_read != summary.requests_audited + summary.invalid_records:
        raise PropertyBroken(f"records read {summary.records_read} != audited "
                             f"{summary.requests_audited} + invalid {summary.invalid_records}")
    tally.records += len(lines)
    tally.requests += len(audited)
    tally.errors += len(failed)


def run_batch(log: Path, batch_seed: int, examples: int, tally: Tally) -> None:
    """One Hypothesis run of up to ``examples`` inputs; raises on the first failure, after
    shrinking it."""
    @seed(batch_seed)
    @settings(max_examples=examples, deadline=None, database=None,
              phases=(Phase.generate, Phase.shrink),
              suppress_health_check=list(HealthCheck))
    @given(logs())
    def fuzz(generated: tuple[bytes, dict[int, JSON]]) -> None:
        check(log, generated[0], generated[1], tally)

    fuzz()


def _arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else "")
    parser.add_argument("--examples", type=int, default=10_000,
                        help="inputs to try in all (default: 10000)")
    parser.add_argument("--seed", type=int, default=0, help="first seed (default: 0)")
    parser.add_argument("--batch", type=int, default=2_000,
                        help="inputs per Hypothesis run (default: 2000)")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Fuzz until ``--examples`` inputs were tried or one fails; the exit status says which."""
    args = _arguments(argv)
    tally = Tally()
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="promptcache-fuzz-") as folder:
        log = Path(folder) / "log.jsonl"
        batch = 0
        try:
            while tally.inputs < args.examples:
                # Seeds of different --seed values do not overlap for the first million
                # batches.
                batch_seed = args.seed * 1_000_003 + batch
                run_batch(log, batch_seed, min(args.batch, args.examples - tally.inputs), tally)
                batch += 1
                _progress(tally, started)
        except KeyboardInterrupt:
            print("interrupted", file=sys.stderr)
        except Exception:
            traceback.print_exc()
            failure = Path(f"fuzz-failure-{args.seed}.jsonl")
            failure.write_bytes(tally.last)
            print(f"\nFAILED on input {tally.inputs} (batch seed {batch_seed}). The minimal "
                  f"failing log ({len(tally.last)} bytes) is in {failure}:\n"
                  f"{tally.last.decode('utf-8', 'backslashreplace')}", file=sys.stderr)
            _progress(tally, started)
            return 1
    _progress(tally, started)
    return 0


def _progress(tally: Tally, started: float) -> None:
    elapsed = time.monotonic() - started
    print(f"{tally.inputs} inputs, {tally.records} records ({tally.requests} audited, "
          f"{tally.errors} errors) in {elapsed:.0f} s "
          f"({tally.inputs / elapsed if elapsed else 0:.0f} inputs/s)", flush=True)


if __name__ == "__main__":
    sys.exit(main())
