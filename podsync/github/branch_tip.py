"""Apply from the branch as it is now, not as it was when the push happened.

actions/checkout checks out the pushed commit (GITHUB_SHA), and the branch may have moved on
since: typically the apply of the pull request merged just before committed podsync.lock after
this push. Planning from the pushed commit's lock would miss that apply's records, so this run
would add its episodes again (and pay for their audio again). So before anything else apply
fetches the branch and compares:

- the tip is the pushed commit: go on;
- the tip differs only by podsync.lock files, or by files outside this project: move the
  workspace to the tip (a detached checkout), whose lock is current, and go on; the plan is
  made of the same manifests, so the reviewed checksum still applies;
- the tip carries other changes to this project (a later push): this run is superseded. The
  run for that push applies them (the workflow's concurrency group keeps the newest pending
  run), so this one applies nothing and says so.

Then, when the lock will be committed, it checks that it can be pushed at all, before any
money is spent on a run that could not record what it did.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from podsync.errors import ConfigError, GitError, PodsyncError
from podsync.github.git_auth import NO_AUTH, GitAuth, token_auth
from podsync.github.runner import Runner
from podsync.github.state_commit import Git
from podsync.lock import LOCK_NAME

REMOTE = "origin"


@dataclass(frozen=True)
class Start:
    """Where apply starts: `superseded_by` is the newer tip whose own run applies instead."""

    auth: GitAuth
    message: str
    superseded_by: str | None = None

    @property
    def superseded(self) -> bool:
        return self.superseded_by is not None


def start_at_tip(project: Path, runner: Runner, *, check_push: bool) -> Start:
    """Fetch the pushed branch, move to its tip or stand down (see the module docstring), and
    with `check_push` make sure podsync.lock can be pushed back; raises PodsyncError when the
    run must not go on."""
    if not project.is_dir():
        raise ConfigError(
            f"{project} is not a podsync project: there is no such folder (working-directory "
            "is relative to the repository's root)"
        )
    probe = Git(project)
    if probe.call("rev-parse", "--show-toplevel").returncode != 0:
        if check_push:
            raise GitError(
                f"{project} is not in a git checkout, so podsync.lock could not be committed "
                "after the apply: check out the repository first (actions/checkout), or set "
                "commit-lock: false"
            )
        return Start(NO_AUTH, "Not a git checkout: planning from the files as they are.")
    top = probe.toplevel()
    auth = token_auth(
        Git(top).remote_urls(REMOTE),
        token=runner.token,
        server_url=runner.server_url,
        environ=os.environ,  # entries the workflow set (a proxy, a CA) are kept
    )
    git = Git(top, auth)
    branch = runner.branch
    if not branch:  # not a push to a branch: nothing to compare with
        start = Start(auth, f"{runner.ref or 'This run'} is not a branch: planning from HEAD.")
    else:
        start = _follow_tip(git, project, branch, pushed=_pushed_commit(git, runner.sha))
    if check_push and not start.superseded:
        target = branch or runner.default_branch
        if target:
            git.check_push(REMOTE, git.run("rev-parse", "HEAD").strip(), target)
    return start


def _follow_tip(git: Git, project: Path, branch: str, *, pushed: str) -> Start:
    try:
        tip = git.fetch(REMOTE, branch)
    except PodsyncError as exc:
        raise GitError(
            f"cannot fetch {branch} from {REMOTE} to check that this run plans from its tip, "
            f"with the current podsync.lock: {exc}"
        ) from None
    if tip == pushed:
        return Start(git.auth, f"{branch} is at {tip[:12]}, the commit this run was started for.")
    if not _is_ancestor(git, pushed, tip):
        return _superseded(git.auth, branch, tip, "was rewritten (force-pushed) to")
    changed = _changed_paths(git, pushed, tip, _project_path(git, project))
    if any(PurePosixPath(path).name != LOCK_NAME for path in changed):
        return _superseded(git.auth, branch, tip, "has moved on to")
    git.run("checkout", "--quiet", "--detach", tip)
    what = "podsync.lock commits" if changed else "changes outside this project"
    return Start(
        git.auth,
        f"{branch} has moved on to {tip[:12]} since {pushed[:12]} by {what} only: planning "
        "from there, so podsync.lock is current.",
    )


def _superseded(auth: GitAuth, branch: str, tip: str, how: str) -> Start:
    return Start(
        auth,
        f"{branch} {how} {tip[:12]} with further changes; the apply run for that push applies "
        "them, so this run applies nothing. If that push started no run of this workflow "
        "([skip ci], or pushed with GITHUB_TOKEN), nothing reviewed covers the combined "
        "changes: open a pull request (an empty commit is enough) so that its plan is reviewed "
        "and applied on merge.",
        superseded_by=tip,
    )


def _pushed_commit(git: Git, sha: str) -> str:
    """GITHUB_SHA when the checkout has it, else HEAD (the commit the files come from)."""
    if sha and git.call("cat-file", "-e", f"{sha}^{{commit}}").returncode == 0:
        return git.run("rev-parse", "--verify", f"{sha}^{{commit}}").strip()
    return git.run("rev-parse", "--verify", "HEAD^{commit}").strip()


def _is_ancestor(git: Git, old: str, new: str) -> bool:
    return git.call("merge-base", "--is-ancestor", old, new).returncode == 0


def _project_path(git: Git, project: Path) -> str:
    """The project folder relative to the repository root, as git pathspecs take it."""
    relative = project.resolve().relative_to(git.cwd.resolve()).as_posix()
    return "." if relative in ("", ".") else relative


def _changed_paths(git: Git, old: str, new: str, path: str) -> list[str]:
    out = git.run("diff", "--name-only", "--no-renames", "-z", old, new, "--", path)
    return [p for p in out.split("\0") if p]
