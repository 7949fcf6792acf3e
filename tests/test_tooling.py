"""The project's own tooling: what CI installs and runs is pinned, and the version is written once.

A `>=` on a checker resolves to whatever is newest, so CI could break on a commit that changes
nothing; a version written in two places drifts.
"""

from __future__ import annotations

import importlib.metadata
import sys
from pathlib import Path

from packaging.requirements import Requirement

import podsync

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def test_every_dev_tool_is_pinned_to_one_version() -> None:
    extras = PROJECT["project"]["optional-dependencies"]
    tools = [Requirement(r) for r in extras["dev"]]
    assert {"pytest", "hypothesis", "vcrpy", "ruff", "mypy", "check-jsonschema"} <= {
        t.name for t in tools
    }
    for tool in tools:
        operators = [spec.operator for spec in tool.specifier]
        assert operators == ["=="], f"{tool} is not pinned to one version"
    assert extras["test"] == ["podsync[dev]"]


def test_the_version_is_written_once_in_the_package() -> None:
    assert "version" not in PROJECT["project"]
    assert PROJECT["project"]["dynamic"] == ["version"]
    assert PROJECT["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "podsync.__version__"}
    assert importlib.metadata.version("podsync") == podsync.__version__


def test_mypy_reads_the_stubs_instead_of_ignoring_missing_imports() -> None:
    mypy = PROJECT["tool"]["mypy"]
    assert mypy["strict"] is True
    assert "ignore_missing_imports" not in mypy
    assert {"podsync", "tests", "benchmarks"} <= set(mypy["files"])


def test_ci_checks_the_formatting() -> None:
    script = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert ".venv/bin/ruff format --check podsync tests benchmarks" in script
    assert ".venv/bin/pip install --quiet -e '.[dev]'" in script


def test_readme_installs_what_ci_installs() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert ".venv/bin/pip install -e '.[dev]'" in readme
