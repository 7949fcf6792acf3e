"""The pre-commit hook in .pre-commit-hooks.yaml, run by pre-commit itself on a temporary git
repository holding a project.

Offline and fast: the repository's .pre-commit-config.yaml is a `repo: local` with the hook's
own definition read from .pre-commit-hooks.yaml, only `language: system` instead of `python`
(pre-commit would otherwise build a virtualenv and pip-install podsync into it), so the hook
runs the `podsync` of this venv."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent


def pre_commit(repo: Path, home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", "run", "--color=never", *args],
        cwd=repo,
        env={**os.environ, "PATH": path, "PRE_COMMIT_HOME": str(home)},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, timeout=30)


def test_the_pre_commit_hook_validates_the_project(project: Path, tmp_path: Path) -> None:
    pytest.importorskip("pre_commit", reason="the pre-commit package is not installed")
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    hook = next(h for h in hooks if h["id"] == "podsync-validate")
    assert hook["entry"] == "podsync validate" and hook["pass_filenames"] is False
    config = {"repos": [{"repo": "local", "hooks": [{**hook, "language": "system"}]}]}
    (project / ".pre-commit-config.yaml").write_text(yaml.safe_dump(config))
    git(project, "init", "-q")
    git(project, "add", "-A")
    home = tmp_path / "pre-commit-home"

    passed = pre_commit(project, home, "--all-files")
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert "podsync validate" in passed.stdout and "Passed" in passed.stdout

    manifest = project / "shows/tech-weekly.yaml"
    manifest.write_text(manifest.read_text().replace("show: tech-weekly", "show: Tech Weekly"))
    git(project, "add", "-A")
    failed = pre_commit(project, home, "--all-files")
    assert failed.returncode == 1
    assert "Failed" in failed.stdout
    assert "shows/tech-weekly.yaml:2:7: " in failed.stdout

    # a commit that touches no manifest does not run it
    skipped = pre_commit(project, home, "--files", "docs/privacy.md")
    assert skipped.returncode == 0, skipped.stdout
    assert "(no files to check)Skipped" in skipped.stdout
