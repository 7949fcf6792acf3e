"""An adversarial review of the Action's trust model (issue 15), in the simulated runner
(tests/runner_sim.py) with the fake GitHub and the emulator: what a pull request can do to the
lock's record of applied approvals, and what a re-run can do with an approval afterwards."""

from __future__ import annotations

import json
from typing import Any

import pytest

from podsync.client import ZenMicClient
from podsync.errors import ApiError
from podsync.github.lock_review import LockEdit, lock_edits
from podsync.lock import AppliedApproval, Lock
from podsync.render.phrases import LOCK_EDITED as EDITED
from tests.fake_github import FakeGitHub
from tests.runner_sim import PROJECT_DIR, REPO, Sim, git
from tests.test_github_branch_tip import add_quantum
from tests.test_github_trust import merge_and_apply, plan_pr, quantum_digest

LOCK = f"{PROJECT_DIR}/podsync.lock"


def edit_lock(sim: Sim, change: Any) -> None:
    path = sim.project / "podsync.lock"
    lock = json.loads(path.read_text())
    change(lock)
    path.write_text(json.dumps(lock, indent=2, sort_keys=True) + "\n")


def test_the_record_of_applied_approvals_is_a_lock_edit_like_any_other() -> None:
    """Unit: an approval record a pull request removes, adds or changes is listed."""
    base = Lock().with_applied(7, AppliedApproval("sha256:a", "m7"))
    head = Lock().with_applied(10, AppliedApproval("sha256:b", "m10"))
    assert lock_edits(base, head) == [
        LockEdit("applied", "7", "removed", "checksum sha256:a, merge m7", None),
        LockEdit("applied", "10", "added", None, "checksum sha256:b, merge m10"),
    ]
    changed = Lock().with_applied(7, AppliedApproval("sha256:a", "m8"))
    assert lock_edits(base, changed) == [LockEdit("applied", "7", "merge_commit", "m7", "m8")]


def test_a_pull_request_that_rewrites_the_applied_record_is_flagged_to_the_reviewer(
    sim: Sim, github: FakeGitHub
) -> None:
    """Today the plan comment lists every lock edit but this one, and a pull request that edits
    only the lock (no change to plan) gets no comment at all: deleting pull request #7's record
    (to let its approval be used again) or forging one for a pull request not merged yet (so
    that its apply is refused) shows the reviewer nothing."""
    sim.open_pull_request("add")
    sim.edit_show(add_quantum)
    sim.commit("Add a quantum episode")
    plan_pr(sim, 7, "add")
    merge_and_apply(sim, 7, "add")

    git(sim.work, "checkout", "--quiet", "-B", "tidy", "origin/main")
    forged = {"checksum": "sha256:" + "0" * 64, "merge_commit": "f" * 40}
    edit_lock(sim, lambda lock: lock.update(applied={"10": forged}))
    sim.commit("Tidy the lock")
    run = plan_pr(sim, 9, "tidy")
    assert "the record of pull request #7's applied approval removed" in run.output
    (body,) = github.bodies(REPO, 9)  # a lock-only pull request is commented too
    edited = f"{EDITED}: the record of pull request #\u2060"  # Markdown: no link to #7
    assert f"{edited}7's applied approval removed: checksum sha256:" in body
    assert f"{edited}10's applied approval added: checksum sha256:{'0' * 64}" in body


def test_audio_a_refused_apply_would_not_vouch_for_is_not_laundered_by_the_next_merge(
    sim: Sim, github: FakeGitHub
) -> None:
    """#7 adds an episode and points its audio at another episode's job in the lock by hand:
    flagged, and its apply refuses. But the merge is on main, lock edit and all, so #8 (any
    change; here an empty commit) plans from a base that already has it: no warning, and its
    apply reused the job with no check, publishing the episode with another's audio. Now the
    refusing apply puts the audio entries #7 set by hand back as they were and commits that."""
    sim.open_pull_request("add")
    sim.edit_show(add_quantum)
    digest = quantum_digest(sim)
    stolen = ""

    def launder(lock: dict[str, Any]) -> None:
        nonlocal stolen
        stolen = lock["shows"]["tech-weekly"]["episodes"]["ai-health"]["mic_id"]
        lock["audio"][digest] = {"mic_id": stolen, "status": "succeeded"}

    edit_lock(sim, launder)
    sim.commit("Add a quantum episode (with audio we have)")
    plan_pr(sim, 7, "add")
    before = sim.head("main", sim.origin)
    refused = sim.step("apply", sim.push_event(before, sim.merge(7, "add")))
    assert refused.exit_code == 1, refused.output
    assert f"points the audio of episode 'tech-weekly/quantum' at job {stolen}" in refused.output
    assert digest not in json.loads(sim.origin_file(LOCK))["audio"], "the hand edit undone"

    git(sim.work, "checkout", "--quiet", "-B", "next", "origin/main")
    git(sim.work, "commit", "--quiet", "--allow-empty", "-m", "Anything at all")
    plan_pr(sim, 8, "next")
    assert stolen not in github.bodies(REPO, 8)[0]
    merge_and_apply(sim, 8, "next")
    lock = json.loads(sim.origin_file(LOCK))
    assert lock["shows"]["tech-weekly"]["episodes"]["quantum"]["mic_id"] != stolen


def test_a_hand_set_audio_entry_no_episode_uses_yet_does_not_outlive_the_merge(
    sim: Sim, github: FakeGitHub
) -> None:
    """A pull request repoints the cached audio of an existing, unchanged episode at another
    episode's job: flagged, but nothing publishes it in that merge, so nothing checked it and
    it stayed in the lock, for a later pull request (a new episode of the same source, a
    re-publish) to reuse unchecked. Now an apply keeps only the hand-set entries its own plan
    used, after the account vouched for them."""
    original = json.loads((sim.project / "podsync.lock").read_text())
    episodes = original["shows"]["tech-weekly"]["episodes"]
    digest, stolen = episodes["privacy"]["digest"], episodes["ai-health"]["mic_id"]
    assert original["audio"][digest]["mic_id"] != stolen
    sim.open_pull_request("repoint")
    edit_lock(sim, lambda lock: lock["audio"][digest].update(mic_id=stolen))
    sim.commit("Repoint privacy's audio")
    plan_pr(sim, 7, "repoint")
    assert "podsync.lock is edited by hand" in github.bodies(REPO, 7)[0]
    before = sim.head("main", sim.origin)
    applied = sim.step("apply", sim.push_event(before, sim.merge(7, "repoint")))
    assert applied.exit_code == 0, applied.output
    assert json.loads(sim.origin_file(LOCK))["audio"][digest] == original["audio"][digest]


def test_a_manual_run_on_main_applies_nothing_unreviewed(sim: Sim, github: FakeGitHub) -> None:
    """`workflow_dispatch` on the default branch (someone added it to the workflow): the push
    gate lets a run on the default branch through, and the review decides: none."""
    sim.edit_show(add_quantum)
    pushed = sim.commit("Add a quantum episode, straight to main")
    git(sim.work, "push", "--quiet", "origin", "main")
    account = sim.emulator.account()
    event = {
        "ref": "refs/heads/main",
        "inputs": {},
        "workflow": ".github/workflows/podsync.yml",
        "repository": sim.push_event(pushed, pushed)["repository"],
        "sender": {"login": "alice", "type": "User"},
    }
    env: dict[str, str | None] = {"GITHUB_EVENT_NAME": "workflow_dispatch", "GITHUB_SHA": pushed}
    run = sim.step("apply", event, env=env)
    assert run.exit_code == 1, run.output
    assert "this run was started by a workflow_dispatch event, not by a push" in run.output
    assert "Nothing was applied" in run.output
    assert sim.emulator.account() == account
    assert sim.head("main", sim.origin) == pushed, "nothing committed"


def test_a_partial_apply_is_finished_by_a_new_review_without_paying_twice(
    sim: Sim, github: FakeGitHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The audio job is paid for, then publishing the episode fails: the approval is spent (a
    re-run of the job would apply a plan nobody reviewed), the lock records the paid job, and
    the next reviewed pull request (an empty commit) finishes it reusing that job."""
    sim.open_pull_request("add")
    sim.edit_show(add_quantum)
    sim.commit("Add a quantum episode")
    plan_pr(sim, 7, "add")
    before = sim.head("main", sim.origin)
    event = sim.push_event(before, sim.merge(7, "add"))

    async def refused(*_: Any, **__: Any) -> Any:
        raise ApiError("POST", "/podcasts/x/episodes", 503, "unavailable")

    with monkeypatch.context() as patch:
        patch.setattr(ZenMicClient, "add_episode", refused)
        failed = sim.step("apply", event)
    assert failed.exit_code == 1, failed.output
    audios = sim.emulator.account()["audios"]
    assert "7" in json.loads(sim.origin_file(LOCK))["applied"]

    git(sim.work, "checkout", "--quiet", "--detach", event["after"])  # the re-run's checkout
    again = sim.step("apply", event)
    assert again.exit_code == 1, again.output
    assert "pull request #7's reviewed plan was already applied" in again.output
    assert sim.emulator.account()["audios"] == audios

    git(sim.work, "checkout", "--quiet", "-B", "finish", "origin/main")
    git(sim.work, "commit", "--quiet", "--allow-empty", "-m", "Finish #7")
    plan_pr(sim, 8, "finish")
    merge_and_apply(sim, 8, "finish")
    assert sim.emulator.account()["audios"] == audios, "the paid job reused"
    assert "quantum" in json.loads(sim.origin_file(LOCK))["shows"]["tech-weekly"]["episodes"]
