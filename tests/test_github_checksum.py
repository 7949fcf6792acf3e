"""The checksum a plan comment approves covers what decides apply, not only the changes: the
guards apply would refuse, the settings that decide them (podsync.yaml's `safety:`, every
`protect:` in force, in the manifests and in podsync.lock) and the preview jobs the comment
carries. A merge after any of them moved is refused, in the simulated runner."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from podsync.lock import read_lock
from podsync.manifest import load_project
from podsync.model import Live, Safety
from podsync.plan import Reason, Warning, WarningCode
from podsync.plan_file import plan_checksum, plan_to_dict
from podsync.planner import plan
from podsync.render import phrases, render
from tests.fake_github import FakeGitHub
from tests.runner_sim import PROJECT_DIR, Sim, git

PR = 7
STRICT = "vars:\n  company: Acme\n  host: Ada\nsafety:\n  min_episodes: 2\n"
LOOSE = STRICT + "  max_removal_share: 0.9\n"


def drop(*keys: str) -> Any:
    def change(data: dict[str, Any]) -> None:
        data["episodes"] = [e for e in data["episodes"] if e["key"] not in keys]

    return change


def push_to_main(sim: Sim, message: str) -> None:
    git(sim.work, "checkout", "--quiet", "main")
    sim.commit(message)
    git(sim.work, "push", "--quiet", "origin", "main")


def episode_keys(sim: Sim) -> set[str]:
    with sim.emulator.api() as api:
        show = api.get("/podcasts").json()["data"][0]
        episodes = api.get(f"/podcasts/{show['show_id']}/episodes").json()["data"]
    return {e["title"] for e in episodes}


def test_safety_loosened_after_the_review_is_not_applied(sim: Sim, github: FakeGitHub) -> None:
    (sim.project / "podsync.yaml").write_text(STRICT)
    push_to_main(sim, "Guard even small shows")
    sim.open_pull_request()
    sim.edit_show(drop("privacy", "roadmap"))
    sim.commit("Retire two episodes")
    reviewed = sim.step("plan", sim.pull_request_event(PR, action="opened"))
    assert reviewed.exit_code == 0, reviewed.output
    assert "more than the safety limit of 30%" in github.bodies("acme/podcasts", PR)[0]

    (sim.project / "podsync.yaml").write_text(LOOSE)  # after the review, straight to main
    push_to_main(sim, "Loosen the safety limit")
    live = episode_keys(sim)
    before = sim.head("main", sim.origin)
    run = sim.step("apply", sim.push_event(before, sim.merge(PR)))
    assert run.exit_code == 1, run.output
    assert "the plan differs from the one reviewed in pull request #7" in run.output
    assert episode_keys(sim) == live, "nothing the review said apply refuses was removed"


def test_a_lock_only_protect_change_after_the_review_is_not_applied(
    sim: Sim, github: FakeGitHub
) -> None:
    def protect(data: dict[str, Any]) -> None:
        next(e for e in data["episodes"] if e["key"] == "privacy")["protect"] = True

    git(sim.work, "checkout", "--quiet", "main")
    sim.edit_show(protect)
    assert sim.cli("apply", PROJECT_DIR, "--auto-approve").exit_code == 0
    push_to_main(sim, "Protect the privacy episode")
    sim.open_pull_request()
    sim.edit_show(drop("privacy"))
    sim.commit("Retire the privacy episode")
    reviewed = sim.step("plan", sim.pull_request_event(PR, action="opened"))
    assert reviewed.exit_code == 0, reviewed.output
    assert "is protected (protect: true, recorded in podsync.lock)" in reviewed.summary

    git(sim.work, "checkout", "--quiet", "main")
    lock = json.loads((sim.project / "podsync.lock").read_text())
    lock["shows"]["tech-weekly"]["episodes"]["privacy"]["protected"] = False
    (sim.project / "podsync.lock").write_text(json.dumps(lock, indent=2, sort_keys=True) + "\n")
    push_to_main(sim, "Unprotect it in the lock only")
    live = episode_keys(sim)
    before = sim.head("main", sim.origin)
    run = sim.step("apply", sim.push_event(before, sim.merge(PR)))
    assert run.exit_code == 1, run.output
    assert "the plan differs from the one reviewed in pull request #7" in run.output
    assert episode_keys(sim) == live, "the protected episode is still live"


def test_the_checksum_covers_guards_settings_and_carried_jobs_but_no_wording(
    project: Path,
) -> None:
    desired = load_project(project)
    lock = read_lock(project / "podsync.lock")
    base = plan(desired, lock, Live(shows=()))
    checksum = plan_checksum(base)
    assert checksum == plan_to_dict(base)["checksum"]
    looser = plan(
        desired.__class__(desired.shows, Safety(max_removal_share=0.9)), lock, Live(shows=())
    )
    assert plan_checksum(looser) != checksum, "safety: is covered"
    assert plan_checksum(base, {"sha256:" + "0" * 64: "job1"}) != checksum, "carried jobs are"
    reworded = base.__class__(
        shows=base.shows,
        audio=base.audio,
        episodes=base.episodes,
        warnings=(Warning(WarningCode.SHOW_NOT_READ, "tech-weekly", None, {"show_id": "x"}),),
        settings=base.settings,
    )
    assert plan_checksum(reworded) == checksum, "warnings' wording is not"


def test_rewording_a_reason_or_a_guard_keeps_the_checksum(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The plan holds codes; the words live in render/phrases.py and are no part of the
    checksum, so changing them never invalidates a reviewed plan."""
    desired = load_project(project)
    lock = read_lock(project / "podsync.lock")
    made = plan(desired, lock, Live(shows=()))
    assert made.episodes and made.guards == ()
    checksum = plan_checksum(made)
    before = render(made, "text")
    monkeypatch.setitem(phrases.EPISODE_REASONS, Reason.NEW, "brand new")
    monkeypatch.setitem(phrases.SHOW_REASONS, Reason.NEW, "brand new")
    assert render(made, "text") != before
    assert plan_checksum(made) == checksum
    assert "brand new" not in json.dumps(plan_to_dict(made))
