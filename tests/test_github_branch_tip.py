"""apply plans from the tip of the branch, not from the pushed commit; a run that a later push
overtook stands down; and the lock commit is never lost (nor paid for without being pushable).

actions/checkout checks out the pushed commit (GITHUB_SHA), which the previous apply's lock
commit may already have left behind. These tests run the apply steps the way GitHub orders them
when pull requests are merged back to back, with the git remote ahead of the checkout.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

import podsync.github.action
import podsync.github.branch_tip
from podsync.github.branch_tip import Start
from podsync.github.state_commit import BOT_EMAIL, BOT_NAME
from tests.conftest import TEST_KEY, Emulator
from tests.fake_github import FakeGitHub
from tests.git_http import GitHttp
from tests.runner_sim import GH_TOKEN, PROJECT_DIR, REPO, Sim, git

BOT = f"{BOT_NAME} <{BOT_EMAIL}>"
LOCK = f"{PROJECT_DIR}/podsync.lock"


def add_quantum(data: dict[str, Any]) -> None:
    data["episodes"].append(
        {
            "key": "quantum",
            "title": "Episode 5 - Quantum",
            "description": "Qubits, plainly.",
            "source": {"topic": "Quantum computing for everyone", "duration_minutes": 4},
        }
    )


def two_pull_requests(sim: Sim, *, reviewed: bool = True) -> None:
    """#7 adds an episode, #8 (branched from the same main) adds a line to a dialogue; both
    planned, and the plans commented when `reviewed`."""
    env: dict[str, str | None] = {"PODSYNC_COMMENT": "auto" if reviewed else "false"}
    sim.open_pull_request("a")
    sim.edit_show(add_quantum)
    sim.commit("Add a quantum episode")
    planned = sim.step("plan", sim.pull_request_event(7, action="opened", branch="a"), env=env)
    assert planned.exit_code == 0, planned.output
    git(sim.work, "checkout", "--quiet", "main")
    sim.open_pull_request("b")
    with (sim.project / "scripts" / "roadmap.yaml").open("a") as script:
        script.write('- [female, "And search?"]\n')
    sim.commit("One more question in the roadmap")
    planned = sim.step("plan", sim.pull_request_event(8, action="opened", branch="b"), env=env)
    assert planned.exit_code == 0, planned.output


def merge_on_github(sim: Sim, number: int, branch: str) -> str:
    """GitHub merges a pull request into main as it is on GitHub (origin), leaving the
    workspace, where a job may be running, alone."""
    server = sim.root / f"github-merge-{number}"
    git(sim.root, "clone", "--quiet", str(sim.origin), str(server))
    git(server, "fetch", "--quiet", "origin", branch)
    git(server, "merge", "--quiet", "--no-ff", "FETCH_HEAD", "-m", f"Merge pull request #{number}")
    git(server, "push", "--quiet", "origin", "main")
    sha = sim.head(repo=server)
    sim.github.merged(REPO, sha, number, branch)
    return sha


def checkout(sim: Sim, sha: str) -> None:
    """A new job's actions/checkout for a push: main at the pushed commit, not at the tip."""
    git(sim.work, "reset", "--quiet", "--hard")
    git(sim.work, "fetch", "--quiet", "origin")
    git(sim.work, "checkout", "--quiet", "-B", "main", sha)


def live_titles(emulator: Emulator) -> list[str]:
    with emulator.api() as api:
        shows = api.get("/podcasts").json()["data"]
        return sorted(
            episode["title"]
            for show in shows
            for episode in api.get(f"/podcasts/{show['show_id']}/episodes").json()["data"]
        )


@pytest.mark.parametrize("reviewed", [True, False], ids=["reviewed", "require-review-false"])
def test_back_to_back_merges_apply_each_once_from_the_current_lock(
    sim: Sim, monkeypatch: pytest.MonkeyPatch, reviewed: bool
) -> None:
    """Without the tip, #8's run would plan #7's episode again: refused forever with a review,
    added twice (and its audio paid twice) without one."""
    env: dict[str, str | None] = {"PODSYNC_REQUIRE_REVIEW": "true" if reviewed else "false"}
    two_pull_requests(sim, reviewed=reviewed)
    before = sim.head("main", sim.origin)
    first = sim.merge(7, "a")
    merged: list[str] = []
    checked = podsync.github.branch_tip.start_at_tip

    def then_merge_8(*args: Any, **kwargs: Any) -> Start:
        start = checked(*args, **kwargs)
        merged.append(merge_on_github(sim, 8, "b"))  # while #7's apply runs
        return start

    monkeypatch.setattr(podsync.github.action, "start_at_tip", then_merge_8)
    apply_7 = sim.step("apply", sim.push_event(before, first), env=env)
    monkeypatch.undo()
    assert apply_7.exit_code == 0, apply_7.output
    assert "after 1 rebase(s)" in apply_7.output
    second = merged[0]
    lock_7 = sim.origin_log()[0]
    assert lock_7["author"] == BOT and lock_7["files"] == LOCK
    assert git(sim.origin, "rev-parse", "main^") == second, "rebased on #8's merge"
    account = sim.emulator.account()
    titles = live_titles(sim.emulator)

    # #8's run starts at its own merge commit, whose podsync.lock lacks #7's records
    checkout(sim, second)
    assert "quantum" not in (sim.project / "podsync.lock").read_text()
    apply_8 = sim.step("apply", sim.push_event(first, second), env=env)
    after = sim.emulator.account()
    assert after["audios"] == account["audios"] + 1, "only #8's dialogue was generated"
    assert after["episodes"] == account["episodes"], "the dialogue episode was replaced"
    assert live_titles(sim.emulator) == titles, "no episode added twice"
    assert apply_8.exit_code == 0, apply_8.output
    assert f"has moved on to {lock_7['sha'][:12]}" in apply_8.output
    if reviewed:
        assert "reviewed in pull request #8" in apply_8.output
    assert titles.count("Episode 5 - Quantum") == 1

    lock_8, parent = sim.origin_log()[:2]
    assert lock_8["author"] == BOT and lock_8["files"] == LOCK
    assert parent["sha"] == lock_7["sha"]
    lock = json.loads(sim.origin_file(LOCK))
    episodes = lock["shows"]["tech-weekly"]["episodes"]
    assert "quantum" in episodes and "roadmap" in episodes
    assert "No changes" in sim.cli("plan", PROJECT_DIR).output


def test_a_run_overtaken_by_a_later_push_stands_down_and_the_newest_refuses_both(
    sim: Sim, github: FakeGitHub
) -> None:
    two_pull_requests(sim)
    before = sim.head("main", sim.origin)
    first = merge_on_github(sim, 7, "a")
    second = merge_on_github(sim, 8, "b")
    account, requests = sim.emulator.account(), sim.emulator.stats()["requests"]
    asked = len(github.requests)

    checkout(sim, first)
    overtaken = sim.step("apply", sim.push_event(before, first))
    assert overtaken.exit_code == 0, overtaken.output
    message = (
        f"main has moved on to {second[:12]} with further changes; the apply run for that "
        "push applies them"
    )
    assert message in overtaken.output
    assert message in overtaken.summary and "Not applied: superseded" in overtaken.summary
    assert overtaken.outputs["has-changes"] == "false"
    assert sim.emulator.stats()["requests"] == requests, "not a single ZenMic request"
    assert len(github.requests) == asked, "nor a GitHub API request"
    assert sim.head("main", sim.origin) == second, "nothing committed"

    checkout(sim, second)
    newest = sim.step("apply", sim.push_event(first, second))
    assert newest.exit_code == 1, newest.output
    assert "the plan differs from the one reviewed in pull request #8" in newest.output
    assert "now also: add episode tech-weekly/quantum" in newest.output
    assert "merge pull requests one at a time, and wait for each apply" in newest.output
    assert sim.emulator.account() == account, "nothing applied"
    assert sim.head("main", sim.origin) == second


def test_a_push_refused_after_the_apply_leaves_the_whole_lock_in_the_summary(sim: Sim) -> None:
    sim.open_pull_request()
    sim.edit_show(add_quantum)
    sim.commit("Add a quantum episode")
    assert sim.step("plan", sim.pull_request_event(7, action="opened")).exit_code == 0
    before = sim.head("main", sim.origin)
    merged = sim.merge(7)
    # main is protected: `git push --dry-run` runs no server hook, so only the real push fails
    hook = sim.origin / "hooks" / "pre-receive"
    hook.write_text(
        "#!/bin/sh\necho 'GH006: Protected branch update failed for refs/heads/main.' >&2\nexit 1\n"
    )
    hook.chmod(0o755)
    audios = sim.emulator.account()["audios"]

    run = sim.step("apply", sim.push_event(before, merged))
    assert run.exit_code == 1, run.output
    assert sim.emulator.account()["audios"] == audios + 1, "the dry run passed: it was applied"
    assert "Protected branch update failed" in run.output
    assert sim.head("main", sim.origin) == merged, "the push was refused"
    lock = (sim.project / "podsync.lock").read_text()
    assert "quantum" in lock
    saved = Path(run.outputs["lock-file"])
    assert saved.read_text() == lock
    assert "### podsync.lock was not committed" in run.summary
    assert "<details><summary>podsync.lock (" in run.summary
    assert lock.rstrip("\n") in run.summary
    assert f"git add {LOCK}" in run.summary
    assert f"saved as {saved}" in run.output
    assert TEST_KEY not in run.summary and TEST_KEY not in lock


def serve_origin_over_http(sim: Sim, tokens: dict[str, str]) -> tuple[GitHttp, Any, str]:
    """origin becomes a private repository on a git server that wants a token (plain HTTP
    on loopback: git sends the header to any scheme; the host is what podsync checks)."""
    server = GitHttp(sim.root, tokens)
    background = server.serve()
    git(sim.work, "remote", "set-url", "origin", f"{server.url}/origin.git")
    return server, background, server.url


def test_the_lock_is_pushed_with_the_github_token_and_nothing_keeps_it(sim: Sim) -> None:
    sim.open_pull_request()
    sim.edit_show(add_quantum)
    sim.commit("Add a quantum episode")
    assert sim.step("plan", sim.pull_request_event(7, action="opened")).exit_code == 0
    before = sim.head("main", sim.origin)
    merged = sim.merge(7)
    server, background, url = serve_origin_over_http(sim, {GH_TOKEN: "write", "ghs_Old": "read"})
    # actions/checkout left another token's header behind: podsync's replaces it
    stale = base64.b64encode(b"x-access-token:ghs_Old").decode()
    git(sim.work, "config", f"http.{url}/.extraheader", f"AUTHORIZATION: basic {stale}")
    try:
        run = sim.step("apply", sim.push_event(before, merged), env={"GITHUB_SERVER_URL": url})
    finally:
        background.stop()
    assert run.exit_code == 0, run.output
    assert sim.origin_log()[0]["files"] == LOCK
    assert "quantum" in sim.origin_file(LOCK)
    ours = "basic " + base64.b64encode(f"x-access-token:{GH_TOKEN}".encode()).decode()
    assert server.authorizations and server.pushes == 1
    assert all(given == [ours] for given in server.authorizations), "one header: ours"
    encoded = ours.split()[1]
    config = (sim.work / ".git" / "config").read_text()
    assert GH_TOKEN not in config and encoded not in config
    for text in (run.output, run.summary, *run.outputs.values()):
        assert GH_TOKEN not in text and encoded not in text


def test_a_token_that_cannot_push_stops_apply_before_anything_is_paid(sim: Sim) -> None:
    sim.open_pull_request()
    sim.edit_show(add_quantum)
    sim.commit("Add a quantum episode")
    assert sim.step("plan", sim.pull_request_event(7, action="opened")).exit_code == 0
    before = sim.head("main", sim.origin)
    merged = sim.merge(7)
    _, background, url = serve_origin_over_http(sim, {GH_TOKEN: "read"})
    account, requests = sim.emulator.account(), sim.emulator.stats()["requests"]
    try:
        run = sim.step("apply", sim.push_event(before, merged), env={"GITHUB_SERVER_URL": url})
    finally:
        background.stop()
    assert run.exit_code == 1, run.output
    assert "podsync.lock could not be pushed to main with the github-token input" in run.output
    assert "contents: write" in run.output
    assert sim.emulator.stats()["requests"] == requests, "not a single ZenMic request"
    assert sim.emulator.account() == account
    assert GH_TOKEN not in run.output


def test_the_token_goes_only_to_the_github_server(sim: Sim) -> None:
    """origin on another host than GITHUB_SERVER_URL: git is left with what it has (here
    nothing), so the fetch fails for want of credentials and the token was never sent."""
    sim.open_pull_request()
    sim.edit_show(add_quantum)
    sim.commit("Add a quantum episode")
    assert sim.step("plan", sim.pull_request_event(7, action="opened")).exit_code == 0
    before = sim.head("main", sim.origin)
    merged = sim.merge(7)
    server, background, _ = serve_origin_over_http(sim, {GH_TOKEN: "write"})
    try:
        run = sim.step(
            "apply", sim.push_event(before, merged), env={"GITHUB_SERVER_URL": "https://github.com"}
        )
    finally:
        background.stop()
    assert run.exit_code == 1, run.output
    assert "cannot fetch main from origin" in run.output
    assert server.authorizations and all(given == [] for given in server.authorizations)
