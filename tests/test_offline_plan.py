"""plan --offline: the manifests against podsync.lock alone, for a fork's pull request (no key).

The planner half builds the lock by hand and plans against `live_from_lock`; the end-to-end half
runs the CLI with no API key while the emulator counts every request that reaches it.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from podsync.cli import main
from podsync.errors import PlanError
from podsync.live import live_from_lock
from podsync.lock import CachedAudio, Lock, read_lock, serialize
from podsync.model import Desired, Live
from podsync.operations import load_inputs, plan_offline
from podsync.plan import AdoptEpisode, AdoptShow, Plan, ReplaceEpisode, ReuseAudio
from podsync.plan_file import plan_checksum
from podsync.planner import plan
from podsync.render import render
from podsync.render.phrases import warning_text
from podsync.render.text import OFFLINE_HEADER
from tests.conftest import Cli, Emulator
from tests.helpers import edit, episode, new_topic
from tests.test_planner import episode as ep
from tests.test_planner import published, show, the, topic


def offline(desired: Desired, lock: Lock, **options: bool) -> Plan:
    return plan(desired, lock, live_from_lock(lock), **options)


def changes(p: Plan) -> list[tuple[str, str, str]]:
    shows = [(c.action, c.key, c.reason) for c in p.shows]
    return shows + [(c.action, c.key, c.reason) for c in p.episodes]


# planner: what an offline plan concludes


def test_the_lock_read_as_the_account_has_podsyncs_shows_and_episodes_only() -> None:
    lock, live = published(show(ep("a"), ep("b")))
    synthesised = live_from_lock(lock)
    assert not synthesised.read
    assert synthesised.audio == {}
    assert synthesised.shows == tuple(replace(s, feed_url=None) for s in live.shows)


def test_an_unchanged_project_has_no_changes_no_drift_and_nothing_unmanaged() -> None:
    s = show(ep("a"), ep("b"), ep("c"))
    lock, _ = published(s)
    p = offline(Desired((s,)), lock)
    assert not p.has_changes
    assert (p.live_read, p.warnings, p.unmanaged, p.forget, p.guards) == (False, (), (), (), ())


def test_manifest_edits_show_exactly_as_against_a_live_account_that_matches_the_lock() -> None:
    before = show(ep("a"), ep("b"), ep("c"), ep("d"))
    lock, live = published(before)
    after = replace(
        show(
            ep("a", source=topic("a new angle")),
            ep("b", title="A better title"),
            ep("d"),
            ep("e"),
            title="Tech Monthly",
        ),
        description="new blurb",
    )
    desired = Desired((after, show(ep("x"), key="other", title="Other")))
    # the live account as it is right after that apply: every cached job confirmed
    verified = replace(live, audio={a.mic_id: a.status for a in lock.audio.values()})
    off, on = offline(desired, lock), plan(desired, lock, verified)
    assert changes(off) == [
        ("update", "tw", "title_and_description_changed"),
        ("create", "other", "new"),
        ("replace", "a", "source_changed"),
        ("replace", "b", "title_changed"),
        ("add", "e", "new"),
        ("add", "x", "new"),
        ("remove", "c", "removed_from_manifest"),
    ]
    assert [(j.action, j.episode) for j in off.audio] == [
        ("generate", "a"),
        ("reuse", "b"),
        ("generate", "e"),
        ("generate", "x"),
    ]
    assert (off.shows, off.audio, off.episodes) == (on.shows, on.audio, on.episodes)
    assert plan_checksum(off) == plan_checksum(on)
    assert off.warnings == on.warnings


def test_a_removed_manifest_is_a_guarded_show_deletion() -> None:
    lock, _ = published(show(ep("a")))
    p = offline(Desired(()), lock)
    assert changes(p) == [("delete", "tw", "removed_from_manifest")]
    assert [g.code for g in p.guards] == ["destroy"]


def test_cached_audio_counts_as_the_lock_recorded_it_with_no_status_to_verify() -> None:
    s = show(ep("a"), ep("b"), ep("c"))
    lock, _ = published(s)
    back, waiting, failed = topic("reverted"), topic("queued earlier"), topic("failed earlier")
    lock = (
        lock.with_audio(back.digest, CachedAudio("mic-old", "succeeded"))
        .with_audio(waiting.digest, CachedAudio("mic-wait", "queued"))
        .with_audio(failed.digest, CachedAudio("mic-bad", "failed"))
    )
    edited = show(ep("a", source=back), ep("b", source=waiting), ep("c", source=failed))
    p = offline(Desired((edited,)), lock)
    assert [(j.action, j.episode, getattr(j, "mic_id", None)) for j in p.audio] == [
        ("reuse", "a", "mic-old"),
        ("resume", "b", "mic-wait"),
        ("generate", "c", None),
    ]


def test_an_episode_key_rename_keeps_the_episode_as_in_a_live_plan() -> None:
    lock, _ = published(show(ep("a"), ep("b", title="Same")))
    renamed = show(ep("a"), ep("b2", title="Same", source=topic("topic b")))
    p = offline(Desired((renamed,)), lock)
    first, second = p.episodes  # its description derives from its key, so it changed
    adopt, republish = the(AdoptEpisode, first), the(ReplaceEpisode, second)
    assert (adopt.action, adopt.key, adopt.renamed_from) == ("adopt", "b2", "b")
    assert (republish.action, republish.republish) == ("replace", True)
    assert [(j.action, the(ReuseAudio, j).mic_id) for j in p.audio] == [("reuse", "mic-b")]


def test_a_show_key_rename_keeps_the_show_as_in_a_live_plan() -> None:
    lock, _ = published(show(ep("a")))
    p = offline(Desired((show(ep("a"), key="tech"),)), lock)
    assert [(c.action, c.key, the(AdoptShow, c).renamed_from) for c in p.shows] == [
        ("adopt", "tech", "tw")
    ]
    assert not p.episodes and not p.guards


def test_the_feed_order_the_lock_cannot_record_is_taken_as_the_manifests() -> None:
    s = show(ep("b"), ep("a"))
    lock, _ = published(s)
    on_disk = Lock.from_dict(json.loads(serialize(lock)))  # episodes come back sorted by key
    assert list(on_disk.shows["tw"].episodes) == ["a", "b"]
    assert offline(Desired((s,)), on_disk).warnings == ()
    inserted = offline(Desired((show(ep("new"), ep("b"), ep("a")),)), on_disk)
    assert any(
        "will list episodes newest first as new, a, b" in warning_text(w) for w in inserted.warnings
    )


def test_an_explicit_show_id_the_lock_does_not_know_is_adopted_with_a_warning() -> None:
    s = replace(show(ep("a")), show_id="sh-elsewhere")
    p = offline(Desired((s,)), Lock())
    assert changes(p) == [("adopt", "tw", "show_id_set"), ("add", "a", "new")]
    assert any("only a plan that reads the account can tell" in warning_text(w) for w in p.warnings)
    with pytest.raises(PlanError, match="is not in the account"):
        plan(Desired((s,)), Lock(), Live(()))


def test_text_says_first_that_the_account_was_not_read() -> None:
    s = show(ep("a"))
    lock, live = published(s)
    unchanged = render(offline(Desired((s,)), lock), "text")
    assert unchanged.splitlines()[0] == OFFLINE_HEADER
    assert "compares the manifests with podsync.lock" in unchanged.splitlines()[1]
    assert "cannot be applied as it is" in unchanged
    assert unchanged.splitlines()[-1] == "No changes between the manifests and podsync.lock."
    assert unchanged.count("not read") == 1
    online = render(plan(Desired((s,)), lock, live), "text")
    assert online == "No changes. Your podcasts match the manifests.\n"


# end to end: the CLI with no API key, the emulator counting requests


def keyless(emulator: Emulator, *args: str) -> Result:
    """podsync as a fork's pull request runs it: the API URL set, no key."""
    env = {"ZENMIC_API_URL": emulator.url, "ZENMIC_API_KEY": None, "NO_COLOR": "1"}
    return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)


def test_a_project_with_no_lock_plans_everything_as_new_without_a_request(
    emulator: Emulator, project: Path
) -> None:
    result = keyless(emulator, "plan", str(project), "--offline", "--detailed-exitcode")
    assert result.exit_code == 2, result.output
    assert result.stdout.startswith(OFFLINE_HEADER + "\n")
    assert (
        "Plan: 1 show to create, 0 to update, 0 to delete; 4 episodes to add, 0 to replace, "
        "0 to remove; 4 audio jobs to generate, 0 reused." in result.stdout
    )
    assert emulator.stats()["requests"] == 0
    without = keyless(emulator, "plan", str(project))
    assert without.exit_code == 1 and "ZENMIC_API_KEY is not set" in without.stderr


def test_an_edited_manifest_shows_exactly_the_edit_with_the_checksum_of_a_real_plan(
    cli: Cli, emulator: Emulator, project: Path
) -> None:
    assert cli("apply", str(project), "--auto-approve").exit_code == 0
    unchanged = keyless(emulator, "plan", str(project), "--offline", "--detailed-exitcode")
    assert unchanged.exit_code == 0, unchanged.output
    edit(project, lambda d: new_topic(episode(d, "ai-health"), "AI in hospitals"))
    edit(project, lambda d: episode(d, "privacy").update(title="Episode 2 - Your Privacy"))
    requests = emulator.stats()["requests"]

    result = keyless(emulator, "plan", str(project), "--offline", "--format", "json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["live_read"] is False
    listed = [(c["type"], c["action"], c["episode"], c["reason"]) for c in document["changes"]]
    assert listed == [
        ("audio", "generate", "ai-health", "audio_not_cached"),
        ("audio", "reuse", "privacy", "audio_cached"),
        ("episode", "replace", "ai-health", "source_changed"),
        ("episode", "replace", "privacy", "title_changed"),
    ]
    assert emulator.stats()["requests"] == requests
    # the account matches the lock, so a reviewer of the offline plan reviewed the real one
    online = json.loads(cli("plan", str(project), "--format", "json").stdout)
    assert online["live_read"] is True
    assert online["checksum"] == document["checksum"]


def test_a_saved_offline_plan_cannot_be_applied(
    cli: Cli, emulator: Emulator, project: Path, tmp_path: Path
) -> None:
    out = tmp_path / "offline.plan"
    saved = keyless(emulator, "plan", str(project), "--offline", "--out", str(out))
    assert saved.exit_code == 0, saved.output
    assert "Saved the offline plan" in saved.stderr and "cannot be applied" in saved.stderr
    assert json.loads(out.read_text())["plan"]["live_read"] is False

    applied = cli("apply", str(out))
    assert applied.exit_code == 1
    assert f"Error: {out} is an offline plan (podsync plan --offline)" in applied.stderr
    assert "cannot be applied" in applied.stderr
    assert emulator.stats()["requests"] == 0
    assert not (project / "podsync.lock").exists()


def test_plan_offline_reads_only_local_files(project: Path) -> None:
    planned = plan_offline(load_inputs(project), no_delete=True)
    assert planned.live.read is False and planned.plan.live_read is False
    assert read_lock(project / "podsync.lock") == planned.inputs.lock == Lock()
