"""Start-up: a command imports what it needs when it runs, so `podsync --help` is quick."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

from tests.conftest import TEST_KEY, Cli, Emulator

HEAVY = ("httpx", "asyncio", "jsonschema", "jinja2", "starlette", "uvicorn")
PROBE = """
import sys
sys.argv = ["podsync", *sys.argv[1:]]
from podsync.cli import main
try:
    main()
except SystemExit:
    pass
print("MODULES", " ".join(sorted(k for k, m in sys.modules.items() if m is not None)))
"""


def modules_after(*argv: str, env: Mapping[str, str] | None = None) -> set[str]:
    """Every module a fresh interpreter has imported after `podsync ARGV`."""
    return run_probe(*argv, env=env)[1]


def run_probe(*argv: str, env: Mapping[str, str] | None = None) -> tuple[str, set[str]]:
    """What `podsync ARGV` printed in a fresh interpreter, and every module it imported."""
    run = subprocess.run(
        [sys.executable, "-c", PROBE, *argv],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **(env or {})},
    )
    line = next(x for x in run.stdout.splitlines() if x.startswith("MODULES "))
    return run.stdout.removesuffix(line + "\n"), set(line.split()[1:])


def imported_by(*argv: str) -> set[str]:
    """The top-level packages a fresh interpreter has imported after `podsync ARGV`."""
    return {name.partition(".")[0] for name in modules_after(*argv)}


def test_help_imports_no_http_client_event_loop_schema_checker_or_templates() -> None:
    loaded = imported_by("--help")
    assert "click" in loaded  # the probe ran the command line
    assert not loaded & set(HEAVY), sorted(loaded & set(HEAVY))


def test_help_imports_neither_the_plan_vocabulary_nor_the_model() -> None:
    loaded = modules_after("--help")
    assert "podsync.cli" in loaded
    assert not loaded & {"podsync.plan", "podsync.model", "podsync.plan_file"}


def test_schema_command_imports_no_http_client_or_event_loop() -> None:
    loaded = imported_by("schema", "manifest")
    assert not loaded & {"httpx", "asyncio", "starlette", "uvicorn", "jinja2"}


def test_validate_reads_the_project_without_the_http_client_or_event_loop() -> None:
    loaded = imported_by("validate", "examples")
    assert "yaml" in loaded  # it did read the manifests
    assert not loaded & {"httpx", "asyncio", "starlette", "uvicorn"}


def test_validate_of_the_example_loads_no_schema_checker_and_no_plan_vocabulary() -> None:
    """The example's pinned script, dialogue file, podsync.yaml and manifest all pass their
    fast checks (script_check, project_check, manifest_check): jsonschema is loaded only to
    explain a file they refuse. jinja2 stays: the example's titles are templates."""
    loaded = modules_after("validate", "examples")
    assert {"yaml", "podsync.script_pins", "podsync.config"} <= loaded  # it did read them
    assert not {"jsonschema", "referencing"} & loaded
    assert "podsync.plan" not in loaded  # the count it prints is podsync.counting's


def test_a_no_change_plan_loads_neither_the_diff_engine_nor_the_lock_rebuild(
    cli: Cli, emulator: Emulator, project: Path
) -> None:
    """What only a plan with changes, an apply or `lock rebuild` needs stays unloaded."""
    assert cli("apply", str(project), "--auto-approve").exit_code == 0
    env = {"ZENMIC_API_URL": emulator.url, "ZENMIC_API_KEY": TEST_KEY, "NO_COLOR": "1"}
    output, loaded = run_probe("plan", str(project), env=env)
    assert "No changes" in output
    assert "podsync.operations" in loaded and "httpx" in loaded
    unneeded = {"deepdiff", "numpy", "jsonschema", "rich", "pygments"}
    unneeded |= {"podsync.lock_rebuild", "podsync.saved_plan"}  # plan --out loads saved_plan
    found = unneeded & {*loaded, *(name.partition(".")[0] for name in loaded)}
    assert not found, sorted(found)


def test_listen_no_longer_brings_the_executor_and_the_http_client() -> None:
    """podsync.operations holds a Listen in its results: loading it must stay cheap."""
    loaded = run_probe_import("podsync.listen")
    assert "podsync.listen" in loaded
    assert not {"podsync.executor", "podsync.client", "httpx", "asyncio", "podsync.plan"} & loaded


def run_probe_import(module: str) -> set[str]:
    """Every module a fresh interpreter has after `import MODULE`."""
    code = f"import sys, {module}; print(' '.join(sorted(sys.modules)))"
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    return set(run.stdout.split())


def test_an_apply_in_a_log_loads_no_rich(cli: Cli, emulator: Emulator, project: Path) -> None:
    """Without a terminal (CI, the GitHub Action) apply prints plain lines: rich, which draws
    the live display on a terminal, stays unloaded."""
    assert cli("apply", str(project), "--auto-approve").exit_code == 0
    env = {"ZENMIC_API_URL": emulator.url, "ZENMIC_API_KEY": TEST_KEY, "NO_COLOR": "1"}
    output, loaded = run_probe("apply", str(project), "--auto-approve", env=env)
    assert "No changes" in output
    assert "podsync.render.progress" in loaded
    assert not {"rich", "pygments", "podsync.render.live_progress"} & loaded
