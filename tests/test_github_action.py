"""`podsync action plan|apply` in a simulated runner: a real git repository with a bare origin,
real-shaped webhook payloads, the fake GitHub API over HTTP and the ZenMic emulator."""

from __future__ import annotations

import errno
import json
from pathlib import Path

import pytest

from podsync import lock as lock_module
from podsync.github.comment import previewed_in
from podsync.github.state_commit import BOT_EMAIL, BOT_NAME
from podsync.lock import Lock, read_lock
from podsync.manifest import load_project
from tests.conftest import TEST_KEY
from tests.fake_github import FakeGitHub
from tests.runner_sim import GH_TOKEN, PROJECT_DIR, REPO, Run, Sim, git

BOT = f"{BOT_NAME} <{BOT_EMAIL}>"
MARKER = f"<!-- podsync:plan dir={PROJECT_DIR} -->"
PR = 7


def retitle(key: str, title: str) -> object:
    def change(data: dict) -> None:  # type: ignore[type-arg]
        next(e for e in data["episodes"] if e["key"] == key)["title"] = title

    return change


def add_episode(data: dict) -> None:  # type: ignore[type-arg]
    data["episodes"].append(
        {
            "key": "quantum",
            "title": "Episode 5 - Quantum",
            "description": "Qubits, plainly.",
            "source": {"topic": "Quantum computing for everyone", "duration_minutes": 4},
        }
    )


def comment_of(github: FakeGitHub) -> str:
    bodies = github.bodies(REPO, PR)
    assert len(bodies) == 1, f"one sticky comment, not {len(bodies)}"
    return bodies[0]


def checksum_in(body: str) -> str:
    marker = "<!-- podsync:checksum "
    start = body.index(marker) + len(marker)
    return body[start : body.index(" -->", start)]


def assert_no_secrets(sim: Sim, *runs: Run) -> None:
    for run in runs:
        for text in (run.output, run.summary, *run.outputs.values()):
            assert TEST_KEY not in text and GH_TOKEN not in text
    for body in sim.github.bodies(REPO, PR):
        assert TEST_KEY not in body and GH_TOKEN not in body
    for path in sim.root.rglob("*"):
        if path.is_file() and ".git" not in path.parts and "emulator-state" not in path.parts:
            data = path.read_bytes()
            assert TEST_KEY.encode() not in data, path
            assert GH_TOKEN.encode() not in data, path
    assert TEST_KEY not in git(sim.origin, "log", "-p", "--all")


def test_pull_request_plan_then_merge_applies_the_reviewed_plan(
    sim: Sim, github: FakeGitHub
) -> None:
    sim.open_pull_request()
    sim.edit_show(add_episode)
    sim.commit("Add a quantum episode")
    first = sim.step("plan", sim.pull_request_event(PR, action="opened"))
    assert first.exit_code == 0, first.output

    body = comment_of(github)
    assert body.splitlines()[0] == MARKER
    assert checksum_in(body) == first.outputs["plan-checksum"]
    assert first.outputs["plan-checksum"] in body.split("<!--")[1], "the checksum is shown too"
    assert "quantum" in body
    assert first.outputs["has-changes"] == "true"
    assert first.outputs["has-deletes"] == "false"
    assert first.outputs["audio-to-generate"] == "1"
    saved = json.loads(Path(first.outputs["plan-file"]).read_text())
    assert saved["checksum"] == first.outputs["plan-checksum"]
    assert "quantum" in first.summary and "<!-- podsync" not in first.summary
    assert len(github.calls("POST")) == 1
    request = github.calls("POST")[0]
    assert request.headers["accept"] == "application/vnd.github+json"
    assert request.headers["x-github-api-version"] == "2022-11-28"

    sim.edit_show(retitle("privacy", "Episode 2 - Your Privacy"))
    sim.commit("Better title")
    second = sim.step("plan", sim.pull_request_event(PR))
    assert second.exit_code == 0, second.output
    body = comment_of(github)
    assert checksum_in(body) == second.outputs["plan-checksum"] != first.outputs["plan-checksum"]
    assert "Your Privacy" in body
    assert len(github.calls("POST")) == 1 and len(github.calls("PATCH")) == 1

    before = sim.head("main", sim.origin)
    merged = sim.merge(PR)
    audios = sim.emulator.account()["audios"]
    applied = sim.step("apply", sim.push_event(before, merged))
    assert applied.exit_code == 0, applied.output
    assert "reviewed in pull request #7" in applied.output
    assert sim.emulator.account()["audios"] == audios + 1
    assert applied.outputs["plan-checksum"] == second.outputs["plan-checksum"]

    tip, parent = sim.origin_log()[:2]
    assert tip["author"] == tip["committer"] == BOT
    assert "[skip ci]" in tip["subject"]
    assert tip["files"] == f"{PROJECT_DIR}/podsync.lock"
    assert parent["sha"] == merged
    assert sim.origin_file(f"{PROJECT_DIR}/podsync.lock") == (
        sim.project / "podsync.lock"
    ).read_text().rstrip("\n")
    assert git(sim.work, "status", "--porcelain") == "", "the workspace is left clean"
    again = sim.cli("plan", PROJECT_DIR)
    assert "No changes" in again.output
    assert_no_secrets(sim, first, second, applied)


def test_a_pull_request_without_podcast_changes_gets_no_comment(
    sim: Sim, github: FakeGitHub
) -> None:
    sim.open_pull_request()
    (sim.work / "README.md").write_text("Our podcasts, now documented.\n")
    sim.commit("Docs")
    run = sim.step("plan", sim.pull_request_event(PR, action="opened"))
    assert run.exit_code == 0, run.output
    assert github.bodies(REPO, PR) == []
    assert github.calls("POST") == [] and github.calls("PATCH") == []
    assert "No changes" in run.summary
    assert run.outputs["has-changes"] == "false"
    assert run.outputs["audio-to-generate"] == "0"
    assert "nothing posted" in run.output


def test_a_reverted_change_updates_the_comment_to_say_no_changes(
    sim: Sim, github: FakeGitHub
) -> None:
    sim.open_pull_request()
    sim.edit_show(retitle("privacy", "Episode 2 - Privacy, revisited"))
    sim.commit("Retitle")
    assert sim.step("plan", sim.pull_request_event(PR, action="opened")).exit_code == 0
    assert "revisited" in comment_of(github)

    git(sim.work, "revert", "--no-edit", "HEAD")
    run = sim.step("plan", sim.pull_request_event(PR))
    assert run.exit_code == 0, run.output
    body = comment_of(github)
    assert body.splitlines()[0] == MARKER
    assert "No changes" in body and "revisited" not in body
    assert checksum_in(body) == run.outputs["plan-checksum"]
    assert len(github.calls("PATCH")) == 1


def test_the_sticky_comment_is_found_past_the_first_page(sim: Sim, github: FakeGitHub) -> None:
    github.max_per_page = 2
    human = {"login": "bob", "id": 2, "type": "User"}
    sim.open_pull_request()
    sim.edit_show(add_episode)
    sim.commit("Add an episode")
    assert sim.step("plan", sim.pull_request_event(PR, action="opened")).exit_code == 0
    for n in range(5):  # the conversation goes on: the plan comment ends up on page 1 of 4
        github.add_comment(REPO, PR, f"LGTM {n}", user=human)
    github.add_comment(REPO, PR, f"{MARKER}\nquoting the marker does not steal it", user=human)
    sim.edit_show(retitle("quantum", "Episode 5 - Qubits"))
    sim.commit("Retitle")
    run = sim.step("plan", sim.pull_request_event(PR))
    assert run.exit_code == 0, run.output
    bodies = github.bodies(REPO, PR)
    assert len(bodies) == 7 and "Qubits" in bodies[0] and "Qubits" not in bodies[-1]
    pages = [r.query for r in github.calls("GET") if r.path.endswith("/comments")]
    assert len(pages) >= 4, "every page was read"


def test_a_fork_pull_request_without_secrets_plans_from_the_lock(
    sim: Sim, github: FakeGitHub
) -> None:
    github.read_only = True
    sim.open_pull_request("mallory-feature")
    sim.edit_show(add_episode)
    sim.commit("Add an episode from a fork")
    requests = sim.emulator.server.request_count
    run = sim.step(
        "plan",
        sim.pull_request_event(PR, action="opened", branch="mallory-feature", fork=True),
        env={"ZENMIC_API_KEY": None, "ZENMIC_API_URL": None},
    )
    assert run.exit_code == 0, run.output
    assert sim.emulator.server.request_count == requests, "no ZenMic request without a key"
    assert "::warning::ZENMIC_API_KEY is not set" in run.output
    assert "did not read the live ZenMic account" in run.output
    assert "::warning::could not post the plan comment" in run.output
    assert "403" in run.output and "Resource not accessible by integration" in run.output
    assert "the apply refuses to publish until the changes come through a pull" in run.output
    assert "quantum" in run.summary and "not read" in run.summary
    unreviewed = sim.step(
        "plan",
        sim.pull_request_event(PR, action="synchronize", branch="mallory-feature", fork=True),
        env={"ZENMIC_API_KEY": None, "ZENMIC_API_URL": None, "PODSYNC_REQUIRE_REVIEW": "false"},
    )
    assert "::warning::could not post the plan comment" in unreviewed.output
    assert "A pull request from a fork gets a read-only token. The plan is in" in (
        unreviewed.output
    )
    assert "the apply refuses" not in unreviewed.output, "require-review false: it publishes"
    assert run.outputs["has-changes"] == "true"
    assert github.bodies(REPO, PR) == []
    assert_no_secrets(sim, run)


def test_apply_refuses_a_plan_changed_by_a_hand_edit_after_review(
    sim: Sim, github: FakeGitHub
) -> None:
    sim.open_pull_request()
    sim.edit_show(add_episode)
    sim.commit("Add an episode")
    assert sim.step("plan", sim.pull_request_event(PR, action="opened")).exit_code == 0
    with sim.emulator.api() as api:  # someone removes an episode in the ZenMic UI
        show = api.get("/podcasts").json()["data"][0]
        episodes = api.get(f"/podcasts/{show['show_id']}/episodes").json()["data"]
        assert api.delete(f"/podcasts/{show['show_id']}/episodes/{episodes[0]['id']}").is_success
    before = sim.head("main", sim.origin)
    merged = sim.merge(PR)
    account = sim.emulator.account()
    run = sim.step("apply", sim.push_event(before, merged))
    assert run.exit_code == 1, run.output
    assert "the plan differs from the one reviewed in pull request #7" in run.output
    assert "+ now also: add episode tech-weekly/" in run.output
    assert sim.emulator.account() == account, "nothing applied"
    assert sim.origin_log()[0]["sha"] == merged, "no lock commit"
    assert "Not applied" in run.summary


def test_apply_refuses_when_main_moved_after_the_review(sim: Sim, github: FakeGitHub) -> None:
    sim.open_pull_request()
    sim.edit_show(add_episode)
    sim.commit("Add an episode")
    assert sim.step("plan", sim.pull_request_event(PR, action="opened")).exit_code == 0
    git(sim.work, "checkout", "--quiet", "main")  # meanwhile, a push straight to main
    with (sim.project / "scripts/roadmap.yaml").open("a") as script:
        script.write('- [female, "And search?"]\n')
    sim.commit("One more line in the roadmap")
    git(sim.work, "push", "--quiet", "origin", "main")
    before = sim.head("main", sim.origin)
    merged = sim.merge(PR)
    account = sim.emulator.account()
    run = sim.step("apply", sim.push_event(before, merged))
    assert run.exit_code == 1, run.output
    assert "+ now also: replace episode tech-weekly/roadmap (source changed)" in run.output
    assert "the branch moved" in run.output
    assert sim.emulator.account() == account


def test_a_direct_push_is_not_applied_unless_review_is_waived(sim: Sim, github: FakeGitHub) -> None:
    before = sim.head()
    sim.edit_show(retitle("roadmap", "Episode 4 - Next year"))
    pushed = sim.commit("Straight to main")
    git(sim.work, "push", "--quiet", "origin", "main")
    refused = sim.step("apply", sim.push_event(before, pushed))
    assert refused.exit_code == 1, refused.output
    assert "pushed to main directly, not by merging a pull request" in refused.output
    assert "set the action's require-review input to false" in refused.output
    assert sim.origin_log()[0]["sha"] == pushed

    waived = sim.step(
        "apply", sim.push_event(before, pushed), env={"PODSYNC_REQUIRE_REVIEW": "false"}
    )
    assert waived.exit_code == 0, waived.output
    assert "without a reviewed plan" in waived.output
    assert sim.origin_log()[0]["author"] == BOT


def test_the_lock_commit_is_rebased_when_main_moves_during_apply(
    sim: Sim, github: FakeGitHub
) -> None:
    sim.open_pull_request()
    sim.edit_show(add_episode)
    sim.commit("Add an episode")
    assert sim.step("plan", sim.pull_request_event(PR, action="opened")).exit_code == 0
    before = sim.head("main", sim.origin)
    merged = sim.merge(PR)
    other = sim.root / "colleague"  # while the job runs, a colleague pushes to main
    git(sim.root, "clone", "--quiet", str(sim.origin), str(other))
    (other / "NOTES.md").write_text("Recording schedule.\n")
    git(other, "add", "NOTES.md")
    git(other, "commit", "--quiet", "-m", "Notes")
    git(other, "push", "--quiet", "origin", "main")
    colleague = sim.head(repo=other)

    run = sim.step("apply", sim.push_event(before, merged))
    assert run.exit_code == 0, run.output
    # the push landed before the job started: apply moves to the tip (a rebase during the
    # apply is in tests/test_github_branch_tip.py)
    assert f"has moved on to {colleague[:12]}" in run.output
    tip, parent = sim.origin_log()[:2]
    assert tip["author"] == BOT and tip["files"] == f"{PROJECT_DIR}/podsync.lock"
    assert parent["sha"] == colleague
    assert sim.origin_file("NOTES.md") == "Recording schedule."
    assert "quantum" in sim.origin_file(f"{PROJECT_DIR}/podsync.lock")


def test_preview_links_the_audio_commits_nothing_and_the_merge_pays_nothing_twice(
    sim: Sim, github: FakeGitHub
) -> None:
    sim.open_pull_request()
    sim.edit_show(add_episode)
    branch_tip = sim.commit("Add an episode")
    audios = sim.emulator.account()["audios"]
    preview = {"PODSYNC_PREVIEW": "true"}
    run = sim.step("plan", sim.pull_request_event(PR, action="opened"), env=preview)
    assert run.exit_code == 0, run.output
    assert sim.emulator.account()["audios"] == audios + 1, "the new episode's audio was made"
    assert sim.emulator.account()["episodes"] == 4, "and not published"
    assert sim.origin_log("feature")[0]["sha"] == branch_tip, "nothing committed to the branch"
    body = comment_of(github)
    assert f"[listen]({sim.emulator.url.removesuffix('/api/v2')}/audio/" in body
    links = body.count("[listen](")
    jobs = previewed_in(body)
    assert len(jobs) == 1 and next(iter(jobs.values())).status == "succeeded"
    assert run.outputs["audio-to-generate"] == "0", "the plan now reuses the previewed audio"

    def add_second(data: dict) -> None:  # type: ignore[type-arg]
        data["episodes"].append(
            {
                "key": "fusion",
                "title": "Episode 6 - Fusion",
                "description": "Stars in a bottle.",
                "source": {"topic": "Fusion power, plainly", "duration_minutes": 3},
            }
        )

    sim.edit_show(add_second)  # the next push: only the new source is generated
    sim.commit("And another")
    again = sim.step("plan", sim.pull_request_event(PR), env=preview)
    assert again.exit_code == 0, again.output
    assert "Reusing 1 audio job from earlier previews" in again.output
    assert sim.emulator.account()["audios"] == audios + 2
    body = comment_of(github)
    assert body.count("[listen](") == 2 * links and len(previewed_in(body)) == 2
    assert again.outputs["audio-to-generate"] == "0"
    mic_ids = {job.mic_id for job in previewed_in(body).values()}

    before = sim.head("main", sim.origin)
    merged = sim.merge(PR)
    applied = sim.step("apply", sim.push_event(before, merged))
    assert applied.exit_code == 0, applied.output
    assert "Reusing 2 audio jobs generated for review in pull request #7" in applied.output
    assert "reviewed in pull request #7" in applied.output
    assert applied.outputs["plan-checksum"] == again.outputs["plan-checksum"]
    assert sim.emulator.account()["audios"] == audios + 2, "no audio paid for twice"
    assert sim.emulator.account()["episodes"] == 6
    lock = read_lock(sim.project / "podsync.lock")
    assert mic_ids <= {audio.mic_id for audio in lock.audio.values()}, "the lock records them"
    assert sim.origin_log()[0]["author"] == BOT


def test_the_comment_shows_changed_dialogue_lines_against_the_base(
    sim: Sim, github: FakeGitHub
) -> None:
    def reword(data: dict) -> None:  # type: ignore[type-arg]
        handmade = next(e for e in data["episodes"] if e["key"] == "handmade")
        handmade["source"]["dialogue"][1][1] = "Today: how a show gets made."

    sim.open_pull_request()
    sim.edit_show(reword)
    sim.commit("Tighter intro")
    run = sim.step("plan", sim.pull_request_event(PR, action="opened"), "--comment=true")
    assert run.exit_code == 0, run.output
    body = comment_of(github)
    assert "```diff" in body
    assert "\n+female: Today: how a show gets made.\n" in body
    assert "\n-female: Today we're taking you behind the scenes" in body


def test_no_preview_is_paid_for_a_fork_even_with_a_key(sim: Sim, github: FakeGitHub) -> None:
    sim.open_pull_request("mallory-feature")
    sim.edit_show(add_episode)
    sim.commit("Add an episode from a fork")
    audios = sim.emulator.account()["audios"]
    event = sim.pull_request_event(PR, action="opened", branch="mallory-feature", fork=True)
    run = sim.step("plan", event, env={"PODSYNC_PREVIEW": "true"})
    assert run.exit_code == 0, run.output
    assert "::warning::no preview for a pull request from a fork" in run.output
    assert sim.emulator.account()["audios"] == audios
    assert run.outputs["audio-to-generate"] == "1"
    assert sim.origin_log("mallory-feature")[0]["author"] != BOT


def test_a_lock_that_cannot_be_written_mid_apply_still_ends_with_the_table(
    sim: Sim, github: FakeGitHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    sim.open_pull_request()
    sim.edit_show(add_episode)
    sim.commit("Add an episode")
    assert sim.step("plan", sim.pull_request_event(PR, action="opened")).exit_code == 0
    before = sim.head("main", sim.origin)
    merged = sim.merge(PR)

    real_write = lock_module.write_lock
    writes = []

    def disk_fills_up(path: Path, lock: Lock) -> None:  # the first record fits, then no more
        writes.append(path)
        if len(writes) > 1:
            raise OSError(errno.ENOSPC, "No space left on device")
        real_write(path, lock)

    monkeypatch.setattr(lock_module, "write_lock", disk_fills_up)
    run = sim.step("apply", sim.push_event(before, merged))
    assert run.exit_code == 1, run.output
    assert "Apply interrupted: " in run.output
    assert "::error::cannot write" in run.output and "No space left on device" in run.output
    assert "**Apply interrupted: " in run.summary and "No space left on device" in run.summary


def test_a_locked_job_the_account_lost_is_previewed_once_and_reused_after(
    sim: Sim, github: FakeGitHub
) -> None:
    """main's lock names audio for a source that the account no longer has: the preview pays
    for it once, and the next push and the apply after the merge reuse that job."""
    from tests.test_github_branch_tip import add_quantum

    sim.edit_show(add_quantum)
    quantum = next(
        e for s in load_project(sim.project).shows for e in s.episodes if e.key == "quantum"
    )
    git(sim.work, "checkout", "--quiet", "--", f"{PROJECT_DIR}/shows")
    lock = json.loads((sim.project / "podsync.lock").read_text())
    lock["audio"][quantum.source.digest] = {"mic_id": "gone0001", "status": "succeeded"}
    (sim.project / "podsync.lock").write_text(json.dumps(lock, indent=2))
    sim.commit("a lock written against another account")
    git(sim.work, "push", "--quiet", "origin", "main")
    sim.open_pull_request()
    sim.edit_show(add_quantum)
    sim.commit("Add quantum")
    preview = {"PODSYNC_PREVIEW": "true"}
    jobs = sim.emulator.account()["audios"]
    assert sim.step("plan", sim.pull_request_event(7, action="opened"), env=preview).exit_code == 0
    assert sim.emulator.account()["audios"] == jobs + 1
    git(sim.work, "commit", "--quiet", "--allow-empty", "-m", "another push")
    assert sim.step("plan", sim.pull_request_event(7), env=preview).exit_code == 0
    before = sim.head("main", sim.origin)
    applied = sim.step("apply", sim.push_event(before, sim.merge(7)))
    assert applied.exit_code == 0, applied.output
    assert sim.emulator.account()["audios"] == jobs + 1


def test_the_comment_compares_source_fields_with_the_base_not_the_lock(
    sim: Sim, github: FakeGitHub
) -> None:
    """The lock records a dialogue only as its line count and digest; against the pull
    request's base the comment shows the changed lines instead, as `podsync plan --base-ref`
    does, and no digest rows beside them."""

    def reword(data: dict) -> None:  # type: ignore[type-arg]
        handmade = next(e for e in data["episodes"] if e["key"] == "handmade")
        handmade["source"]["dialogue"][1][1] = "Today: how a show gets made."

    sim.open_pull_request()
    sim.edit_show(reword)
    sim.commit("Tighter intro")
    run = sim.step("plan", sim.pull_request_event(PR, action="opened"), "--comment=true")
    assert run.exit_code == 0, run.output
    body = comment_of(github)
    assert "\n+female: Today: how a show gets made.\n" in body
    assert "dialogue_digest" not in body and "dialogue_lines" not in body
