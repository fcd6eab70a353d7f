"""The audit on a Dask cluster of worker processes on this machine: the same JSON report as
one process, also when a worker dies mid-run."""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import promptcache
from promptcache.engine.rule_engine import default_rules
from promptcache.load.paths import expand_paths
from promptcache.report.json_format import report_to_dict
from promptcache.rules import ALL_RULES
from promptcache.run import dask_engine, partitions
from promptcache.run.audit import run_audit
from promptcache.run.dask_engine import run_on_dask
from promptcache.run.partitioned import Settings
from tests.cluster_logs import write_cluster_logs
from tests.conftest import SHARED_FORMATS, shared_data

distributed = pytest.importorskip("distributed", reason="the dask extra is not installed")

RULES = default_rules(ALL_RULES)


@pytest.fixture(scope="module")
def client() -> Iterator[Any]:
    cluster = distributed.LocalCluster(n_workers=3, threads_per_worker=1, processes=True,
                                       dashboard_address=":0")
    with distributed.Client(cluster) as connected:
        yield connected
    cluster.close()


def _one_process(paths: list[str]) -> str:
    return json.dumps(report_to_dict(run_audit(paths, RULES)), indent=1)


def _on_cluster(paths: list[str], client: Any, **kwargs: Any) -> str:
    report = run_on_dask(paths, Settings(RULES), client, **kwargs)
    return json.dumps(report_to_dict(report), indent=1)


def test_sessions_spread_over_files_give_the_one_process_report(
        tmp_path: Path, client: Any) -> None:
    paths = [str(path) for path in write_cluster_logs(tmp_path, files=8)]
    heard: list[tuple[str, int, int]] = []
    on_cluster = _on_cluster(paths, client,
                             on_progress=lambda *progress: heard.append(progress))
    assert on_cluster == _one_process(paths)
    assert {"PC102", "PC201"} <= {finding["code"]
                                  for finding in json.loads(on_cluster)["findings"]}
    assert ("surveying files", 8, 8) in heard
    assert ("auditing 4 part(s)", 4, 4) in heard


def test_files_too_large_to_keep_are_read_again_by_their_parts(
        tmp_path: Path, client: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    # No survey keeps its requests past 20,000 characters: the parts read the files again.
    monkeypatch.setattr(dask_engine, "HOLD_MAX_CHARS", 20_000)
    paths = [str(path) for path in write_cluster_logs(tmp_path, files=4)]
    held = [client.submit(dask_engine.survey_and_hold, path, hold_max_chars=20_000).result()
            for path in paths]
    assert [file.requests is None for file in held] == [True, True, True, True]
    assert _on_cluster(paths, client) == _one_process(paths)


@pytest.mark.parametrize("name", ["openai-chat-more.jsonl", "anthropic-more.jsonl",
                                  "openai-cookbook-prompt-caching.jsonl",
                                  "anthropic-cassettes.jsonl"])
def test_shared_recordings_give_the_one_process_report(name: str, client: Any) -> None:
    path = str(shared_data(name))
    assert _on_cluster([path], client) == _one_process([path])


def test_a_log_out_of_time_order_is_audited_whole_and_says_why(tmp_path: Path,
                                                              client: Any) -> None:
    # The files given newest first: the plan reads the log as one part.
    paths = [str(path) for path in write_cluster_logs(tmp_path, files=1)]
    lines = Path(paths[0]).read_text().splitlines()
    late, early = tmp_path / "b-late.jsonl", tmp_path / "c-early.jsonl"
    late.write_text("\n".join(lines[len(lines) // 2:]) + "\n")
    early.write_text("\n".join(lines[:len(lines) // 2]) + "\n")
    heard: list[tuple[str, int, int]] = []
    swapped = [str(late), str(early)]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(partitions, "REORDER_WINDOW", 4)  # the plan's, on this client
        on_cluster = _on_cluster(swapped, client,
                                 on_progress=lambda *progress: heard.append(progress))
    assert [stage for stage, _, total in heard if total == 1][-1] == (
        f"auditing the log whole ({early}: requests more than 4 requests or 15 minutes out of "
        "time order (files given in time order split))")
    assert on_cluster == _one_process(swapped)


@pytest.mark.parametrize("folder", sorted(path.name for path in SHARED_FORMATS.glob("*")
                                          if path.is_dir()) or ["litellm"])
def test_gateway_and_tracing_exports_give_the_one_process_report(folder: str,
                                                                 client: Any) -> None:
    root = SHARED_FORMATS / folder
    if not root.is_dir():
        pytest.skip(f"{root} is absent: the shared format samples are not beside this clone")
    paths = expand_paths([str(root)])
    assert _on_cluster(paths, client) == _one_process(paths)


def test_a_worker_killed_mid_run_changes_nothing(tmp_path: Path, client: Any) -> None:
    paths = [str(path) for path in write_cluster_logs(tmp_path, files=8)]
    killed: list[str] = []

    def kill_one(stage: str, done: int, total: int) -> None:
        # The parts are submitted: kill the worker that holds the most of them.
        if not stage.startswith("auditing") or killed:
            return
        processing = client.processing()
        busiest = max(processing, key=lambda worker: len(processing[worker]))
        killed.append(busiest)
        with contextlib.suppress(Exception):  # the connection goes with the process
            client.run(os._exit, 1, workers=[busiest], wait=False)

    on_cluster = _on_cluster(paths, client, on_progress=kill_one)
    assert killed, "no worker was killed"
    assert on_cluster == _one_process(paths)
    client.wait_for_workers(3, timeout=60)  # the nanny restarts it, for the next tests


def test_the_library_call_runs_on_a_client(tmp_path: Path, client: Any) -> None:
    paths = write_cluster_logs(tmp_path)
    here = promptcache.to_dict(promptcache.audit(paths, isolated=True))
    there = promptcache.to_dict(promptcache.audit(paths, isolated=True, scheduler=client))
    assert there == here


def test_an_unreachable_scheduler_is_one_line(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dask_engine, "CONNECT_TIMEOUT", "1s")
    paths = write_cluster_logs(tmp_path, files=3)
    with pytest.raises(promptcache.AuditError, match=r"^cannot reach the Dask scheduler at "
                                                     r"tcp://127\.0\.0\.1:9: "):
        promptcache.audit(paths, isolated=True, scheduler="tcp://127.0.0.1:9")


def test_local_n_must_be_a_count() -> None:
    with pytest.raises(dask_engine.DaskUnavailable, match="local:N must be 1 or more"):
        run_on_dask(["x.jsonl"], Settings(RULES), "local:zero")


def test_the_command_line_runs_on_a_local_cluster(tmp_path: Path) -> None:
    import subprocess
    import sys

    paths = [str(path) for path in write_cluster_logs(tmp_path, files=4)]

    def audit(*options: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-c", "from promptcache.cli.main import run; run()",
                               "audit", "--isolated",
                               "--format", "json", *options, *paths],
                              capture_output=True, text=True, cwd=tmp_path, check=False)

    here, there = audit(), audit("--scheduler", "local:2")
    assert there.returncode == here.returncode == 1, there.stderr
    assert there.stdout == here.stdout
    refused = audit("--scheduler", "local:0")
    assert refused.returncode == 2
    assert refused.stderr == ("promptcache: --scheduler local:0: N in local:N must be 1 or "
                              "more\n")


def _die(code: str, file: str) -> bool:
    """A per-file ignore that takes its worker down (a worker out of memory, say)."""
    os._exit(1)


def test_a_task_that_kills_every_worker_it_runs_on_is_one_line(tmp_path: Path) -> None:
    import dask

    paths = [str(path) for path in write_cluster_logs(tmp_path, files=3)]
    with dask.config.set({"distributed.scheduler.allowed-failures": 1}):
        cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                           dashboard_address=":0")
    try:
        with distributed.Client(cluster) as client, \
                pytest.raises(dask_engine.ClusterError,
                              match=r"^the cluster lost every worker that ran one task "):
            run_on_dask(paths, Settings(RULES, ignored=_die), client)
    finally:
        cluster.close()


def test_standard_input_is_refused_on_a_cluster() -> None:
    import subprocess
    import sys

    refused = subprocess.run([sys.executable, "-c",
                              "from promptcache.cli.main import run; run()",
                              "audit", "--isolated", "--scheduler", "local:1", "-"],
                             input="{}\n", capture_output=True, text=True, check=False)
    assert refused.returncode == 2
    assert refused.stderr == ("promptcache: standard input cannot be read by the cluster's "
                              "workers: give the log's files or store paths\n")
