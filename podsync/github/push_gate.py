"""Which pushes apply at all: only a fast-forward of the repository's default branch.

A reviewed plan is approved by merging its pull request into the default branch, and applied
by the push that merge makes. Any other push that carries the same merge commit would find the
same approval and, planning from that commit's older podsync.lock, the same checksum: main
force-reset to an old merge, a branch or a tag created at one. Each would publish the reviewed
changes a second time and pay for their audio again (and commit the lock to a branch nobody
publishes from). So before anything is looked up or planned:

- a push to another branch, a tag, a deleted branch: stand down (exit 0, a warning): the
  workflow runs on more pushes than it should, nothing here is an error of the push;
- a push to the default branch that is not a fast-forward (`forced` in the payload, `before`
  not an ancestor of `after`, or a branch created from nothing): refuse (exit 1): history was
  rewritten, podsync.lock on the branch may now be behind the account, and a person must look.

The default branch and the ref come from the event payload (`repository.default_branch`,
`ref`), as GitHub sent them for this push.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from podsync.errors import GitError, RewrittenHistory, SetupError
from podsync.github.git_auth import token_auth
from podsync.github.runner import Runner
from podsync.github.state_commit import Git

_NO_COMMIT = frozenset("0")
REMOTE = "origin"


@dataclass(frozen=True)
class StandDown:
    """The run is not for the default branch: it applies nothing, and that is not an error."""

    message: str
    headline: str = "not the default branch"


def check_push(runner: Runner, project: Path) -> StandDown | None:
    """None when this run may apply; a StandDown when it is for another ref; raises
    RewrittenHistory for a push that rewrote the default branch."""
    ref = str(runner.event.get("ref") or runner.ref)
    default = runner.default_branch
    if not default:
        raise SetupError(
            "not applying: the event payload names no default branch (repository."
            "default_branch), so this run cannot tell that it is for a push to it. Nothing "
            "was applied."
        )
    target = f"refs/heads/{default}"
    if ref != target:
        return StandDown(
            f"this run is for {_what(ref)}; podsync applies only what is merged into "
            f"{default}, by the push that merged it (run the apply job `on: push: branches: "
            f"[{default}]`). Nothing was applied or committed."
        )
    if runner.event_name != "push":
        return None  # a manual run on the default branch: the review decides
    if runner.event.get("deleted"):
        return StandDown(f"this push deleted {default}. Nothing was applied.", "branch deleted")
    before, after = str(runner.event.get("before") or ""), str(runner.event.get("after") or "")
    if runner.event.get("forced") or set(before) <= _NO_COMMIT:
        raise _rewritten(default, before, after)
    if not _fast_forward(project, runner, before, after):
        raise _rewritten(default, before, after)
    return None


def _what(ref: str) -> str:
    if ref.startswith("refs/tags/"):
        return f"a push of the tag {ref.removeprefix('refs/tags/')}"
    if ref.startswith("refs/heads/"):
        return f"a push to the branch {ref.removeprefix('refs/heads/')}"
    return f"{ref or 'no ref'}, not a push to a branch"


def _rewritten(branch: str, before: str, after: str) -> RewrittenHistory:
    if set(before) <= _NO_COMMIT:
        what = (
            f"this push created {branch} at {after[:12]}, so nothing shows that it follows "
            "what was applied before"
        )
    else:
        what = f"{branch} was force-pushed from {before[:12]} to {after[:12]}"
    return RewrittenHistory(
        f"not applying: {what}. A reviewed "
        f"plan is applied only by the push that merges its pull request into {branch}, "
        "never by one that rewrites its history (which would apply an old approval again, "
        "from an older podsync.lock). Nothing was applied. podsync.lock on "
        f"{branch} may now be behind the ZenMic account: restore the commits the push dropped, "
        "or run `podsync plan` and `podsync lock rebuild` before the next merge."
    )


def _fast_forward(project: Path, runner: Runner, before: str, after: str) -> bool:
    """Whether `before` is an ancestor of `after`, fetching what the checkout lacks; a
    checkout without git (commit-lock false) has only the payload's word."""
    if not project.is_dir():
        return True  # start_at_tip says what is wrong with the folder
    probe = Git(project)
    if probe.call("rev-parse", "--show-toplevel").returncode != 0:
        return True
    top = probe.toplevel()
    auth = token_auth(
        Git(top).remote_urls(REMOTE),
        token=runner.token,
        server_url=runner.server_url,
        environ=os.environ,
    )
    git = Git(top, auth)
    if git.call("rev-parse", "--is-shallow-repository").stdout.strip() == "true":
        git.call("fetch", "--quiet", "--no-tags", "--unshallow", REMOTE)
    for sha in (before, after):
        if not _has_commit(git, sha):
            git.call("fetch", "--quiet", "--no-tags", REMOTE, sha)
        if not _has_commit(git, sha):
            raise GitError(
                f"not applying: cannot check that this push did not rewrite "
                f"{runner.default_branch}: commit {sha[:12]} is not in the checkout and could "
                "not be fetched (check out with `fetch-depth: 0`). Nothing was applied."
            )
    return git.call("merge-base", "--is-ancestor", before, after).returncode == 0


def _has_commit(git: Git, sha: str) -> bool:
    return git.call("cat-file", "-e", f"{sha}^{{commit}}").returncode == 0
