"""Commit podsync.lock, and only it, to a branch and push it, as the GitHub Actions bot.

After an apply the lock holds what podsync created and paid for; if it were not
committed, the next run would not know it. The commit is built with git plumbing (a temporary
index holding the parent's tree plus the new lock), so nothing else in the workspace can slip
in, and it works the same from a branch checkout, a detached pull-request merge commit or a
shallow clone.

When the branch moved meanwhile (a push landed during a long apply) the push is refused as a
non-fast-forward: the branch is fetched again and the one-file commit is rebuilt on its new tip,
a rebase, a few times. If the lock itself changed on the branch meanwhile, that is a conflict
this cannot resolve without losing someone's records, and it stops and says so.
"""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from podsync.errors import GitError, LockConflict
from podsync.github.git_auth import NO_AUTH, GitAuth

BOT_NAME = "github-actions[bot]"
BOT_EMAIL = "41898282+github-actions[bot]@users.noreply.github.com"
# the environment of every commit podsync makes in the Action: author and committer are the bot
BOT_IDENTITY = {
    "GIT_AUTHOR_NAME": BOT_NAME,
    "GIT_AUTHOR_EMAIL": BOT_EMAIL,
    "GIT_COMMITTER_NAME": BOT_NAME,
    "GIT_COMMITTER_EMAIL": BOT_EMAIL,
}
PUSH_ATTEMPTS = 5
# Both are read by git hosts: [skip ci] by GitHub Actions (and most CI), so the lock commit
# never starts the workflow that made it.
SKIP_CI = "[skip ci]"

_USERINFO = re.compile(r"(://)[^/@\s]+@")
_RETRYABLE = ("[rejected]", "non-fast-forward", "fetch first", "failed to update ref")
_PUSH_HELP = (
    "Give the workflow `permissions: contents: write`; if the branch is protected, allow the "
    "token to push to it or pass one that may (github-token); or set commit-lock: false and "
    "commit podsync.lock another way"
)


@dataclass(frozen=True)
class Pushed:
    commit: str
    branch: str
    attempts: int  # pushes it took; more than 1 means the branch moved and was rebased on


def commit_message(working_directory: str, why: str) -> str:
    where = "" if working_directory in ("", ".") else f" in {working_directory}"
    return f"podsync: update podsync.lock{where} after {why} {SKIP_CI}"


def commit_lock(
    lock_path: Path,
    *,
    branch: str,
    message: str,
    remote: str = "origin",
    attempts: int = PUSH_ATTEMPTS,
    auth: GitAuth = NO_AUTH,
) -> Pushed | None:
    """Commit the file at `lock_path` on top of the checked-out commit and push it to `branch`
    (with `auth`); None when the lock there already has these bytes (nothing to commit)."""
    if not lock_path.is_file():
        return None
    inside = Git(lock_path.parent, auth)
    git = Git(inside.toplevel(), auth)
    path = inside.run("rev-parse", "--show-prefix").strip() + lock_path.name
    blob = git.run("hash-object", "-w", "--", path).strip()
    parent = git.run("rev-parse", "--verify", "HEAD^{commit}").strip()
    base = git.blob_at(parent, path)
    if base == blob:
        return None
    for attempt in range(1, attempts + 1):
        commit = git.commit_file(parent, path, blob, message)
        refused = git.push(remote, commit, branch)
        if refused is None:
            git.advance_head(parent, commit, path)
            return Pushed(commit, branch, attempt)
        if attempt == attempts:
            raise GitError(
                f"could not push podsync.lock to {branch}: the branch kept moving "
                f"({attempts} attempts); run the workflow again"
            )
        tip = git.fetch(remote, branch)
        moved = git.blob_at(tip, path)
        if moved == blob:
            return None  # the same lock is already there
        if moved != base:
            raise LockConflict(
                f"podsync.lock changed on {branch} while this run updated it (another apply, or "
                f"a hand edit); not overwriting it. This run's lock is in {lock_path}: merge the "
                "two by hand, or run `podsync lock rebuild` on the branch"
            )
        parent = tip
    raise AssertionError("unreachable")


class Git:
    """git in one repository, with the bot's identity and without the user's hooks on commit;
    `auth` is given to every command (it only applies to fetches and pushes)."""

    def __init__(self, cwd: Path, auth: GitAuth = NO_AUTH) -> None:
        self.cwd = cwd
        self.auth = auth

    def run(self, *args: str, env: dict[str, str] | None = None, check: bool = True) -> str:
        result = self.call(*args, env=env)
        if check and result.returncode != 0:
            raise GitError(
                f"git {args[0]} failed in {self.cwd}: {self.scrub(result.stderr.strip())}"
            )
        return result.stdout

    def call(
        self, *args: str, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        try:
            return subprocess.run(
                ["git", *args],
                cwd=self.cwd,
                env={**os.environ, "GIT_TERMINAL_PROMPT": "0", **self.auth.env, **(env or {})},
                capture_output=True,
                text=True,
                check=False,
            )
        except OSError as exc:
            raise GitError(f"cannot run git: {exc.strerror}") from None

    def scrub(self, text: str) -> str:
        """git may echo a remote URL or a header; never let credentials reach the log."""
        return self.auth.scrub(_scrub(text))

    def toplevel(self) -> Path:
        return Path(self.run("rev-parse", "--show-toplevel").strip())

    def blob_at(self, commit: str, path: str) -> str | None:
        result = self.call("rev-parse", "--verify", "--quiet", f"{commit}:{path}")
        return result.stdout.strip() if result.returncode == 0 else None

    def commit_file(self, parent: str, path: str, blob: str, message: str) -> str:
        """A commit whose tree is `parent`'s with `path` set to `blob`, by the bot."""
        with tempfile.TemporaryDirectory(prefix="podsync-index-") as directory:
            index = {"GIT_INDEX_FILE": str(Path(directory) / "index")}
            self.run("read-tree", parent, env=index)
            self.run("update-index", "--add", "--cacheinfo", f"100644,{blob},{path}", env=index)
            tree = self.run("write-tree", env=index).strip()
        return self.run("commit-tree", tree, "-p", parent, "-m", message, env=BOT_IDENTITY).strip()

    def push(self, remote: str, commit: str, branch: str) -> str | None:
        """Push; None on success, git's message when the branch moved (worth a rebase)."""
        result = self.call("push", "--porcelain", remote, f"{commit}:refs/heads/{branch}")
        if result.returncode == 0:
            return None
        said = f"{result.stdout}\n{result.stderr}"
        if any(sign in said for sign in _RETRYABLE):
            return self.scrub(said.strip())
        raise GitError(
            f"git push of podsync.lock to {branch} was refused: "
            f"{self.scrub(result.stderr.strip())}\n{_PUSH_HELP}"
        )

    def check_push(self, remote: str, commit: str, branch: str) -> None:
        """Raise unless a push to `branch` would be accepted as far as can be known before:
        `git push --dry-run` asks the server for push access (GitHub answers 403 to a token
        without `contents: write`) but runs no server hook, so a protected branch shows only
        on the real push. A branch that moved meanwhile is fine: access is what is checked."""
        result = self.call(
            "push", "--dry-run", "--porcelain", remote, f"{commit}:refs/heads/{branch}"
        )
        said = f"{result.stdout}\n{result.stderr}"
        if result.returncode == 0 or any(sign in said for sign in _RETRYABLE):
            return
        raise GitError(
            f"podsync.lock could not be pushed to {branch} with {self.auth.source} "
            f"(git push --dry-run: {self.scrub(result.stderr.strip()) or 'refused'})\n"
            f"{_PUSH_HELP}"
        )

    def remote_urls(self, remote: str) -> list[str]:
        """The URLs git fetches from and pushes to for `remote` ([] when there is none)."""
        urls = []
        for extra in ((), ("--push",)):
            result = self.call("remote", "get-url", *extra, remote)
            if result.returncode == 0 and result.stdout.strip():
                urls.append(result.stdout.strip())
        return urls

    def fetch(self, remote: str, branch: str) -> str:
        self.run("fetch", "--quiet", "--no-tags", remote, f"refs/heads/{branch}")
        return self.run("rev-parse", "--verify", "FETCH_HEAD^{commit}").strip()

    def advance_head(self, old: str, new: str, path: str) -> None:
        """Move the checked-out branch to the pushed commit when it was built right on it, so
        the workspace is clean afterwards; leave it alone in any other case."""
        self.call("update-ref", "-m", "podsync: commit podsync.lock", "HEAD", new, old)
        if self.blob_at("HEAD", path) is not None and self.run("rev-parse", "HEAD").strip() == new:
            self.call("reset", "--quiet", "--", path)


def _scrub(text: str) -> str:
    """git may echo a remote URL; never let credentials embedded in one reach the log."""
    return _USERINFO.sub(r"\1***@", text)
