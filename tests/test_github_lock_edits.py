"""A pull request's edits to podsync.lock are shown to the reviewer, and audio it points an
episode at by hand is published only when the account vouches for it: in the simulated
runner, with the fake GitHub and the emulator."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

import pytest

from podsync.github.lock_review import (
    LockEdit,
    edit_warnings,
    hand_added_audio,
    lock_edits,
    unvouched,
    unvouched_jobs,
)
from podsync.lock import CachedAudio, Lock, LockedEpisode, LockedShow
from podsync.manifest import load_project
from podsync.model import Live, LiveJob, Source
from podsync.plan import AddEpisode, Plan, Reason, ReuseAudio, WarningCode
from podsync.render.phrases import LOCK_EDITED, warning_text
from tests.fake_github import FakeGitHub
from tests.runner_sim import PROJECT_DIR, REPO, Sim

PR = 7
EVIL = "https://evil.example/listen"


def add_quantum(title: str) -> Any:
    def change(data: dict[str, Any]) -> None:
        data["episodes"].append(
            {
                "key": "quantum",
                "title": title,
                "description": "Qubits, plainly.",
                "source": {"topic": "Quantum computing for everyone", "duration_minutes": 4},
            }
        )

    return change


def quantum_digest(sim: Sim) -> str:
    shows = load_project(sim.project).shows
    return next(e.source.digest for s in shows for e in s.episodes if e.key == "quantum")


def edit_lock(sim: Sim, change: Any) -> dict[str, Any]:
    path = sim.project / "podsync.lock"
    lock: dict[str, Any] = json.loads(path.read_text())
    change(lock)
    path.write_text(json.dumps(lock, indent=2, sort_keys=True) + "\n")
    return lock


def published_titles(sim: Sim) -> list[str]:
    with sim.emulator.api() as api:
        show = api.get("/podcasts").json()["data"][0]
        episodes = api.get(f"/podcasts/{show['show_id']}/episodes").json()["data"]
    return sorted(e["title"] for e in episodes)


@pytest.mark.parametrize("history", ["fetched", "shallow"])
def test_a_lock_edit_that_points_a_new_episode_at_another_episodes_audio_is_refused(
    sim: Sim, github: FakeGitHub, history: str
) -> None:
    """`shallow`: a push event whose `before` the checkout lacks and cannot fetch: the push gate
    refuses it before the lock review is reached, and nothing is paid or published either way."""
    sim.open_pull_request()
    sim.edit_show(add_quantum("Episode 5 - Quantum"))
    digest = quantum_digest(sim)

    def launder(lock: dict[str, Any]) -> None:
        episodes = lock["shows"]["tech-weekly"]["episodes"]
        lock["audio"][digest] = {
            "mic_id": episodes["ai-health"]["mic_id"],
            "status": "succeeded",
            "audio_page_url": EVIL,
        }
        episodes["roadmap"]["protected"] = True

    stolen = edit_lock(sim, launder)["audio"][digest]["mic_id"]
    sim.commit("Add a quantum episode (and a little lock edit)")
    jobs = sim.emulator.account()["audios"]
    planned = sim.step("plan", sim.pull_request_event(PR, action="opened"))
    assert planned.exit_code == 0, planned.output
    (body,) = github.bodies(REPO, PR)
    assert EVIL not in body, "no listen link from the lock"
    assert f"generated earlier, no cost (job {stolen})" in body.replace("\\_", "_")
    assert "podsync.lock is edited by hand in this pull request" in body
    assert f"audio sha256:{digest[7:19]}… (episode 'tech-weekly/quantum') added: job " in body
    assert "episode 'tech-weekly/roadmap' protected 'false' → 'true'" in body
    assert "does not vouch for it" in body and "the apply after the merge refuses it" in body
    assert "the base's podsync.lock has it already, for" in body
    assert "is titled 'Episode 1 - AI in Medicine', not 'Episode 5 - Quantum'" in body

    live = published_titles(sim)
    before = sim.head("main", sim.origin) if history == "fetched" else "f" * 40
    applied = sim.step("apply", sim.push_event(before, sim.merge(PR)))
    assert applied.exit_code == 1, applied.output
    assert "Nothing was applied" in applied.output
    if history == "fetched":
        laundered = (
            f"podsync.lock points the audio of episode 'tech-weekly/quantum' at job {stolen}"
        )
        assert laundered in applied.output and "Not applied" in applied.summary
    else:  # the push gate refuses first: it cannot tell that the push did not rewrite main
        assert (
            f"commit {'f' * 12} is not in the checkout and could not be fetched" in applied.output
        )
    assert published_titles(sim) == live, "the laundered audio was not published"
    assert sim.emulator.account()["audios"] == jobs


def test_audio_the_account_vouches_for_is_reused_and_linked_from_the_account(
    sim: Sim, github: FakeGitHub
) -> None:
    title = "Episode 5 - Quantum"
    sim.open_pull_request()
    sim.edit_show(add_quantum(title))
    digest = quantum_digest(sim)
    sim.commit("Add a quantum episode")
    with sim.emulator.api() as api:  # made for this episode after the branch, by hand
        made = api.post(
            "/audios",
            json={"source": "topic", "topic": "Quantum computing for everyone", "title": title},
        ).json()["data"]
        assert api.get(f"/audios/{made['id']}").json()["data"]["status"] == "succeeded"

    def record(lock: dict[str, Any]) -> None:
        lock["audio"][digest] = {
            "mic_id": made["id"],
            "status": "succeeded",
            "audio_page_url": EVIL,
        }

    edit_lock(sim, record)
    sim.commit("Record the audio made for it")
    jobs = sim.emulator.account()["audios"]
    planned = sim.step("plan", sim.pull_request_event(PR, action="opened"))
    assert planned.exit_code == 0, planned.output
    (body,) = github.bodies(REPO, PR)
    assert "podsync.lock is edited by hand in this pull request" in body
    assert "does not vouch" not in body
    assert EVIL not in body and f"[listen]({made['audio_page_url']})" in body

    before = sim.head("main", sim.origin)
    applied = sim.step("apply", sim.push_event(before, sim.merge(PR)))
    assert applied.exit_code == 0, applied.output
    assert title in published_titles(sim)
    assert sim.emulator.account()["audios"] == jobs, "the vouched-for job was reused"
    assert f"{PROJECT_DIR}/podsync.lock" in sim.origin_log()[0]["files"]


def _plan_reusing(mic_id: str, title: str) -> tuple[Plan, str]:
    source = Source(kind="topic", topic="Quantum computing for everyone")
    job = ReuseAudio(source.digest, "tw", "quantum", title, source, mic_id)
    add = AddEpisode("tw", "quantum", Reason.NEW, 0, title, "", source.digest)
    return Plan(audio=(job,), episodes=(add,)), source.digest


def test_lock_edits_and_the_accounts_word_as_plain_data() -> None:
    plan, digest = _plan_reusing("j2", "Quantum")
    base = Lock(
        shows={
            "tw": LockedShow("s1", "T", "D", {"a": LockedEpisode("e1", "j1", "sha256:x", "A", "")})
        }
    )
    head = base.with_audio(digest, CachedAudio("j2", "succeeded", audio_page_url=EVIL))
    head = head.with_protection("tw", "a", True)
    assert lock_edits(base, head) == [
        LockEdit("episode", "tw/a", "protected", "false", "true"),
        LockEdit("audio", digest, "added", None, "job j2"),
    ]
    added = hand_added_audio(base, head)
    assert set(added) == {digest}
    since = datetime(2026, 1, 1, tzinfo=timezone.utc)
    good = Live(shows=(), jobs={"j2": LiveJob("succeeded", "Quantum", "2026-01-02T00:00:00Z")})
    assert unvouched(plan, good, added, base, since) == []
    old = Live(shows=(), jobs={"j2": LiveJob("queued", "Quantum", "2025-12-31T00:00:00Z")})
    (problem,) = unvouched(plan, old, added, base, since)
    assert "its status is 'queued'" in problem and "before the pull request's branch" in problem
    theirs = Live(shows=(), jobs={"j1": LiveJob("succeeded", "Quantum", "2026-01-02T00:00:00Z")})
    stolen = base.with_audio(digest, CachedAudio("j1", "succeeded"))
    plan_j1, _ = _plan_reusing("j1", "Quantum")
    (problem,) = unvouched(plan_j1, theirs, hand_added_audio(base, stolen), base, None)
    assert "the base's podsync.lock has it already, for episode 'tw/a'" in problem
    assert unvouched(plan, Live(shows=()), added, base, None) == [
        "podsync.lock points the audio of episode 'tw/quantum' at job j2 by hand, and ZenMic "
        "does not vouch for it: the account was not read for it"
    ]


def test_lock_edit_warnings_are_codes_with_parameters_worded_in_phrases() -> None:
    """The plan carries what changed and why the account does not vouch, as values; only
    render/phrases.py makes sentences of them."""
    plan, digest = _plan_reusing("j2", "Quantum")
    episode = LockedEpisode("e1", "j2", "sha256:x", "A", "")
    base = Lock(shows={"tw": LockedShow("s1", "T", "D", {"a": episode})})
    head = base.with_audio(digest, CachedAudio("j2", "succeeded")).with_protection("tw", "a", True)
    edited = edit_warnings(lock_edits(base, head), plan)
    assert [(w.code, dict(w.params)) for w in edited] == [
        (
            WarningCode.LOCK_EDITED,
            {
                "kind": "episode",
                "target": "tw/a",
                "what": "protected",
                "before": "false",
                "after": "true",
                "owner": None,
            },
        ),
        (
            WarningCode.LOCK_EDITED,
            {
                "kind": "audio",
                "target": digest,
                "what": "added",
                "before": None,
                "after": "job j2",
                "owner": "tw/quantum",
            },
        ),
    ]
    assert [warning_text(w) for w in edited] == [
        f"{LOCK_EDITED}: episode 'tw/a' protected 'false' → 'true'",
        f"{LOCK_EDITED}: audio {digest[:19]}… (episode 'tw/quantum') added: job j2",
    ]
    since = datetime(2026, 1, 1, tzinfo=timezone.utc)
    old = Live(shows=(), jobs={"j2": LiveJob("queued", "Quantum?", None)})
    (refused,) = unvouched_jobs(plan, old, hand_added_audio(base, head), base, since)
    warning = refused.warning()
    assert (warning.code, warning.show, warning.episode) == (
        WarningCode.AUDIO_UNVOUCHED,
        "tw",
        "quantum",
    )
    assert json.loads(json.dumps(dict(warning.params))) == {
        "mic_id": "j2",
        "reasons": [
            {"code": "status", "status": "queued"},
            {"code": "title", "title": "Quantum?", "wanted": "Quantum"},
            {"code": "made_before", "made_at": None, "since": "2026-01-01T00:00:00+00:00"},
            {"code": "in_base", "owners": [{"episode": "tw/a"}]},
        ],
    }
    assert warning_text(warning) == (
        "podsync.lock points the audio of episode 'tw/quantum' at job j2 by hand, and ZenMic "
        "does not vouch for it: its status is 'queued', not 'succeeded'; it is titled "
        "'Quantum?', not 'Quantum'; it was made at (no time given), before the pull request's "
        "branch was (2026-01-01T00:00:00+00:00); the base's podsync.lock has it already, for "
        "episode 'tw/a': the apply after the merge refuses it"
    )
