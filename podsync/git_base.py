"""The project's manifests as they were at a git commit: the pull request's base, for review.

A PR comment shows which dialogue lines changed and what a title was; for that it needs the
manifests before the change. `git archive` exports the project folder (which may be a subfolder
of the repository) at that commit, documents and dialogue files included, into a temporary
folder that load_project reads like any project.

Everything here is best effort: a base that cannot be had (no git, an unknown ref, the project
not there yet, manifests that did not validate then) is None, never an error, because the PR's
own plan must not fail over its base.
"""

from __future__ import annotations

import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path

from podsync.errors import PodsyncError
from podsync.manifest import load_project
from podsync.model import Desired

GIT_TIMEOUT_SECONDS = 60


def load_base(project: Path, ref: str) -> Desired | None:
    """The manifests of `project` at git commit or ref `ref`, or None when they cannot be had."""
    git = shutil.which("git")
    if git is None or not ref or ref.startswith("-"):
        return None
    folder = project.resolve()
    top = _git(git, folder, "rev-parse", "--show-toplevel")
    if top is None:
        return None
    repo = Path(top.decode("utf-8", "replace").strip()).resolve()
    try:
        inside = folder.relative_to(repo).as_posix()
    except ValueError:
        return None
    with tempfile.TemporaryDirectory(prefix="podsync-base-") as tmp:
        if not _export(git, repo, ref, inside, Path(tmp)):
            return None
        root = Path(tmp) / inside
        if not root.is_dir():
            return None
        try:
            return load_project(root)
        except (PodsyncError, OSError):
            return None


def _export(git: str, repo: Path, ref: str, inside: str, target: Path) -> bool:
    """Stream `git archive` of folder `inside` at `ref` into `target`; False if it failed.
    Streamed rather than buffered: a project's documents may weigh hundreds of megabytes."""
    command = [git, "-C", str(repo), "archive", "--format=tar", f"{ref}^{{tree}}", "--", inside]
    try:
        with subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL
        ) as proc:
            if proc.stdout is None:
                return False
            try:
                with tarfile.open(fileobj=proc.stdout, mode="r|") as tar:
                    tar.extractall(target, filter="data")
            except (tarfile.TarError, OSError):
                proc.kill()
                return False
            finally:
                proc.stdout.close()
            return proc.wait(timeout=GIT_TIMEOUT_SECONDS) == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def _git(git: str, cwd: Path, *args: str) -> bytes | None:
    """stdout of one git command run in `cwd`, or None if it failed."""
    try:
        done = subprocess.run(
            [git, "-C", str(cwd), *args],
            capture_output=True,
            timeout=GIT_TIMEOUT_SECONDS,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout if done.returncode == 0 else None
