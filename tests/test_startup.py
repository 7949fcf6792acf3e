"""Start-up: a command imports what it needs when it runs, so `podsync --help` is quick."""

from __future__ import annotations

import subprocess
import sys

HEAVY = ("httpx", "asyncio", "jsonschema", "jinja2", "starlette", "uvicorn")
PROBE = """
import sys
sys.argv = ["podsync", *sys.argv[1:]]
from podsync.cli import main
try:
    main()
except SystemExit:
    pass
print("MODULES", " ".join(sorted(sys.modules)))
"""


def modules_after(*argv: str) -> set[str]:
    """Every module a fresh interpreter has imported after `podsync ARGV`."""
    run = subprocess.run(
        [sys.executable, "-c", PROBE, *argv], capture_output=True, text=True, timeout=60
    )
    line = next(x for x in run.stdout.splitlines() if x.startswith("MODULES "))
    return set(line.split()[1:])


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
