"""An adversarial review of the Action's trust model (issue 15), in the simulated runner
(tests/runner_sim.py) with the fake GitHub and the emulator: what a pull request can do to the
lock's record of applied approvals, and what a re-run can do with an approval afterwards."""

from __future__ import annotations

import json
from typing import Any

from podsync.github.lock_review import EDITED, LockEdit, lock_edits
from podsync.lock import AppliedApproval, Lock
from tests.fake_github import FakeGitHub
from tests.runner_sim import PROJECT_DIR, REPO, Sim, git
from tests.test_github_tip import add_quantum
from tests.test_github_trust import merge_and_apply, plan_pr

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
