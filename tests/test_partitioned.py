"""The partitioned audit: parts found by cache scope, audited apart, merged into the report
one pass over the whole log writes (byte for byte)."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from promptcache.cache import replay
from promptcache.engine import rule_engine
from promptcache.engine.rule_engine import default_rules
from promptcache.report.json_format import report_to_dict
from promptcache.rules import ALL_RULES
from promptcache.run import partitions
from promptcache.run.audit import run_audit
from promptcache.run.partitioned import Mapped, Settings, in_process, run_parts
from promptcache.run.partitions import plan_parts, survey_file
from tests.cluster_logs import write_cluster_logs
from tests.conftest import SHARED_DATA, shared_data, shared_format_sample

RULES = default_rules(ALL_RULES)


def _json(paths: list[str], partitioned: bool) -> str:
    report = (run_parts(paths, Settings(RULES), in_process) if partitioned
              else run_audit(paths, RULES))
    return json.dumps(report_to_dict(report), indent=1)


def test_a_log_of_several_applications_splits_into_parts(tmp_path: Path) -> None:
    paths = [str(path) for path in write_cluster_logs(tmp_path)]
    plan = plan_parts([survey_file(path) for path in paths])
    # gpt-4o; gpt-4o-mini; gpt-4.1 and gpt-4.1-mini tied by a prompt_cache_key both use and
    # by a gpt-4.1 session that switches model; Claude.
    assert [part.requests for part in plan.parts] == [18, 18, 36, 18]
    assert not plan.whole
    # Each session is dealt over several files, and its part reads them all.
    assert [len(part.files) for part in plan.parts] == [4, 4, 6, 4]
    assert [(seq, item.location.line) for seq, item in plan.unaudited] == [(33, 4)]


def _tool(name: str, description: str) -> dict[str, object]:
    return {"type": "function", "function": {"name": name, "description": description,
                                             "parameters": {"type": "object",
                                                            "properties": {}}}}


def test_the_fixed_text_around_tools_ties_no_applications_together(tmp_path: Path) -> None:
    # Two apps with tools on two models: every prompt begins with the provider's
    # "namespace functions" text, which must not make them one part; a third request begins
    # with the first app's tools (another model, same tools) and joins it.
    def body(model: str, app: str, question: str) -> dict[str, object]:
        return {"model": model, "tools": [_tool("lookup", f"{app}: look it up")],
                "messages": [{"role": "user", "content": question}]}

    log = tmp_path / "gateway.jsonl"
    log.write_text("".join(json.dumps(line) + "\n" for line in (
        body("gpt-4o", "Travel", "Flights to Oslo?"),
        body("gpt-4.1", "Support", "Where is my order?"),
        body("gpt-4o-mini", "Travel", "Hotels in Oslo?"),
        body("gpt-4.1", "Support", "And the invoice?"))))
    plan = plan_parts([survey_file(str(log))])
    assert [part.requests for part in plan.parts] == [2, 2]
    assert _json([str(log)], partitioned=True) == _json([str(log)], partitioned=False)


def test_parts_merge_into_the_one_pass_report(tmp_path: Path) -> None:
    paths = [str(path) for path in write_cluster_logs(tmp_path)]
    merged = _json(paths, partitioned=True)
    assert merged == _json(paths, partitioned=False)
    report = json.loads(merged)
    # The log shows its patterns (a merge of nothing would be identical too).
    assert {finding["code"] for finding in report["findings"]} >= {"PC102", "PC201"}
    assert report["summary"]["invalid_records"] == 1
    assert len(report["sessions"]) == 35
    # The session keyed "tutor-shared": its 6 turns and the gpt-4.1 turn sent with its key.
    assert max(session["requests"] for session in report["sessions"]) == 7


def test_parts_merge_in_any_order(tmp_path: Path) -> None:
    paths = [str(path) for path in write_cluster_logs(tmp_path)]

    def backwards(function, tasks):  # type: ignore[no-untyped-def]
        # Workers finish in any order: the results, computed last part first, still merge.
        return list(reversed([function(task) for task in reversed(tasks)]))

    report = run_parts(paths, Settings(RULES), Mapped(backwards))
    assert json.dumps(report_to_dict(report), indent=1) == _json(paths, partitioned=False)


def test_a_finding_shown_in_two_parts_folds_into_one(tmp_path: Path) -> None:
    # Two models, each with the same timestamped system prompt: the PC102 group is the
    # same text in both parts, and one pass would report it once, first where it first shows.
    lines = []
    for turn in range(6):
        for model in ("gpt-4o", "gpt-4.1"):
            system = (f"Now: {1000 + turn}. You run on {model}. "
                      + "Answer with care and cite sources. " * 200)
            lines.append(json.dumps({"timestamp": 1_764_000_000 + turn * 30, "request": {
                "model": model, "messages": [{"role": "system", "content": system},
                                             {"role": "user", "content": "Hello"}]}}))
    log = tmp_path / "two-models.jsonl"
    log.write_text("\n".join(lines) + "\n")
    plan = plan_parts([survey_file(str(log))])
    assert [part.requests for part in plan.parts] == [6, 6]
    merged = _json([str(log)], partitioned=True)
    assert merged == _json([str(log)], partitioned=False)


def test_files_joined_across_files_are_read_whole() -> None:
    log = shared_format_sample("otel_traceloop_openai", "traces.otlp.jsonl")
    plan = plan_parts([survey_file(str(log))])
    assert plan.whole
    assert _json([str(log)], partitioned=True) == _json([str(log)], partitioned=False)


@pytest.mark.parametrize("name", sorted(path.name for path in SHARED_DATA.glob("*.jsonl"))
                         or ["openai-cassettes.jsonl"])
def test_shared_recordings_merge_into_the_one_pass_report(name: str) -> None:
    path = str(shared_data(name))
    assert _json([path], partitioned=True) == _json([path], partitioned=False)


def _log_in_three_files(tmp_path: Path, records: list[str]) -> list[str]:
    """``records`` in three files of consecutive lines (as a gateway rotates its log)."""
    third = -(-len(records) // 3)
    paths = []
    for index in range(3):
        path = tmp_path / f"rotated-{index}.jsonl"
        path.write_text("".join(line + "\n" for line in records[index * third:
                                                                 (index + 1) * third]))
        paths.append(str(path))
    return paths


def _cluster_records(tmp_path: Path) -> list[str]:
    (tmp_path / "source").mkdir()
    [path] = write_cluster_logs(tmp_path / "source", files=1)
    return path.read_text().splitlines()


@pytest.mark.parametrize(("spread", "seed"), [(0, 0), (4, 1), (4, 2), (40, 3), (40, 4)])
def test_a_log_out_of_time_order_splits_only_where_parts_agree_with_one_process(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, spread: int, seed: int) -> None:
    # A reorder window of 6 requests: each record moved by up to ``spread`` places.
    monkeypatch.setattr(replay, "REORDER_WINDOW", 6)
    monkeypatch.setattr(partitions, "REORDER_WINDOW", 6)
    rng = random.Random(seed)
    records = _cluster_records(tmp_path)
    shuffled = [line for _, line in sorted(
        (index + rng.uniform(0, spread), line) for index, line in enumerate(records))]
    paths = _log_in_three_files(tmp_path, shuffled)
    plan = plan_parts([survey_file(path) for path in paths])
    if spread < 6:  # never more than a window late: the log splits
        assert not plan.whole
        assert len(plan.parts) == 4
    else:
        assert plan.whole
        assert "more than 6 requests or 15 minutes out of time order" in plan.why_whole
    assert _json(paths, partitioned=True) == _json(paths, partitioned=False)


@pytest.mark.parametrize(("minutes_late", "splits"), [(10, True), (20, False)])
def test_a_request_long_out_of_time_order_keeps_the_log_whole(
        tmp_path: Path, minutes_late: int, splits: bool) -> None:
    # One request logged well after its time, yet within the window of requests: one
    # process, in time order until then, has already replayed requests 15 minutes older than
    # the latest; a part still in order might not have, so such a log is read whole.
    records = _cluster_records(tmp_path)
    index = next(position for position, line in enumerate(records)
                 if position > len(records) // 2 and not line.startswith("{not"))
    late = json.loads(records[index])
    late["timestamp"] -= minutes_late * 60
    records[index] = json.dumps(late)
    paths = _log_in_three_files(tmp_path, records)
    plan = plan_parts([survey_file(path) for path in paths])
    assert plan.whole is not splits
    if not splits:
        assert "requests or 15 minutes out of time order" in plan.why_whole
    assert _json(paths, partitioned=True) == _json(paths, partitioned=False)


def test_a_log_partly_without_times_is_read_whole(tmp_path: Path) -> None:
    records = _cluster_records(tmp_path)
    untimed = [record for record in records if record.startswith("{not")] + [
        json.dumps(json.loads(record)["request"]) for record in records[:5]
        if not record.startswith("{not")]
    paths = _log_in_three_files(tmp_path, records[5:] + untimed)
    plan = plan_parts([survey_file(path) for path in paths])
    assert plan.whole
    assert plan.why_whole.startswith(f"{paths[2]}: requests without a time")
    assert _json(paths, partitioned=True) == _json(paths, partitioned=False)


@pytest.mark.parametrize(("bound", "splits"), [(5, False), (6, True)])
def test_more_streams_at_once_than_one_process_keeps_is_read_whole(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, bound: int, splits: bool) -> None:
    # Five models and one prompt_cache_key: six streams, all active within hours.
    monkeypatch.setattr(rule_engine, "MAX_STREAMS", bound)
    monkeypatch.setattr(partitions, "MAX_STREAMS", bound)
    paths = _log_in_three_files(tmp_path, _cluster_records(tmp_path))
    plan = plan_parts([survey_file(path) for path in paths])
    assert plan.whole is not splits
    if not splits:
        assert "more than 5 streams" in plan.why_whole
    assert _json(paths, partitioned=True) == _json(paths, partitioned=False)
