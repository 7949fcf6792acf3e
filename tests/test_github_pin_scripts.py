"""`pin-scripts: true` in a simulated runner: the plan step writes the scripts of a pull
request's new and changed topic episodes with POST /scripts, commits them to the pull
request's branch as the bot, and the comment shows the words; never for a fork, never over a
push that moved the branch."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from podsync.emulator.quirks import Quirks
from podsync.github.pin_scripts import COMMIT_SUBJECT, _commit, _push
from podsync.github.state_commit import BOT_EMAIL, BOT_NAME, Git
from tests.conftest import Emulator, StartEmulator
from tests.fake_github import FakeGitHub
from tests.runner_sim import PROJECT_DIR, REPO, SHOW_FILE, Sim, git
from tests.test_github_action import PR, add_episode, assert_no_secrets, checksum_in, comment_of

BOT = f"{BOT_NAME} <{BOT_EMAIL}>"
PIN = {"PODSYNC_PIN_SCRIPTS": "true"}
QUANTUM = "scripts/tech-weekly/quantum.yaml"
AI_HEALTH = "scripts/tech-weekly/ai-health.yaml"


@pytest.fixture
def emulator(start_emulator: StartEmulator, request: pytest.FixtureRequest) -> Iterator[Emulator]:
    """The sim's emulator, with the quirks a test passes (indirect parametrization)."""
    with start_emulator(quirks=getattr(request, "param", Quirks())) as server:
        yield server


def retopic(data: dict[str, Any]) -> None:
    episode = next(e for e in data["episodes"] if e["key"] == "ai-health")
    episode["source"]["topic"] = "Robots in operating rooms"


def test_a_new_topic_episode_gets_its_script_committed_to_the_branch_and_folded_in_the_comment(
    sim: Sim, github: FakeGitHub
) -> None:
    sim.open_pull_request()
    sim.edit_show(add_episode)
    head = sim.commit("Add a quantum episode")
    audios = sim.emulator.account()["audios"]
    run = sim.step("plan", sim.pull_request_event(PR, action="opened"), env=PIN)
    assert run.exit_code == 0, run.output
    assert sim.emulator.stats()["scripts"] == 1, run.output
    assert sim.emulator.account()["audios"] == audios, "scripts are free: no audio made"

    tip, parent = sim.origin_log("feature")[:2]
    assert parent["sha"] == head
    assert tip["author"] == tip["committer"] == BOT
    assert tip["subject"] == COMMIT_SUBJECT
    assert tip["files"] == f"{PROJECT_DIR}/{QUANTUM} {SHOW_FILE}"
    manifest = sim.origin_file(SHOW_FILE, "feature")
    assert "script: ../scripts/tech-weekly/quantum.yaml" in manifest
    assert "dialogue:" in sim.origin_file(f"{PROJECT_DIR}/{QUANTUM}", "feature")

    body = comment_of(github)
    assert "**Scripts pinned for review:**" in body and f"`{tip['sha'][:12]}`" in body
    assert "<details><summary>Dialogue of <code>quantum</code>: pinned script " in body
    assert f"{QUANTUM}, 10 lines, all new</summary>" in body
    assert "+male: Hello and welcome" in body
    assert f"<!-- podsync:head {tip['sha']} -->" in body, "the plan is the pinned commit's"
    assert run.outputs["audio-to-generate"] == "1"

    again = sim.step("plan", sim.pull_request_event(PR), env=PIN)  # a run for the bot's commit
    assert again.exit_code == 0, again.output
    assert sim.origin_log("feature")[0]["sha"] == tip["sha"], "nothing more to pin: no loop"
    assert sim.emulator.stats()["scripts"] == 1
    assert checksum_in(comment_of(github)) == checksum_in(body)

    before = sim.head("main", sim.origin)
    merged = sim.merge(PR)
    applied = sim.step("apply", sim.push_event(before, merged))
    assert applied.exit_code == 0, applied.output
    assert applied.outputs["plan-checksum"] == checksum_in(body), "the reviewed words applied"
    assert sim.emulator.account()["audios"] == audios + 1
    assert sim.emulator.stats()["scripts"] == 1, "the merge asked for no script"
    assert_no_secrets(sim, run, again, applied)


def test_a_fork_pull_request_gets_no_scripts_and_the_comment_says_why(
    sim: Sim, github: FakeGitHub
) -> None:
    sim.open_pull_request("mallory-feature")
    sim.edit_show(add_episode)
    head = sim.commit("Add an episode from a fork")
    # even where a repository sends secrets and a write token to forks' runs
    event = sim.pull_request_event(PR, action="opened", branch="mallory-feature", fork=True)
    run = sim.step("plan", event, env=PIN)
    assert run.exit_code == 0, run.output
    assert sim.emulator.stats()["scripts"] == 0
    assert sim.origin_log("mallory-feature")[0]["sha"] == head, "nothing pushed"
    assert not (sim.project / QUANTUM).exists()
    body = comment_of(github)
    assert "**Scripts not pinned:** This pull request comes from a fork" in body
    assert "did not write or commit any scripts" in body
    assert "::warning::scripts not pinned: This pull request comes from a fork" in run.output
    assert "Scripts not pinned" in run.summary


def test_a_rewritten_pinned_script_shows_as_a_diff_in_the_comment(
    sim: Sim, github: FakeGitHub
) -> None:
    sim.open_pull_request()
    sim.edit_show(retopic)
    sim.commit("A new topic for ai-health")
    run = sim.step("plan", sim.pull_request_event(PR, action="opened"), env=PIN)
    assert run.exit_code == 0, run.output
    assert sim.emulator.stats()["scripts"] == 1
    tip = sim.origin_log("feature")[0]
    assert tip["files"] == f"{PROJECT_DIR}/{AI_HEALTH}", "the manifest pins it already"
    assert "Robots in operating rooms" in sim.origin_file(f"{PROJECT_DIR}/{AI_HEALTH}", "feature")
    body = comment_of(github)
    assert (
        f"- wrote {AI_HEALTH} again (12 lines) for tech-weekly/ai-health: the topic changed"
    ) in body
    assert f"<code>ai-health</code>: pinned script {AI_HEALTH}, 10 lines added, 10 removed" in body
    assert "-male: Hello and welcome to our audio. Today we're talking about the future" in body
    assert "+male: Hello and welcome to our audio. Today we're talking about robots" in body
    assert "stale" not in run.summary.lower(), "the plan is made from the new script"


def test_a_branch_that_moved_gets_no_push_and_the_comment_says_so(
    sim: Sim, github: FakeGitHub
) -> None:
    sim.open_pull_request()
    sim.edit_show(add_episode)
    head = sim.commit("Add a quantum episode")
    event = sim.pull_request_event(PR, action="opened")
    (sim.work / "README.md").write_text("Pushed while the run started.\n")
    newer = sim.commit("Another push")
    git(sim.work, "push", "--quiet", "origin", "feature")
    git(sim.work, "checkout", "--quiet", "--detach", head)  # this run's checkout
    run = sim.step("plan", event, env=PIN)
    assert run.exit_code == 0, run.output
    assert sim.origin_log("feature")[0]["sha"] == newer, "the newer push is kept"
    assert sim.emulator.stats()["scripts"] == 0
    assert not (sim.project / QUANTUM).exists()
    body = comment_of(github)
    assert f"**Scripts not pinned:** feature moved from {head[:12]}" in body
    assert "pushed no scripts" in body
    assert github.bodies(REPO, PR) == [body]


def add_long_topic(data: dict[str, Any]) -> None:
    add_episode(data)
    data["episodes"].append(
        {
            "key": "history",
            "title": "Episode 6 - History",
            "description": "How we got here.",
            "source": {"topic": "A long history of computing, from the abacus to the cloud"},
        }
    )


@pytest.mark.parametrize("emulator", [Quirks(script_topic_max_chars=40)], indirect=True)
def test_a_failed_script_request_is_named_in_the_comment_and_the_scripts_before_it_are_kept(
    sim: Sim, github: FakeGitHub
) -> None:
    sim.open_pull_request()
    sim.edit_show(add_long_topic)
    sim.commit("Add two episodes")
    run = sim.step("plan", sim.pull_request_event(PR, action="opened"), env=PIN)
    assert run.exit_code == 1, "the step fails: a script the reviewer asked for is missing"
    failure = (
        "POST /api/v2/scripts -> 400 (for script of episode tech-weekly/history): "
        "topic is longer than 40 characters"
    )
    assert f"::error::a script request failed: {failure}" in run.output
    body = comment_of(github)
    assert f"**A script request failed:** `{failure}`" in body
    tip = sim.origin_log("feature")[0]
    assert tip["files"] == f"{PROJECT_DIR}/{QUANTUM} {SHOW_FILE}", "the script written is kept"
    assert "history.yaml" not in sim.origin_file(SHOW_FILE, "feature")
    assert "| add | `history` |" in body, "its words are written at apply, as without a pin"


def test_from_githubs_merge_checkout_the_commit_holds_only_the_scripts_on_the_branch_head(
    sim: Sim, github: FakeGitHub
) -> None:
    sim.open_pull_request()
    sim.edit_show(add_episode)
    head = sim.commit("Add a quantum episode")
    git(sim.work, "checkout", "--quiet", "main")
    (sim.work / "README.md").write_text("Main moved on.\n")
    sim.commit("Docs on main")
    git(sim.work, "push", "--quiet", "origin", "main")
    git(sim.work, "checkout", "--quiet", "feature")
    event = sim.pull_request_event(PR, action="opened")
    # actions/checkout on pull_request: the head merged into the base, detached
    git(sim.work, "checkout", "--quiet", "--detach", "main")
    git(sim.work, "merge", "--quiet", "--no-ff", head, "-m", f"Merge {head} into main")
    run = sim.step("plan", event, env=PIN)
    assert run.exit_code == 0, run.output
    tip, parent = sim.origin_log("feature")[:2]
    assert parent["sha"] == head, "built on the branch's head, not on GitHub's merge commit"
    assert tip["files"] == f"{PROJECT_DIR}/{QUANTUM} {SHOW_FILE}"
    assert sim.origin_file("README.md", "feature") == "Our podcasts.", "nothing of main leaks in"
    assert "**Scripts pinned for review:**" in comment_of(github)


def test_the_push_never_overwrites_a_branch_that_moved_after_the_check(sim: Sim) -> None:
    sim.open_pull_request()
    sim.edit_show(add_episode)
    head = sim.commit("Add a quantum episode")
    repo = Git(sim.work)
    pinned = _commit(repo, head, ["README.md"], ())  # any commit on the head podsync planned
    # the author pushed the branch back (a reset): a plain push would be a fast-forward
    git(sim.work, "push", "--quiet", "--force", "origin", "main:refs/heads/feature")
    refused = _push(repo, pinned, "feature", head)
    assert refused is not None and "never overwrites a push" in refused
    assert sim.origin_log("feature")[0]["sha"] == sim.head("main")
    git(sim.work, "push", "--quiet", "--force", "origin", "feature")
    (sim.work / "README.md").write_text("Pushed after podsync looked at the branch.\n")
    newer = sim.commit("Another push")
    git(sim.work, "push", "--quiet", "origin", "feature")
    assert _push(repo, pinned, "feature", head) is not None
    assert sim.origin_log("feature")[0]["sha"] == newer
    assert _push(repo, _commit(repo, newer, ["README.md"], ()), "feature", newer) is None
