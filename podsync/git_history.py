"""The project's manifests as they were at a git commit: the pull request's base, for review.

A PR comment shows which dialogue lines changed and what a title was; for that it needs the
manifests before the change. `git archive` exports the project folder (which may be a subfolder
of the repository) at that commit, documents and dialogue files included, into a temporary
folder that load_project reads like any project.

It also reads podsync.lock at a commit, and where and when a branch forked, so the action can
tell a pull request's own edits to the lock (podsync.github.lock_review); a lock that cannot
be had there is None, and the caller decides what that means.

Everything here is best effort: a base that cannot be had (no git, an unknown ref, the project
not there yet, manifests that did not validate then) is None, never an error, because the PR's
own plan must not fail over its base.
"""

from __future__ import annotations

import shutil
import subprocess
import tarfile
import tempfile
from datetime import datetime, timezone
from pathlib import Path

from podsync.errors import PodsyncError
from podsync.lock import LOCK_NAME, Lock, read_lock
from podsync.manifest import load_project
from podsync.model import Desired

GIT_TIMEOUT_SECONDS = 60


def load_base(project: Path, ref: str) -> Desired | None:
    """The manifests of `project` at git commit or ref `ref`, or None when they cannot be had."""
    located = _locate(project) if ref and not ref.startswith("-") else None
    if located is None:
        return None
    git, repo, inside = located
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


def lock_at(project: Path, ref: str) -> Lock | None:
    """podsync.lock of `project` as committed at `ref`: an empty lock when the commit has none,
    None when it cannot be had (no git, an unknown ref, a lock that does not read)."""
    located = _locate(project)
    if located is None or not _is_commit(located[0], located[1], ref):
        return None
    git, repo, inside = located
    path = f"{inside}/{LOCK_NAME}" if inside != "." else LOCK_NAME
    if _git(git, repo, "cat-file", "-e", f"{ref}:{path}") is None:
        return Lock()
    text = _git(git, repo, "show", f"{ref}:{path}")
    if text is None:
        return None
    with tempfile.TemporaryDirectory(prefix="podsync-base-lock-") as tmp:
        copy = Path(tmp) / LOCK_NAME
        copy.write_bytes(text)
        try:
            return read_lock(copy)
        except PodsyncError:
            return None


def merge_base(project: Path, first: str, second: str) -> str | None:
    """The commit where `second` branched off `first` (git merge-base), or None."""
    located = _locate(project)
    if located is None or not all(_is_commit(located[0], located[1], r) for r in (first, second)):
        return None
    found = _git(located[0], located[1], "merge-base", first, second)
    sha = found.decode("ascii", "replace").strip() if found else ""
    return sha or None


def parents(project: Path, ref: str) -> tuple[str, ...] | None:
    """The parents of commit `ref` (two for a merge commit), or None when unknown."""
    located = _locate(project)
    if located is None or not _is_commit(located[0], located[1], ref):
        return None
    line = _git(located[0], located[1], "rev-list", "--parents", "-n", "1", ref)
    return tuple(line.decode("ascii", "replace").split()[1:]) if line else None


def commit_time(project: Path, ref: str) -> datetime | None:
    """When commit `ref` was committed, or None when unknown."""
    located = _locate(project)
    if located is None or not _is_commit(located[0], located[1], ref):
        return None
    stamp = _git(located[0], located[1], "log", "-1", "--format=%ct", ref)
    try:
        return datetime.fromtimestamp(int(stamp or b""), timezone.utc)
    except ValueError:
        return None


def _locate(project: Path) -> tuple[str, Path, str] | None:
    """git, the repository's top folder and `project` inside it, or None outside a checkout."""
    git = shutil.which("git")
    if git is None:
        return None
    folder = project.resolve()
    top = _git(git, folder, "rev-parse", "--show-toplevel")
    if top is None:
        return None
    repo = Path(top.decode("utf-8", "replace").strip()).resolve()
    try:
        return git, repo, folder.relative_to(repo).as_posix()
    except ValueError:
        return None


def _is_commit(git: str, repo: Path, ref: str) -> bool:
    if not ref or ref.startswith("-"):
        return False
    return _git(git, repo, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}") is not None


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
                # tarfile stops at the end-of-archive blocks; git still writes the padding to
                # its 10 KiB record: closing before that kills git with SIGPIPE (a failed export)
                proc.stdout.read()
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
