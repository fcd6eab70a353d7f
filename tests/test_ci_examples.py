"""The README's CI examples, run as written.

Each file of ``docs/ci/`` is one of the README's blocks, byte for byte. Its shell steps
(``run:`` in GitHub Actions, ``script:`` in GitLab CI) run with bash, in order, in a temporary
project made of this repository's ``samples/`` as ``fixtures/``, with the variables a runner
sets, and what they write is validated: the annotations' syntax, the SARIF against the SARIF
2.1.0 schema, the job summary, the GitLab Code Quality report against its schema and the
JUnit report against its XSD (``tests/schemas/``).

Not run: the steps that exist only on the hosted runner, ``actions/checkout`` (the project is
already there), ``actions/setup-python`` and GitLab's ``image:`` (this test's Python runs
instead), ``github/codeql-action/upload-sarif`` and GitLab's artifact upload (they upload to
the forge; the files they would upload are validated instead), and the
``pip install promptcache`` lines: the promptcache under test is on PATH, and no test reaches
the network.
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
from xml.etree import ElementTree

import jsonschema
import pytest
import xmlschema
import yaml

from .conftest import REPO, SAMPLES

CI_EXAMPLES = REPO / "docs" / "ci"
GITHUB_WORKFLOW = CI_EXAMPLES / "github-workflow.yml"
GITLAB_CI = CI_EXAMPLES / "gitlab-ci.yml"
SCHEMAS = REPO / "tests" / "schemas"
SARIF_SCHEMA = SCHEMAS / "sarif-schema-2.1.0.json"
GITLAB_SCHEMA = SCHEMAS / "gitlab-codequality.schema.json"
JUNIT_XSD = SCHEMAS / "junit.xsd"
HOSTED_ONLY_ACTIONS = ("actions/checkout@", "actions/setup-python@",
                       "github/codeql-action/upload-sarif@")
INSTALL = "pip install promptcache"
BASELINE = ".promptcache-baseline.json"


def _readme_ci_section() -> str:
    readme = (REPO / "README.md").read_text("utf-8")
    return readme.split("## In CI and pre-commit", 1)[1].split("\n## ", 1)[0]


@pytest.mark.parametrize("example", [GITHUB_WORKFLOW, GITLAB_CI], ids=lambda path: path.name)
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


def _load_ci_file(path: Path) -> dict[str, Any]:
    workflow = yaml.safe_load(path.read_text("utf-8"))
    assert isinstance(workflow, dict), f"{path} is not a YAML mapping"
    return workflow


def test_the_github_workflow_is_a_valid_workflow_file() -> None:
    workflow = _load_ci_file(GITHUB_WORKFLOW)
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


def _runner_env(**variables: str) -> dict[str, str]:
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
    env = _runner_env(GITHUB_ACTIONS="true", GITHUB_WORKSPACE=str(project),
                      GITHUB_STEP_SUMMARY=str(step_summary), GITHUB_OUTPUT=str(root / "output"),
                      GITHUB_ENV=str(root / "env"), RUNNER_TEMP=str(root), RUNNER_OS="Linux")
    steps = _github_shell_steps(_load_ci_file(GITHUB_WORKFLOW))
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
    assert lines[-1].startswith("promptcache: 1 finding in 69 requests audited")


def test_the_github_workflow_sarif_validates_against_sarif_2_1_0(github_run: GitHubRun) -> None:
    assert github_run.steps["SARIF for code scanning"].status == 0
    sarif = json.loads((github_run.project / "promptcache.sarif").read_text("utf-8"))
    jsonschema.Draft4Validator(json.loads(SARIF_SCHEMA.read_text("utf-8"))).validate(sarif)
    results = sarif["runs"][0]["results"]
    # code scanning gets every finding (it tracks alerts itself), with no prompt text
    messages = {result["ruleId"]: result["message"]["text"] for result in results}
    assert sorted(messages) == ["PC001", "PC102", "PC201", "PC301", "PC501", "PC506"]
    assert "tool 0: '[omitted]' where the earlier request had '[omitted]'" in messages["PC201"]


def test_the_github_workflow_writes_the_job_summary(github_run: GitHubRun) -> None:
    assert github_run.steps["Job summary"].status == 0
    summary = github_run.step_summary.read_text("utf-8")
    assert summary.startswith("## promptcache\n")
    assert "| `PC201` tool-order | warning | `fixtures/tool-order.jsonl:4` |" in summary


def _gitlab_shell_steps(pipeline: dict[str, Any]) -> list[ShellStep]:
    # A job's script lines run in one shell that stops at the first failing line.
    return [ShellStep(name, line, after_failure=False)
            for name, job in pipeline.items() if isinstance(job, dict) and "script" in job
            for line in job["script"] if line != INSTALL]


def test_the_gitlab_pipeline_is_a_valid_ci_file() -> None:
    pipeline = _load_ci_file(GITLAB_CI)
    job = pipeline["promptcache"]
    assert job["stage"] == "test"
    assert job["script"][0] == INSTALL
    assert all(isinstance(line, str) for line in job["script"])
    # the reports reach the merge request even when the new findings fail the job
    assert job["artifacts"]["when"] == "always"
    assert set(job["artifacts"]["reports"]) == {"codequality", "junit"}


@dataclass(frozen=True)
class GitLabRun:
    """The GitLab job's script, run once for the tests below."""

    project: Path
    steps: list[StepResult]
    reports: dict[str, Path]
    """The files named under ``artifacts:reports``, by report kind."""


@pytest.fixture(scope="module")
def gitlab_run(tmp_path_factory: pytest.TempPathFactory) -> GitLabRun:
    root = tmp_path_factory.mktemp("gitlab")
    project = _project(root)
    env = _runner_env(GITLAB_CI="true", CI_PROJECT_DIR=str(project),
                      CI_JOB_NAME="promptcache", CI_JOB_STAGE="test", CI_SERVER="yes")
    pipeline = _load_ci_file(GITLAB_CI)
    results = _run_steps(_gitlab_shell_steps(pipeline), project, env)
    reports = {kind: project / name
               for kind, name in pipeline["promptcache"]["artifacts"]["reports"].items()}
    return GitLabRun(project, results, reports)


def test_the_gitlab_job_fails_on_findings_new_since_the_baseline(gitlab_run: GitLabRun) -> None:
    assert [step.status for step in gitlab_run.steps] == [0, 1]


def test_the_gitlab_code_quality_report_validates_and_holds_every_finding(
        gitlab_run: GitLabRun) -> None:
    issues = json.loads(gitlab_run.reports["codequality"].read_text("utf-8"))
    jsonschema.Draft202012Validator(json.loads(GITLAB_SCHEMA.read_text("utf-8"))).validate(issues)
    # the merge request widget compares the branch's report with the target's itself
    places = sorted((issue["check_name"], issue["location"]["path"],
                     issue["location"]["lines"]["begin"]) for issue in issues)
    assert places == [("PC001", "fixtures/prompt-too-short.jsonl", 1),
                      ("PC102", "fixtures/timestamp-in-prefix.jsonl", 2),
                      ("PC201", "fixtures/tool-order.jsonl", 4),
                      ("PC301", "fixtures/image-detail.jsonl", 2),
                      ("PC501", "fixtures/anthropic-breakpoint-on-timestamp.jsonl", 3),
                      ("PC506", "fixtures/anthropic-cache-lifetime.jsonl", 2)]


def test_the_gitlab_junit_report_validates_and_fails_only_the_new_finding(
        gitlab_run: GitLabRun) -> None:
    report = gitlab_run.reports["junit"]
    xmlschema.XMLSchema(JUNIT_XSD).validate(report)
    suites = ElementTree.parse(report).getroot()
    assert (suites.get("tests"), suites.get("failures")) == ("7", "1")
    text = report.read_text("utf-8")
    assert '<testcase classname="fixtures/tool-order.jsonl" name="PC201 tool-order">' in text
    assert "fixtures/tool-order.jsonl:4:1: [warning] the same 5 tools" in text
