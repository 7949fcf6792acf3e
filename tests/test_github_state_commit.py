"""Committing podsync.lock back: only that file, as the bot, rebased when the branch moved,
refused when the lock itself changed there."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from podsync.errors import LockConflict, PodsyncError
from podsync.github.git_auth import NO_AUTH, token_auth
from podsync.github.state_commit import BOT_EMAIL, Git, commit_lock
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


def test_the_token_goes_to_git_through_the_environment_for_the_github_server_only() -> None:
    remote = "https://github.com/acme/podcasts"
    auth = token_auth(
        [remote, remote, "https://evil.example/acme/podcasts", "/tmp/origin.git"],
        token="ghs_Token",
        environ={"GIT_CONFIG_COUNT": "1"},  # one entry set by someone else stays first
    )
    header = "AUTHORIZATION: basic " + base64.b64encode(b"x-access-token:ghs_Token").decode()
    assert auth.env == {
        "GIT_CONFIG_KEY_1": f"http.{remote}.extraheader",
        "GIT_CONFIG_VALUE_1": "",  # drops a header configured before (actions/checkout's)
        "GIT_CONFIG_KEY_2": f"http.{remote}.extraheader",
        "GIT_CONFIG_VALUE_2": header,
        "GIT_CONFIG_COUNT": "3",
    }
    assert auth.source == "the github-token input"
    assert "ghs_Token" not in repr(auth)
    assert auth.scrub(f"said ghs_Token and {header}") == "said *** and AUTHORIZATION: basic ***"
    on_enterprise = token_auth(
        ["https://git.acme.internal/acme/podcasts"],
        token="ghs_Token",
        server_url="https://git.acme.internal/",
    )
    assert on_enterprise.env["GIT_CONFIG_COUNT"] == "2"


def test_no_token_or_no_remote_on_the_server_means_git_keeps_its_own_credentials() -> None:
    assert token_auth(["https://github.com/acme/podcasts"], token=" ") == NO_AUTH
    assert token_auth(["git@github.com:acme/podcasts.git"], token="ghs_Token") == NO_AUTH
    assert token_auth(["https://github.com.evil.example/x"], token="ghs_Token") == NO_AUTH
    assert token_auth(["/tmp/origin.git"], token="ghs_Token").env == {}


def test_a_push_that_cannot_be_made_is_known_before(tmp_path: Path) -> None:
    origin, work = repository(tmp_path)
    git_ = Git(work)
    head = git_.run("rev-parse", "HEAD").strip()
    git_.check_push("origin", head, "main")  # access is fine, whatever the server hooks say
    git(work, "remote", "set-url", "--push", "origin", str(tmp_path / "gone.git"))
    with pytest.raises(PodsyncError, match="podsync.lock could not be pushed to main") as refused:
        git_.check_push("origin", head, "main")
    assert "contents: write" in str(refused.value)
