"""The Action's trust model, probed as an unlucky team or a hostile collaborator would: an
approval applies once, on the default branch, by the push that merged it; a comment edited by
anyone but the bot approves nothing; audio a pull request's previews paid for is never paid
for again, within the pull request or at its merge, nor silently when the comment cannot be
read. Each runs the real `podsync action` in the simulated runner (tests/runner_sim.py) with
the fake GitHub (tests/fake_github.py) and the ZenMic emulator."""

from __future__ import annotations

import json
from typing import Any

import pytest

from podsync.github import preview
from podsync.github.api import Comment, GitHubApi
from podsync.github.comment import previewed_in
from podsync.github.runner import Runner
from podsync.lock import CachedAudio, Lock, read_lock
from podsync.manifest import load_project
from tests.fake_github import FakeGitHub
from tests.runner_sim import GH_TOKEN, PROJECT_DIR, REPO, Run, Sim, git
from tests.test_github_branch_tip import add_quantum

PREVIEW: dict[str, str | None] = {"PODSYNC_PREVIEW": "true"}
MALLORY: dict[str, Any] = {"login": "mallory", "id": 666, "type": "User"}
LOCK = f"{PROJECT_DIR}/podsync.lock"


def retitle_quantum(data: dict[str, Any]) -> None:
    next(e for e in data["episodes"] if e["key"] == "quantum")["title"] = "Episode 5 - Qubits"


def set_topic(topic: str) -> Any:
    def change(data: dict[str, Any]) -> None:
        next(e for e in data["episodes"] if e["key"] == "quantum")["source"]["topic"] = topic

    return change


def plan_pr(sim: Sim, number: int, branch: str, env: dict[str, str | None] | None = None) -> Run:
    run = sim.step("plan", sim.pull_request_event(number, branch=branch), env=env)
    assert run.exit_code == 0, run.output
    return run


def merge_and_apply(sim: Sim, number: int, branch: str) -> tuple[str, Run]:
    before = sim.head("main", sim.origin)
    merged = sim.merge(number, branch)
    applied = sim.step("apply", sim.push_event(before, merged))
    assert applied.exit_code == 0, applied.output
    assert f"reviewed in pull request #{number}" in applied.output
    return merged, applied


def two_applied_pull_requests(sim: Sim) -> str:
    """#7 adds an episode and is applied, #8 retitles it and is applied; #7's merge commit."""
    sim.open_pull_request("add")
    sim.edit_show(add_quantum)
    sim.commit("Add a quantum episode")
    plan_pr(sim, 7, "add")
    first, _ = merge_and_apply(sim, 7, "add")
    sim.open_pull_request("retitle")
    sim.edit_show(retitle_quantum)
    sim.commit("Retitle it")
    plan_pr(sim, 8, "retitle")
    merge_and_apply(sim, 8, "retitle")
    return first


def quantum_digest(sim: Sim) -> str:
    episodes = (e for s in load_project(sim.project).shows for e in s.episodes)
    return next(e for e in episodes if e.key == "quantum").source.digest


def spent_nothing(sim: Sim, account: dict[str, Any], requests: int) -> None:
    assert sim.emulator.account() == account, "nothing published, nothing paid"
    assert sim.emulator.stats()["requests"] == requests, "not a single ZenMic request"


# 1. An approval applies once, by the push that merged it, on the default branch


def test_main_force_reset_to_an_applied_merge_applies_nothing(sim: Sim, github: FakeGitHub) -> None:
    """Today: "the plan reviewed in pull request #7" is found again, a second copy of the
    episode is published beside the retitled one and its audio paid for again. Refused whether
    the payload says `forced` or not (then the ancestry of the commits says it)."""
    first = two_applied_pull_requests(sim)
    account, requests = sim.emulator.account(), sim.emulator.stats()["requests"]
    asked = len(github.requests)

    before = sim.push_ref(first, "refs/heads/main", force=True)
    for forced in (True, False):
        run = sim.step("apply", sim.push_event(before, first, forced=forced))
        assert run.exit_code == 1, run.output
        assert f"main was force-pushed from {before[:12]} to {first[:12]}" in run.output
        assert "::error::" in run.output and "Nothing was applied" in run.output
        assert "Not applied: history rewritten." in run.summary
        assert run.outputs["has-changes"] == "false"
        spent_nothing(sim, account, requests)
        assert len(github.requests) == asked, "no approval looked up"
        assert sim.head("main", sim.origin) == first, "no lock committed"


def test_a_branch_or_tag_at_an_applied_merge_stands_down(sim: Sim, github: FakeGitHub) -> None:
    """Today the branch's run applies #7's plan again and commits the lock to that branch; the
    tag's applies too, then fails after paying."""
    first = two_applied_pull_requests(sim)
    account, requests = sim.emulator.account(), sim.emulator.stats()["requests"]
    asked = len(github.requests)

    for ref, what in [
        ("refs/heads/replay", "to the branch replay"),
        ("refs/tags/v1.0", "of the tag v1.0"),
    ]:
        before = sim.push_ref(first, ref)
        run = sim.step("apply", sim.push_event(before, first, ref=ref))
        assert run.exit_code == 0, run.output
        said = (
            f"podsync apply stood down: this run is for a push {what}; podsync applies only "
            "what is merged into main"
        )
        assert f"::warning::{said}" in run.output
        assert "Not applied: not the default branch." in run.summary
        assert run.outputs["has-changes"] == "false"
        spent_nothing(sim, account, requests)
        assert len(github.requests) == asked
        assert git(sim.origin, "rev-parse", ref) == first, "nothing committed there"


def test_apply_on_a_pull_request_event_stands_down(sim: Sim, github: FakeGitHub) -> None:
    """A workflow that runs the apply step on pull requests too: today, with require-review
    false, it publishes the unmerged changes and pushes them, with the lock, onto main."""
    sim.open_pull_request()
    sim.edit_show(add_quantum)
    sim.commit("Add a quantum episode")
    main = sim.head("main", sim.origin)
    account, requests = sim.emulator.account(), sim.emulator.stats()["requests"]
    run = sim.step(
        "apply", sim.pull_request_event(7, action="opened"), env={"PODSYNC_REQUIRE_REVIEW": "false"}
    )
    assert run.exit_code == 0, run.output
    assert (
        "::warning::podsync apply stood down: this run is for refs/pull/7/merge, not a push to "
        "a branch; podsync applies only what is merged into main" in run.output
    )
    spent_nothing(sim, account, requests)
    assert sim.head("main", sim.origin) == main, "nothing pushed to main"


def test_an_approval_is_recorded_in_the_lock_and_never_applied_twice(
    sim: Sim, github: FakeGitHub
) -> None:
    """The lock committed after an apply says which pull request's plan it applied; a second
    run on the same approval (the job re-run once the episode was deleted by hand, from a lock
    that has its records) refuses to spend it again, before anything is planned against it."""
    sim.open_pull_request()
    sim.edit_show(add_quantum)
    sim.commit("Add a quantum episode")
    planned = plan_pr(sim, 7, "feature", PREVIEW)
    before = sim.head("main", sim.origin)
    merged = sim.merge(7)
    event = sim.push_event(before, merged)
    assert sim.step("apply", event).exit_code == 0

    record = json.loads(sim.origin_file(LOCK))["applied"]
    assert record == {
        "7": {"checksum": planned.outputs["plan-checksum"], "merge_commit": merged},
    }
    with sim.emulator.api() as api:  # the episode is deleted by hand in ZenMic
        show = api.get("/podcasts").json()["data"][0]
        episodes = api.get(f"/podcasts/{show['show_id']}/episodes").json()["data"]
        quantum = next(e for e in episodes if e["title"] == "Episode 5 - Quantum")
        assert api.delete(f"/podcasts/{show['show_id']}/episodes/{quantum['id']}").is_success
    account = sim.emulator.account()
    git(sim.work, "checkout", "--quiet", "--detach", merged)  # the re-run's checkout
    again = sim.step("apply", event)
    assert again.exit_code == 1, again.output
    assert (
        f"pull request #7's reviewed plan was already applied, by the push of {merged[:12]}: "
        "an approval is used once" in again.output
    )
    assert sim.emulator.account() == account


# 2. The approval cannot be forged by editing the bot's comment


def forge(body: str, checksum: str, jobs: dict[str, CachedAudio]) -> str:
    """The comment with another checksum and a preview marker pasted in, as a collaborator
    with write access can do in the web page (the author stays the bot)."""
    lines = body.rstrip("\n").split("\n")
    at = next(i for i, line in enumerate(lines) if line.startswith("<!-- podsync:checksum "))
    lines[at] = f"<!-- podsync:checksum {checksum} -->"
    lines.insert(at + 1, preview.encode(jobs)[0])
    return "\n".join(lines) + "\n"


def test_a_comment_edited_by_a_collaborator_approves_nothing(sim: Sim, github: FakeGitHub) -> None:
    """The issue's forgery: the checksum of a plan that reuses another episode's audio (made
    by pushing, then reverting, a lock edit) and a preview marker naming that audio are pasted
    into the bot's comment. Today the merge publishes the new episode with that audio, paying
    for no job; now the edit is seen (GitHub's record of who last edited the comment) and
    nothing is applied."""
    github.collaborators.add(MALLORY["login"])
    github.users["ghp_mallory"] = MALLORY
    sim.open_pull_request()
    sim.edit_show(add_quantum)
    sim.commit("Add a quantum episode")
    plan_pr(sim, 7, "feature")
    digest = quantum_digest(sim)
    lock = json.loads((sim.project / "podsync.lock").read_text())
    privacy = lock["shows"]["tech-weekly"]["episodes"]["privacy"]["mic_id"]
    lock["audio"][digest] = {"mic_id": privacy, "status": "succeeded"}
    (sim.project / "podsync.lock").write_text(json.dumps(lock, indent=2))
    sim.commit("point the new episode at another one's audio")
    forged_checksum = plan_pr(sim, 7, "feature").outputs["plan-checksum"]
    git(sim.work, "revert", "--no-edit", "HEAD")
    plan_pr(sim, 7, "feature")

    body = github.bodies(REPO, 7)[0]
    jobs = {digest: CachedAudio(privacy, "succeeded")}
    github.edit_comment(REPO, 7, forge(body, forged_checksum, jobs), user=MALLORY)
    before = sim.head("main", sim.origin)
    merged = sim.merge(7)
    account = sim.emulator.account()
    run = sim.step("apply", sim.push_event(before, merged))

    assert run.exit_code == 1, run.output
    assert (
        "the podsync plan comment on pull request #7 was edited by mallory after podsync "
        "wrote it" in run.output
    )
    assert "Nothing was applied" in run.output
    assert sim.emulator.account() == account, "no episode published with another's audio"


def test_the_next_plan_does_not_carry_audio_an_edit_pasted_into_the_comment(
    sim: Sim, github: FakeGitHub
) -> None:
    """The bot's next update would launder a pasted marker (the comment's last editor is the
    bot again): the plan reads no earlier preview from a comment someone else edited."""
    sim.open_pull_request()
    sim.edit_show(add_quantum)
    sim.commit("Add a quantum episode")
    plan_pr(sim, 7, "feature", PREVIEW)
    body = github.bodies(REPO, 7)[0]
    paid = previewed_in(body)
    digest = quantum_digest(sim)
    pasted = {**paid, digest: CachedAudio("stolen0001", "succeeded")}
    github.edit_comment(REPO, 7, forge(body, "sha256:" + "0" * 64, pasted), user=MALLORY)
    git(sim.work, "commit", "--quiet", "--allow-empty", "-m", "another push")
    run = plan_pr(sim, 7, "feature", PREVIEW)
    assert "::warning::the podsync plan comment on pull request #7 was edited by mallory" in (
        run.output
    )
    assert "stolen0001" not in github.bodies(REPO, 7)[0]


# 6. What a pull request's previews paid for is never paid for again


def test_a_reverted_preview_reuses_the_job_made_for_it(sim: Sim, github: FakeGitHub) -> None:
    """Topic T1 -> job A; T2 -> job B; back to T1: today a third job; now A again, and the
    merge pays for nothing."""
    sim.open_pull_request()
    sim.edit_show(add_quantum)
    sim.commit("Add a quantum episode (T1)")
    audios = sim.emulator.account()["audios"]
    plan_pr(sim, 7, "feature", PREVIEW)
    first = previewed_in(github.bodies(REPO, 7)[0])
    sim.edit_show(set_topic("Quantum computing, the hard parts"))
    sim.commit("T2")
    plan_pr(sim, 7, "feature", PREVIEW)
    assert sim.emulator.account()["audios"] == audios + 2
    git(sim.work, "revert", "--no-edit", "HEAD")
    back = plan_pr(sim, 7, "feature", PREVIEW)

    assert sim.emulator.account()["audios"] == audios + 2, "T1's job is reused"
    assert back.outputs["audio-to-generate"] == "0"
    carried = previewed_in(github.bodies(REPO, 7)[0])
    assert len(carried) == 2 and first.items() <= carried.items()
    before = sim.head("main", sim.origin)
    applied = sim.step("apply", sim.push_event(before, sim.merge(7)))
    assert applied.exit_code == 0, applied.output
    assert sim.emulator.account()["audios"] == audios + 2, "nor paid again at the merge"
    lock = read_lock(sim.project / "podsync.lock")
    # The marker carries the job, not its audio_url: apply asks the account for that.
    assert lock.audio[quantum_digest(sim)].mic_id == first[quantum_digest(sim)].mic_id


def test_an_unreadable_comment_never_pays_again_without_review(
    sim: Sim, github: FakeGitHub
) -> None:
    """require-review: false, and the comment that carries the previewed jobs cannot be read
    (a token without `pull-requests: read`, GitHub down): today the apply goes on without them
    and pays for that audio again; now it refuses, and a re-run once GitHub answers applies."""
    sim.open_pull_request()
    sim.edit_show(add_quantum)
    sim.commit("Add a quantum episode")
    plan_pr(sim, 7, "feature", PREVIEW)
    before = sim.head("main", sim.origin)
    event = sim.push_event(before, sim.merge(7))
    account = sim.emulator.account()
    unreviewed: dict[str, str | None] = {"PODSYNC_REQUIRE_REVIEW": "false"}
    for status in (403, 502):
        github.comments_status = status
        run = sim.step("apply", event, env=unreviewed)
        assert run.exit_code == 1, run.output
        assert (
            f"the merged pull request could not be looked up: GitHub GET /repos/{REPO}/issues/"
            f"7/comments -> {status}" in run.output
        )
        assert "would pay again for audio its previews may have paid for" in run.output
        assert "Nothing was applied" in run.output
        assert sim.emulator.account() == account

    github.comments_status = None
    rerun = sim.step("apply", event, env=unreviewed)
    assert rerun.exit_code == 0, rerun.output
    assert "Reusing 1 audio job generated for review in pull request #7" in rerun.output
    assert sim.emulator.account()["audios"] == account["audios"], "the previewed job reused"


def test_a_shallow_checkout_is_deepened_to_see_a_fast_forward(sim: Sim) -> None:
    """actions/checkout fetches one commit unless told otherwise: the merge's parent is then
    not in the checkout, and a fast-forward must not look like a forced push."""
    from podsync.errors import RewrittenHistory
    from podsync.github.push_gate import check_push

    before = sim.head("main", sim.origin)
    sim.edit_show(add_quantum)
    after = sim.commit("Add a quantum episode")
    git(sim.work, "push", "--quiet", "origin", "main")
    shallow = sim.root / "shallow"
    git(sim.root, "clone", "--quiet", "--depth=1", f"file://{sim.origin}", str(shallow))
    assert git(shallow, "rev-parse", "--is-shallow-repository") == "true"
    runner = Runner(
        event_name="push",
        event=sim.push_event(before, after),
        repository=REPO,
        sha=after,
        ref="refs/heads/main",
        output_path=None,
        summary_path=None,
        temp_dir=sim.root,
    )
    assert check_push(runner, shallow / PROJECT_DIR) is None
    rewound = Runner(**{**vars(runner), "event": sim.push_event(after, before), "sha": before})
    with pytest.raises(RewrittenHistory, match=f"main was force-pushed from {after[:12]}"):
        check_push(rewound, shallow / PROJECT_DIR)


def test_the_comment_keeps_earlier_jobs_within_its_bound_the_plans_first() -> None:
    """Bounded: the plan's own jobs always, then earlier previews' jobs, most recent first,
    while PREVIEW_MARKER_CHARS has room; never a failed one or one the branch's lock names."""

    def digest(n: int) -> str:
        return f"sha256:{n:064x}"

    page = "https://emulator.zenmic.invalid/audio/" + "p" * 120
    jobs = {
        digest(n): CachedAudio(f"now{n:04}", "succeeded", audio_page_url=page) for n in range(10)
    }
    older = {
        digest(n): CachedAudio(f"old{n:04}", "succeeded", audio_page_url=page)
        for n in range(999, 10, -1)  # as the comment had them: the most recent first
    }
    committed = Lock().with_audio(digest(999), CachedAudio("old0999", "succeeded"))
    older[digest(5)] = CachedAudio("now0005", "succeeded")  # a source the plan uses again
    older[digest(998)] = CachedAudio("old0998", "failed")
    history = preview.earlier(older, jobs, committed)
    assert digest(999) not in history and digest(998) not in history and digest(5) not in history

    line, kept = preview.encode(jobs, history)
    assert len(line) <= preview.PREVIEW_MARKER_CHARS
    assert jobs.items() <= kept.items(), "every job the plan uses"
    kept_older = [d for d in kept if d not in jobs]
    assert 50 < len(kept_older) < len(history)
    assert kept_older == list(history)[: len(kept_older)], "the most recent first"
    assert list(preview.decode(line.split()[2])) == list(kept), "the order survives the marker"


def test_only_the_bot_as_graphql_names_it_is_the_comment_author(github: FakeGitHub) -> None:
    """GraphQL spells the bot `github-actions` (typename Bot): a person who took that login
    is not it; a personal token's user is its own author."""
    from podsync.errors import EditedByOther
    from podsync.github.comment import verified_body

    impostor = {"login": "github-actions", "id": 7, "type": "User"}
    alice = {"login": "alice", "id": 8, "type": "User"}
    github.collaborators.add("github-actions")
    with GitHubApi(GH_TOKEN, api_url=github.url) as api:
        comment = api.create_issue_comment(REPO, 7, "first")
        assert verified_body(api, comment, "github-actions[bot]") == "first", "never edited"
        api.update_issue_comment(REPO, comment.id, "second")
        assert verified_body(api, comment, "github-actions[bot]") == "second", "by the bot"
        github.edit_comment(REPO, 7, "third", user=impostor)
        with pytest.raises(EditedByOther, match="last edited by github-actions"):
            verified_body(api, comment, "github-actions[bot]")
        mine = Comment(**{**vars(comment), "author": "alice", "author_is_bot": False})
        github.edit_comment(REPO, 7, "fourth", user=alice)
        assert verified_body(api, mine, "alice") == "fourth"
        with pytest.raises(EditedByOther):
            verified_body(api, comment, "github-actions[bot]")
        github.comments[(REPO, 7)][0]["editor"] = None  # alice deleted her account
        with pytest.raises(EditedByOther, match="last edited by an account since deleted"):
            verified_body(api, comment, "github-actions[bot]")
