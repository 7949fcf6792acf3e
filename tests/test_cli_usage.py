"""Usage mistakes exit 1, never 2 (which means "changes pending"), and name what is wrong."""

from __future__ import annotations

import re
from importlib.metadata import version
from pathlib import Path

import podsync
from tests.helpers import run_podsync


def test_usage_errors_exit_1(tmp_path: Path) -> None:
    bad_format = run_podsync("plan", "--format", "xml", cwd=tmp_path)
    assert bad_format.returncode == 1
    assert "'xml' is not one of 'text', 'json', 'markdown'" in bad_format.stderr
    missing = run_podsync("plan", "no-such-dir", "--detailed-exitcode", cwd=tmp_path)
    assert missing.returncode == 1
    assert "does not exist" in missing.stderr


def test_a_folder_that_is_not_a_project_is_an_error_not_an_empty_plan(tmp_path: Path) -> None:
    result = run_podsync("validate", cwd=tmp_path)
    assert result.returncode == 1
    assert "is not a podsync project" in result.stderr


def test_help_and_version_exit_0(tmp_path: Path) -> None:
    help_text = run_podsync("--help", cwd=tmp_path)
    assert help_text.returncode == 0
    assert "ZENMIC_API_KEY" in help_text.stdout
    # written once, in podsync/__init__.py: the package metadata reads it from there
    assert version("podsync") == podsync.__version__
    printed = run_podsync("--version", cwd=tmp_path).stdout
    assert printed == f"podsync, version {podsync.__version__}\n"


def test_schema_command_prints_the_shipped_schemas(tmp_path: Path) -> None:
    root = Path(__file__).resolve().parent.parent / "schemas"
    for name in ("manifest", "project", "lock", "plan", "script"):
        printed = run_podsync("schema", name, cwd=tmp_path)
        assert printed.returncode == 0
        assert printed.stdout == (root / f"{name}.schema.json").read_text(encoding="utf-8")


def test_readme_names_every_emulator_option_and_environment_variable() -> None:
    """README's commands table is where users look for `--quirk`; a new option or variable
    that only `--help` or the code knows of is as good as hidden."""
    from click.testing import CliRunner

    from podsync import endpoint
    from podsync.cli import main

    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    row = next(line for line in readme.splitlines() if line.startswith("| `podsync emulator`"))
    shown = CliRunner().invoke(main, ["emulator", "--help"]).output
    options = set(re.findall(r"(--[a-z][a-z-]+)", shown)) - {"--help"}
    assert "--quirk" in options
    assert sorted(o for o in options if o not in row) == []
    names = [v for k, v in vars(endpoint).items() if k.endswith("_ENV")]
    assert "ZENMIC_EMULATOR_QUIRKS" in names
    assert sorted(n for n in names if f"`{n}`" not in readme) == []
