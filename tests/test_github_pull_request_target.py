"""pull_request_target runs a fork's pull request with the base repository's secrets: the
action refuses it unless the workflow says, explicitly, that it knows what it does."""

from __future__ import annotations

from podsync.github.runner import ALLOW_PULL_REQUEST_TARGET
from tests.fake_github import FakeGitHub
from tests.runner_sim import REPO, Sim


def test_pull_request_target_is_refused_before_anything_is_read(
    sim: Sim, github: FakeGitHub
) -> None:
    sim.open_pull_request()
    (sim.project / "shows" / "tech-weekly.yaml").write_text("{{ a fork's template }}\n")
    sim.commit("A fork's change")
    requests = sim.emulator.stats()["requests"]
    event = sim.pull_request_event(7, action="opened", fork=True)
    for command in ("plan", "apply"):
        run = sim.step(command, event, env={"GITHUB_EVENT_NAME": "pull_request_target"})
        assert run.exit_code == 1, run.output
        assert "podsync does not run on pull_request_target events" in run.output
        assert "Use `on: pull_request`" in run.output
        assert f"{ALLOW_PULL_REQUEST_TARGET}=true" in run.output
    assert sim.emulator.stats()["requests"] == requests
    assert github.requests == []


def test_pull_request_target_runs_when_the_workflow_allows_it(sim: Sim, github: FakeGitHub) -> None:
    sim.open_pull_request()
    (sim.work / "README.md").write_text("Docs only.\n")
    sim.commit("Docs")
    run = sim.step(
        "plan",
        sim.pull_request_event(7, action="opened"),
        env={"GITHUB_EVENT_NAME": "pull_request_target", ALLOW_PULL_REQUEST_TARGET: "true"},
    )
    assert run.exit_code == 0, run.output
    assert "No changes" in run.summary
    assert github.bodies(REPO, 7) == []
