"""`pin-scripts: true`: on a pull request, write the scripts of its new and changed topic and
document episodes (podsync.operations.scripts, POST /scripts, free) and commit them to the pull
request's branch, so that reviewers read the words before the merge pays for their audio.

Which episodes: those of the head whose topic or document source is new or changed since the
base (compared with what a base pin was written from, so deleting a `script:` line is not
undone), and pins gone stale. An unchanged published episode is never pinned: that would
change its audio source and pay for its audio again.

Trust (docs/github-action-threat-model.md): nothing here runs for a pull request from a fork
(its run has no API key and a read-only token anyway), nor without the key. The commit is built
with git plumbing on the head commit the event names, holding only the files `podsync script`
wrote (the script files and the manifests it added `script:` lines to), by the Actions bot, and
pushed with a lease on that head: if the branch moved meanwhile the push is refused, nothing is
pushed and the comment says so (the run for the newer commit pins its scripts). A push with
the workflow's GITHUB_TOKEN starts no workflow run; a run for the pinned commit (a personal
token's push, the next push) finds every pin fresh and commits nothing, so it cannot loop.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from podsync.endpoint import API_KEY_ENV
from podsync.errors import GitError, PodsyncError
from podsync.git_history import load_base
from podsync.github.git_auth import GitAuth, token_auth
from podsync.github.runner import PullRequestEvent, Runner
from podsync.github.state_commit import BOT_IDENTITY, Git
from podsync.model import Desired, Episode
from podsync.operations.scripts import ScriptEvent, write_scripts
from podsync.operations.steps import load_desired
from podsync.plan import counted
from podsync.script_pins import inputs_fingerprint

REMOTE = "origin"
COMMIT_SUBJECT = "podsync: pin the scripts of new and changed episodes for review"
_WROTE = ("written", "rewritten")
_MOVED = ("[rejected]", "stale info", "non-fast-forward", "fetch first", "failed to update ref")

FORK = (
    "This pull request comes from a fork: its workflow run gets no ZENMIC_API_KEY and a "
    "read-only token, so podsync did not write or commit any scripts (pin-scripts runs only for "
    "branches of this repository). The words of its new episodes are written when the merge is "
    "applied, unseen; to review them first, run `podsync script` and commit the files, or open "
    "the pull request from a branch of this repository."
)
NO_KEY = (
    f"{API_KEY_ENV} is not set, so podsync did not write any scripts (POST /scripts needs the "
    "key; pass secrets.ZENMIC_API_KEY as api-key)."
)


@dataclass(frozen=True)
class Pinning:
    """What pin-scripts did: the scripts written and the commit that carries them, or why
    nothing was pushed (`skipped`), or the script request that failed (`failed`)."""

    events: tuple[ScriptEvent, ...] = ()
    commit: str | None = None
    branch: str = ""
    skipped: str | None = None
    failed: str | None = None

    @property
    def written(self) -> tuple[ScriptEvent, ...]:
        return tuple(e for e in self.events if e.action in _WROTE)


def wanted(head: Desired, base: Desired | None) -> list[str]:
    """`SHOW/EPISODE` of the head's episodes whose script to write: a topic or document source
    new or changed since the base, or a stale pin."""
    names = []
    for show in head.shows:
        was = base.show(show.key) if base is not None else None
        for episode in show.episodes:
            old = next((e for e in was.episodes if e.key == episode.key), None) if was else None
            if _needs_script(episode, old):
                names.append(f"{show.key}/{episode.key}")
    return names


def pinned_files(desired: Desired) -> dict[tuple[str, str], str]:
    """(show, episode) -> script file of every pinned episode, for the comment to fold the
    scripts it shows."""
    return {(s.key, e.key): e.script.file for s in desired.shows for e in s.episodes if e.script}


def _needs_script(episode: Episode, old: Episode | None) -> bool:
    if episode.script is not None:
        return bool(episode.script.stale)
    if episode.source.kind not in ("topic", "document"):
        return False
    if old is None:
        return True
    was = old.script.inputs if old.script else old.source
    return inputs_fingerprint(episode.source) != inputs_fingerprint(was)


def pin_scripts(
    project: Path,
    runner: Runner,
    pull: PullRequestEvent,
    *,
    has_key: bool,
    say: Callable[[str], None],
) -> Pinning:
    """Write and push the scripts the pull request needs (see the module docstring); never
    raises for what a reviewer should read in the comment instead."""
    names = wanted(load_desired(project), load_base(project, pull.base_sha))
    if not names:  # nothing to say either: a pull request without such episodes
        return Pinning()
    if pull.from_fork:
        return Pinning(skipped=FORK)
    if not has_key:
        return Pinning(skipped=NO_KEY)
    branch = pull.head_ref
    try:
        git = _git(project, runner)
        tip = _tip(git, branch)
    except PodsyncError as exc:
        return Pinning(branch=branch, skipped=f"podsync did not write any scripts: {exc}")
    if tip != pull.head_sha:
        return Pinning(branch=branch, skipped=_moved(branch, pull.head_sha, tip))
    events: list[ScriptEvent] = []
    failed = None
    try:
        write_scripts(project, names, report=events.append)
    except PodsyncError as exc:
        failed = str(exc)
    paths = _written_paths(git, project, events)
    if not paths:
        return Pinning(tuple(events), branch=branch, failed=failed)
    pinning = Pinning(tuple(events), branch=branch, failed=failed)
    try:
        diverged = [p for p in paths if git.blob_at("HEAD", p) != git.blob_at(pull.head_sha, p)]
        if diverged:
            _restore(git, paths)
            return Pinning(
                pinning.events,
                branch=branch,
                failed=failed,
                skipped=(
                    f"{', '.join(diverged)} differs between the pull request's branch and its "
                    "merge with the base, so podsync did not commit the scripts it wrote: merge "
                    f"the base into {branch}, or run `podsync script` and commit the files"
                ),
            )
        commit = _commit(git, pull.head_sha, paths, pinning.written)
        refused = _push(git, commit, branch, pull.head_sha)
    except PodsyncError as exc:
        _restore(git, paths)
        return Pinning(pinning.events, branch=branch, failed=failed, skipped=str(exc))
    if refused:
        _restore(git, paths)
        return Pinning(pinning.events, branch=branch, failed=failed, skipped=refused)
    _advance(git, pull.head_sha, commit, paths)
    say(f"Committed {counted(len(pinning.written), 'pinned script')} to {branch} ({commit[:12]}).")
    return Pinning(pinning.events, commit=commit, branch=branch, failed=failed)


def _git(project: Path, runner: Runner) -> Git:
    probe = Git(project)
    if probe.call("rev-parse", "--show-toplevel").returncode != 0:
        raise GitError(f"{project} is not in a git checkout (check out the repository first)")
    top = probe.toplevel()
    auth: GitAuth = token_auth(
        Git(top).remote_urls(REMOTE),
        token=runner.token,
        server_url=runner.server_url,
        environ=os.environ,
    )
    return Git(top, auth)


def _tip(git: Git, branch: str) -> str:
    if not branch:
        raise GitError("the pull_request event names no head branch to commit to")
    listed = git.run("ls-remote", REMOTE, f"refs/heads/{branch}").split()
    if not listed:
        raise GitError(f"the branch {branch} is not on {REMOTE} (deleted?)")
    return listed[0]


def _moved(branch: str, head: str, tip: str) -> str:
    return (
        f"{branch} moved from {head[:12]} (this run's commit) to {tip[:12]} while this run "
        "started, so podsync pushed no scripts to it: the run for the newer commit pins them"
    )


def _written_paths(git: Git, project: Path, events: list[ScriptEvent]) -> list[str]:
    """The files `podsync script` wrote, relative to the repository's root."""
    top = git.cwd.resolve()
    root = project.resolve()
    files = [root / e.file for e in events if e.action in _WROTE]
    files += [Path(os.path.abspath(e.pinned_in)).resolve() for e in events if e.pinned_in]
    return sorted({f.relative_to(top).as_posix() for f in files})


def _commit(git: Git, parent: str, paths: list[str], written: tuple[ScriptEvent, ...]) -> str:
    """A commit whose tree is `parent`'s with `paths` as in the workspace, by the bot."""
    with tempfile.TemporaryDirectory(prefix="podsync-index-") as directory:
        index = {"GIT_INDEX_FILE": str(Path(directory) / "index")}
        git.run("read-tree", parent, env=index)
        for path in paths:
            blob = git.run("hash-object", "-w", "--", path).strip()
            git.run("update-index", "--add", "--cacheinfo", f"100644,{blob},{path}", env=index)
        tree = git.run("write-tree", env=index).strip()
    body = "\n".join(f"- {e.show}/{e.episode}: {e.file}" for e in written)
    message = (
        f"{COMMIT_SUBJECT}\n\nWritten by POST /scripts (pin-scripts: true) so that reviewers "
        f"read the words before the merge pays for their audio:\n{body}\n"
    )
    return git.run("commit-tree", tree, "-p", parent, "-m", message, env=BOT_IDENTITY).strip()


def _push(git: Git, commit: str, branch: str, head: str) -> str | None:
    """Push `commit` to `branch` only while the branch is still at `head` (a lease, never a
    force over someone's push); None when pushed, why not when the branch moved."""
    ref = f"refs/heads/{branch}"
    result = git.call(
        "push", "--porcelain", f"--force-with-lease={ref}:{head}", REMOTE, f"{commit}:{ref}"
    )
    if result.returncode == 0:
        return None
    said = f"{result.stdout}\n{result.stderr}"
    if any(sign in said for sign in _MOVED):
        return (
            f"{branch} moved while this run wrote the scripts, so podsync pushed nothing to it "
            "(it never overwrites a push): the run for the newer commit pins them"
        )
    raise GitError(
        f"git push of the pinned scripts to {branch} was refused: "
        f"{git.scrub(result.stderr.strip())}\nGive the plan job `permissions: contents: write`, "
        "or set pin-scripts: false"
    )


def _restore(git: Git, paths: list[str]) -> None:
    """Put the workspace back as checked out, so the plan shown is the branch's."""
    for path in paths:
        if git.blob_at("HEAD", path) is not None:
            git.run("checkout", "--quiet", "HEAD", "--", path)
        else:
            (git.cwd / path).unlink(missing_ok=True)


def _advance(git: Git, old: str, new: str, paths: list[str]) -> None:
    """When the workspace is the branch itself (not GitHub's merge commit), move it to the
    pushed commit, so it is clean afterwards."""
    if git.run("rev-parse", "HEAD").strip() != old:
        return
    git.call("update-ref", "-m", "podsync: pin scripts", "HEAD", new, old)
    git.call("reset", "--quiet", "--", *paths)
