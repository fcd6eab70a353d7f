"""The README's CI examples, run as written.

Each file of ``docs/ci/`` is one of the README's blocks, byte for byte. Its shell steps
(``run:`` in GitHub Actions) run with bash, in order, in a temporary project made of this
repository's ``samples/`` as ``fixtures/``, with the variables a runner sets, and what they
write is validated: the annotations' syntax, the SARIF against the SARIF 2.1.0 schema, the
job summary.

Not run: the steps that exist only on the hosted runner, ``actions/checkout`` (the project is
already there), ``actions/setup-python`` (this test's Python runs instead) and
``github/codeql-action/upload-sarif`` (it uploads to GitHub; the file it would upload is
validated instead), and the ``pip install promptcache`` step: the promptcache under test is
on PATH, and no test reaches the network.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from .conftest import REPO, SAMPLES

CI_EXAMPLES = REPO / "docs" / "ci"
GITHUB_WORKFLOW = CI_EXAMPLES / "github-workflow.yml"
SCHEMAS = REPO / "tests" / "schemas"
SARIF_SCHEMA = SCHEMAS / "sarif-schema-2.1.0.json"
HOSTED_ONLY_ACTIONS = ("actions/checkout@", "actions/setup-python@",
                       "github/codeql-action/upload-sarif@")
INSTALL = "pip install promptcache"
BASELINE = ".promptcache-baseline.json"


def _readme_ci_section() -> str:
    readme = (REPO / "README.md").read_text("utf-8")
    return readme.split("## In CI and pre-commit", 1)[1].split("\n## ", 1)[0]


@pytest.mark.parametrize("example", [GITHUB_WORKFLOW], ids=lambda path: path.name)
def test_the_readme_shows_each_ci_example_file_as_it_is(example: Path) -> None:
    assert f"```yaml\n{example.read_text('utf-8')}```" in _readme_ci_section()


@dataclass(frozen=True)
class ShellStep:
    """One step of a job that a runner would hand to bash."""

    name: str
    script: str
    after_failure: bool
    """Whether the step runs when an earlier step failed (``if: ${{ !cancelled() }}``)."""


def _after_failure(condition: str | None) -> bool:
    expression = (condition or "success()").strip().removeprefix("${{").removesuffix("}}").strip()
    if expression in {"always()", "!cancelled()"}:
        return True
    if expression == "success()":
        return False
    raise AssertionError(f"the test does not know how a runner evaluates `if: {condition}`")


def _github_shell_steps(workflow: dict[str, Any]) -> list[ShellStep]:
    steps = []
    for job in workflow["jobs"].values():
        for step in job["steps"]:
            if "uses" in step:
                assert step["uses"].startswith(HOSTED_ONLY_ACTIONS), step
            elif step["run"] != INSTALL:
                steps.append(ShellStep(step["name"], step["run"], _after_failure(step.get("if"))))
    return steps


def _load_workflow(path: Path) -> dict[str, Any]:
    workflow = yaml.safe_load(path.read_text("utf-8"))
    assert isinstance(workflow, dict), f"{path} is not a YAML mapping"
    return workflow


def test_the_github_workflow_is_a_valid_workflow_file() -> None:
    workflow = _load_workflow(GITHUB_WORKFLOW)
    # YAML 1.1 (PyYAML, as GitHub's parser does not) reads the key `on` as true
    assert workflow[True] == ["push", "pull_request"]
    (job,) = workflow["jobs"].values()
    assert job["runs-on"] == "ubuntu-latest"
    assert job["permissions"]["security-events"] == "write"  # upload-sarif needs it
    assert all(("run" in step) != ("uses" in step) for step in job["steps"])
    assert next(step["run"] for step in job["steps"] if "run" in step) == INSTALL


@dataclass(frozen=True)
class StepResult:
    """What one shell step did."""

    name: str
    status: int | None
    """bash's exit status; None when the step was skipped after a failure."""
    stdout: str


def _run_steps(steps: list[ShellStep], project: Path,
               env: dict[str, str]) -> list[StepResult]:
    results: list[StepResult] = []
    failed = False
    for step in steps:
        if failed and not step.after_failure:
            results.append(StepResult(step.name, None, ""))
            continue
        # `bash -e {0}` is what a runner runs a script with when the step names no shell
        ran = subprocess.run(["bash", "-e", "-c", step.script], cwd=project, env=env,
                             capture_output=True, text=True, timeout=300, check=False)
        assert "Traceback" not in ran.stderr, ran.stderr
        failed = failed or ran.returncode != 0
        results.append(StepResult(step.name, ran.returncode, ran.stdout))
    return results


def _project(root: Path) -> Path:
    """A project whose baseline records the samples' findings but for tool-order.jsonl's,
    added after it: the fixture a pull request brings."""
    project = root / "project"
    fixtures = project / "fixtures"
    fixtures.mkdir(parents=True)
    for sample in sorted(SAMPLES.glob("*.jsonl")):
        if sample.name != "tool-order.jsonl":
            shutil.copy(sample, fixtures / sample.name)
    subprocess.run([str(Path(sys.executable).parent / "promptcache"), "audit", "fixtures/",
                    "--quiet",
                    "--write-baseline", BASELINE, "--exit-zero", "--format", "concise"],
                   cwd=project, check=True, capture_output=True, timeout=300)
    shutil.copy(SAMPLES / "tool-order.jsonl", fixtures / "tool-order.jsonl")
    return project


def _runner_env(project: Path, **variables: str) -> dict[str, str]:
    bin_dir = Path(sys.executable).parent
    return {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
            "CI": "true", **variables}


@dataclass(frozen=True)
class GitHubRun:
    """The GitHub workflow's shell steps, run once for the tests below."""

    project: Path
    steps: dict[str, StepResult]
    step_summary: Path


@pytest.fixture(scope="module")
def github_run(tmp_path_factory: pytest.TempPathFactory) -> GitHubRun:
    root = tmp_path_factory.mktemp("github")
    project = _project(root)
    step_summary = root / "step-summary.md"
    env = _runner_env(project, GITHUB_ACTIONS="true", GITHUB_WORKSPACE=str(project),
                      GITHUB_STEP_SUMMARY=str(step_summary), GITHUB_OUTPUT=str(root / "output"),
                      GITHUB_ENV=str(root / "env"), RUNNER_TEMP=str(root), RUNNER_OS="Linux")
    steps = _github_shell_steps(_load_workflow(GITHUB_WORKFLOW))
    results = _run_steps(steps, project, env)
    return GitHubRun(project, {result.name: result for result in results}, step_summary)


_PROPERTY = r"(?:file=[^,:\r\n]+|line=[1-9][0-9]*|endLine=[1-9][0-9]*|col=[1-9][0-9]*" \
            r"|endColumn=[1-9][0-9]*|title=[^,:\r\n]*)"
# A workflow command as GitHub's runner parses it; `%` only in the toolkit's escapes.
_ANNOTATION = re.compile(
    rf"::(error|warning|notice)(?: {_PROPERTY}(?:,{_PROPERTY})*)?::"
    r"(?:[^%\r\n]|%(?:25|0D|0A|3A|2C))*")


def test_the_github_workflow_annotates_only_findings_new_since_the_baseline(
        github_run: GitHubRun) -> None:
    audit = github_run.steps["Audit request fixtures (annotations on the pull request)"]
    assert audit.status == 1  # the new finding fails the job
    lines = audit.stdout.splitlines()
    commands = [line for line in lines if line.startswith("::")]
    assert all(_ANNOTATION.fullmatch(line) for line in commands), commands
    assert len(commands) == 1
    assert commands[0].startswith(
        "::warning file=fixtures/tool-order.jsonl,line=4,col=1,title=PC201 tool-order::the same 5 "
        "tools")
    assert lines[-1].startswith("promptcache: 1 finding in 57 requests audited")


def test_the_github_workflow_sarif_validates_against_sarif_2_1_0(github_run: GitHubRun) -> None:
    assert github_run.steps["SARIF for code scanning"].status == 0
    sarif = json.loads((github_run.project / "promptcache.sarif").read_text("utf-8"))
    jsonschema.Draft4Validator(json.loads(SARIF_SCHEMA.read_text("utf-8"))).validate(sarif)
    results = sarif["runs"][0]["results"]
    # code scanning gets every finding (it tracks alerts itself), with no prompt text
    messages = {result["ruleId"]: result["message"]["text"] for result in results}
    assert sorted(messages) == ["PC001", "PC102", "PC201", "PC301"]
    assert "tool 0: '[omitted]' where the earlier request had '[omitted]'" in messages["PC201"]


def test_the_github_workflow_writes_the_job_summary(github_run: GitHubRun) -> None:
    assert github_run.steps["Job summary"].status == 0
    summary = github_run.step_summary.read_text("utf-8")
    assert summary.startswith("## promptcache\n")
    assert "| `PC201` tool-order | warning | `fixtures/tool-order.jsonl:4` |" in summary
