"""The sticky plan comment in a simulated runner: only the action's own comment is updated and
read as the approved plan, it always says which commit it is for, a failed plan takes its
checksum away, an old run does not overwrite a newer plan, and the job summary has the plan in
full when the comment must cut it."""

from __future__ import annotations

import pytest
import yaml

from podsync.github.comment import head_of, parse
from tests.fake_github import FakeGitHub
from tests.runner_sim import FORK, REPO, SHOW_FILE, Sim, git
from tests.test_github_action import MARKER, PR, add_episode, comment_of, retitle

MALLORY = {"login": "mallory", "id": 666, "type": "User"}
PAT = "ghp_PersonalToken0123456789abcdefABCD"
CI_USER = {"login": "podcast-ci", "id": 4242, "type": "User"}


@pytest.mark.parametrize(
    ("fork", "named"),
    [(FORK, "the fork mallory/podcasts"), ("", "a fork since deleted")],
    ids=["fork", "deleted-fork"],
)
def test_a_forged_plan_comment_on_a_forks_pull_request_approves_nothing(
    sim: Sim, github: FakeGitHub, fork: str, named: str
) -> None:
    github.read_only = True  # a fork's pull request: no secrets, a read-only token
    sim.open_pull_request("mallory-feature")
    sim.edit_show(add_episode)
    sim.commit("Add an episode from a fork")
    event = sim.pull_request_event(PR, action="opened", branch="mallory-feature", fork=True)
    run = sim.step("plan", event, env={"ZENMIC_API_KEY": None, "ZENMIC_API_URL": None})
    assert run.exit_code == 0, run.output
    forged = (
        f"{MARKER}\n## podsync plan\n\n**No changes.**\n\n"
        f"<!-- podsync:checksum {run.outputs['plan-checksum']} -->\n"
    )
    github.add_comment(REPO, PR, forged, user=MALLORY)  # the fork's author posts it
    github.read_only = False

    before = sim.head("main", sim.origin)
    merged = sim.merge(PR, "mallory-feature", fork=fork)
    account = sim.emulator.account()
    applied = sim.step("apply", sim.push_event(before, merged))
    assert applied.exit_code == 1, applied.output
    assert f"Error: not applying: pull request #{PR} came from {named}, whose runs get" in (
        applied.output
    )
    assert "(if plan comments are posted with another token, set the action's comment-author" in (
        applied.output
    )
    assert (
        "Nothing was applied. To publish its changes, have them reviewed from this repository: "
        "open a pull request from a branch here (an empty commit will do), let the plan step "
        "comment it, and merge it; or, to apply pushes that do not come through a reviewed pull "
        "request, set the action's require-review input to false."
    ) in applied.output
    assert sim.emulator.account() == account, "nothing applied"


def test_a_merged_pull_request_without_a_plan_comment_publishes_nothing(
    sim: Sim, github: FakeGitHub
) -> None:
    sim.open_pull_request()
    sim.edit_show(add_episode)
    sim.commit("Add an episode")
    sim.pull_request_event(PR, action="opened")  # pushed, but the plan step never ran
    before = sim.head("main", sim.origin)
    merged = sim.merge(PR)
    account = sim.emulator.account()
    applied = sim.step("apply", sim.push_event(before, merged))
    assert applied.exit_code == 1, applied.output
    assert f"pull request #{PR} has no podsync plan comment by github-actions[bot]" in (
        applied.output
    )
    assert "came from the fork" not in applied.output
    assert sim.emulator.account() == account, "nothing applied"


def test_a_persons_comment_with_the_marker_is_never_updated_nor_taken_over(
    sim: Sim, github: FakeGitHub
) -> None:
    eve = github.add_comment(REPO, PR, f"{MARKER}\nI like this pull request", user=MALLORY)
    sim.open_pull_request()
    sim.edit_show(add_episode)
    sim.commit("Add an episode")
    first = sim.step("plan", sim.pull_request_event(PR, action="opened"))
    assert first.exit_code == 0, first.output
    sim.edit_show(retitle("quantum", "Episode 5 - Qubits"))
    sim.commit("Retitle")
    second = sim.step("plan", sim.pull_request_event(PR))
    assert second.exit_code == 0, second.output

    comments = github.comments[(REPO, PR)]
    assert comments[0]["id"] == eve and comments[0]["body"].endswith("I like this pull request")
    assert [c["user"]["login"] for c in comments] == ["mallory", "github-actions[bot]"]
    assert "Qubits" in comments[1]["body"]
    patched = [r.path for r in github.calls("PATCH")]
    assert patched == [f"/repos/{REPO}/issues/comments/{comments[1]['id']}"]

    before = sim.head("main", sim.origin)
    merged = sim.merge(PR)
    applied = sim.step("apply", sim.push_event(before, merged))
    assert applied.exit_code == 0, applied.output
    assert "reviewed in pull request #7" in applied.output


def test_comments_posted_with_a_personal_token_are_the_configured_users(
    sim: Sim, github: FakeGitHub
) -> None:
    github.users[PAT] = CI_USER
    env: dict[str, str | None] = {"GITHUB_TOKEN": PAT, "PODSYNC_COMMENT_AUTHOR": "podcast-ci"}
    sim.open_pull_request()
    sim.edit_show(add_episode)
    sim.commit("Add an episode")
    assert sim.step("plan", sim.pull_request_event(PR, action="opened"), env=env).exit_code == 0
    sim.edit_show(retitle("quantum", "Episode 5 - Qubits"))
    sim.commit("Retitle")
    run = sim.step("plan", sim.pull_request_event(PR), env=env)
    assert run.exit_code == 0, run.output
    body = comment_of(github)
    assert "Qubits" in body and github.comments[(REPO, PR)][0]["user"] == CI_USER
    assert len(github.calls("PATCH")) == 1

    before = sim.head("main", sim.origin)
    merged = sim.merge(PR)
    applied = sim.step("apply", sim.push_event(before, merged), env=env)
    assert applied.exit_code == 0, applied.output
    assert "reviewed in pull request #7" in applied.output


def test_a_failed_plan_replaces_the_comment_and_takes_its_checksum_away(
    sim: Sim, github: FakeGitHub
) -> None:
    sim.open_pull_request()
    sim.edit_show(add_episode)
    good = sim.commit("Add an episode")
    assert sim.step("plan", sim.pull_request_event(PR, action="opened")).exit_code == 0
    body = comment_of(github)
    assert parse(body) is not None and head_of(body) == good
    assert f"commit `{good[:12]}`" in body

    path = sim.work / SHOW_FILE
    data = yaml.safe_load(path.read_text())
    data["episodes"][0]["title"] = ["not", "a", "string"]
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    broken = sim.commit("Break the manifest")
    run = sim.step("plan", sim.pull_request_event(PR))
    assert run.exit_code == 1, run.output
    assert "::error file=" in run.output
    assert f"The plan failed for commit `{broken[:12]}`" in run.summary
    body = comment_of(github)
    assert f"The plan failed for commit `{broken[:12]}`" in body
    assert "tech-weekly.yaml:" in body and "quantum" not in body, "the old plan is gone"
    assert parse(body) is None and "podsync:checksum" not in body
    assert head_of(body) == broken


def test_a_late_run_for_an_older_commit_does_not_overwrite_the_newer_plan(
    sim: Sim, github: FakeGitHub
) -> None:
    sim.open_pull_request()
    sim.edit_show(add_episode)
    old = sim.commit("Add an episode")
    old_event = sim.pull_request_event(PR, action="opened")
    sim.edit_show(retitle("quantum", "Episode 5 - Qubits"))
    new = sim.commit("Retitle")
    assert sim.step("plan", sim.pull_request_event(PR)).exit_code == 0
    assert head_of(comment_of(github)) == new

    git(sim.work, "checkout", "--quiet", old)  # the old job, re-run (or finishing late)
    late = sim.step("plan", old_event)
    assert late.exit_code == 0, late.output
    assert "made for a newer commit" in late.output
    body = comment_of(github)
    assert head_of(body) == new and "Qubits" in body
    assert github.calls("PATCH") == []


def test_the_job_summary_has_the_whole_plan_when_the_comment_must_cut_it(
    sim: Sim, github: FakeGitHub
) -> None:
    def many_episodes(data: dict) -> None:  # type: ignore[type-arg]
        for n in range(400):
            data["episodes"].append(
                {
                    "key": f"extra-{n:03}",
                    "title": f"Extra episode {n:03}: " + "a long title, " * 8,
                    "description": "Plenty.",
                    "source": {"topic": f"Topic number {n}", "duration_minutes": 2},
                }
            )

    sim.open_pull_request()
    sim.edit_show(many_episodes)
    sim.commit("Four hundred episodes")
    run = sim.step(  # planned from the lock alone: fast, and the same Markdown
        "plan",
        sim.pull_request_event(PR, action="opened"),
        env={"ZENMIC_API_KEY": None, "ZENMIC_API_URL": None},
    )
    assert run.exit_code == 0, run.output
    body = comment_of(github)
    assert len(body) <= 65_536 and "not shown here" in body
    assert parse(body) is not None
    assert len(run.summary) > 65_536 and "not shown here" not in run.summary
    assert all(f"extra-{n:03}" in run.summary for n in range(400))
