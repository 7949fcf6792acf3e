"""Committing podsync.lock back: only that file, as the bot, rebased when the branch moved,
refused when the lock itself changed there."""

from __future__ import annotations

from pathlib import Path

import pytest

from podsync.errors import PodsyncError
from podsync.github.lock_commit import BOT_EMAIL, LockConflict, commit_lock
from tests.runner_sim import git

MESSAGE = "podsync: update podsync.lock after apply [skip ci]"


def repository(tmp_path: Path) -> tuple[Path, Path]:
    origin, work = tmp_path / "origin.git", tmp_path / "work"
    origin.mkdir()
    git(origin, "init", "--quiet", "--bare", "--initial-branch=main")
    git(tmp_path, "clone", "--quiet", str(origin), str(work))
    git(work, "checkout", "--quiet", "-b", "main")
    (work / "app").mkdir()
    (work / "app" / "podsync.lock").write_text('{"version": 1}\n')
    (work / "other.txt").write_text("one\n")
    git(work, "add", "-A")
    git(work, "commit", "--quiet", "-m", "start")
    git(work, "push", "--quiet", "origin", "main")
    return origin, work


def colleague_pushes(tmp_path: Path, origin: Path, path: str, text: str) -> None:
    other = tmp_path / f"colleague-{len(list(tmp_path.iterdir()))}"
    git(tmp_path, "clone", "--quiet", str(origin), str(other))
    (other / path).write_text(text)
    git(other, "commit", "--quiet", "-am", "colleague")
    git(other, "push", "--quiet", "origin", "main")


def test_only_the_lock_is_committed_and_nothing_when_it_did_not_change(tmp_path: Path) -> None:
    origin, work = repository(tmp_path)
    lock = work / "app" / "podsync.lock"
    assert commit_lock(lock, branch="main", message=MESSAGE) is None
    (work / "other.txt").write_text("an unrelated local edit\n")
    lock.write_text('{"version": 1, "shows": {}}\n')
    pushed = commit_lock(lock, branch="main", message=MESSAGE)
    assert pushed is not None and pushed.attempts == 1
    assert git(origin, "show", "--name-only", "--format=%ae %s", "main").splitlines() == [
        f"{BOT_EMAIL} {MESSAGE}",
        "",
        "app/podsync.lock",
    ]
    assert git(origin, "show", "main:other.txt") == "one"
    assert git(work, "status", "--porcelain") == "M other.txt"


def test_a_lock_changed_on_the_branch_meanwhile_is_not_overwritten(tmp_path: Path) -> None:
    origin, work = repository(tmp_path)
    colleague_pushes(tmp_path, origin, "app/podsync.lock", '{"version": 1, "theirs": 1}\n')
    before = git(origin, "rev-parse", "main")
    (work / "app" / "podsync.lock").write_text('{"version": 1, "ours": 1}\n')
    with pytest.raises(LockConflict, match="podsync.lock changed on main while this run"):
        commit_lock(work / "app" / "podsync.lock", branch="main", message=MESSAGE)
    assert git(origin, "rev-parse", "main") == before


def test_a_refused_push_says_why_without_credentials(tmp_path: Path) -> None:
    origin, work = repository(tmp_path)
    hook = origin / "hooks" / "pre-receive"
    hook.write_text(
        "#!/bin/sh\necho 'protected branch; see https://x-access-token:ghs_SECRET@example.com/x'"
        " >&2\nexit 1\n"
    )
    hook.chmod(0o755)
    (work / "app" / "podsync.lock").write_text('{"version": 1, "ours": 1}\n')
    with pytest.raises(PodsyncError) as refused:
        commit_lock(work / "app" / "podsync.lock", branch="main", message=MESSAGE)
    assert "protected branch" in str(refused.value)
    assert "ghs_SECRET" not in str(refused.value)
    assert "commit-lock: false" in str(refused.value)
