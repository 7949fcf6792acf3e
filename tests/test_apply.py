"""plan -> apply -> plan end to end: the CLI in-process, the emulator over real HTTP."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema

from podsync.lock import read_lock
from tests.conftest import Cli, Emulator, StartEmulator
from tests.helpers import SHOW, edit, episode, new_topic


def test_plan_apply_plan_converges(cli: Cli, emulator: Emulator, project: Path) -> None:
    first = cli("plan", str(project), "--detailed-exitcode")
    assert first.exit_code == 2, first.output
    assert "4 episodes to add" in first.output
    assert "4 audio jobs to generate" in first.output

    applied = cli("apply", str(project), "--auto-approve")
    assert applied.exit_code == 0, applied.output
    assert emulator.stats()["audios"] == 4
    assert emulator.stats()["episodes"] == 4

    again = cli("plan", str(project), "--detailed-exitcode")
    assert again.exit_code == 0, again.output
    assert "No changes" in again.output

    lock = read_lock(project / "podsync.lock")
    assert list(lock.shows["tech-weekly"].episodes) == [
        "ai-health",
        "handmade",
        "privacy",
        "roadmap",
    ]
    assert all(a.status == "succeeded" for a in lock.audio.values())


def test_feed_order_is_manifest_order(cli: Cli, emulator: Emulator, project: Path) -> None:
    assert cli("apply", str(project), "--auto-approve").exit_code == 0
    show_id = read_lock(project / "podsync.lock").shows["tech-weekly"].show_id
    with emulator.api() as api:
        titles = [e["title"] for e in api.get(f"/podcasts/{show_id}/episodes").json()["data"]]
    assert titles == [
        "Episode 1 - AI in Medicine",
        "Episode 2 - Privacy",
        "Episode 3 - Behind the Scenes",
        "Episode 4 - The Roadmap",
    ]


def test_one_topic_edit_pays_for_exactly_one_job(
    cli: Cli, emulator: Emulator, project: Path
) -> None:
    assert cli("apply", str(project), "--auto-approve").exit_code == 0
    edit(project, lambda d: new_topic(episode(d, "ai-health"), "AI in hospitals"))
    planned = json.loads(cli("plan", str(project), "--format", "json").stdout)
    assert planned["summary"]["audio"] == {"generate": 1, "reuse": 0}
    assert planned["summary"]["episodes"] == {"add": 0, "replace": 1, "remove": 0}

    assert cli("apply", str(project), "--auto-approve").exit_code == 0
    assert emulator.stats()["audios"] == 5
    assert emulator.stats()["episodes"] == 4
    assert cli("plan", str(project), "--detailed-exitcode").exit_code == 0


def test_title_edit_republishes_without_an_audio_job(
    cli: Cli, emulator: Emulator, project: Path
) -> None:
    assert cli("apply", str(project), "--auto-approve").exit_code == 0
    before = read_lock(project / "podsync.lock").shows["tech-weekly"].episodes["privacy"]
    edit(project, lambda d: episode(d, "privacy").update(title="Episode 2 - Your Privacy"))
    plan = cli("plan", str(project))
    assert "title changed" in plan.output
    assert "0 audio jobs to generate" in plan.output

    assert cli("apply", str(project), "--auto-approve").exit_code == 0
    assert emulator.stats()["audios"] == 4
    after = read_lock(project / "podsync.lock").shows["tech-weekly"].episodes["privacy"]
    assert (after.mic_id, after.title) == (before.mic_id, "Episode 2 - Your Privacy")
    assert after.episode_id != before.episode_id
    assert cli("plan", str(project), "--detailed-exitcode").exit_code == 0


def test_drift_is_repaired(cli: Cli, emulator: Emulator, project: Path) -> None:
    assert cli("apply", str(project), "--auto-approve").exit_code == 0
    lock = read_lock(project / "podsync.lock")
    show = lock.shows["tech-weekly"]
    with emulator.api() as api:
        api.delete(f"/podcasts/{show.show_id}/episodes/{show.episodes['handmade'].episode_id}")
        api.patch(f"/podcasts/{show.show_id}", json={"title": "Hijacked"})

    plan = cli("plan", str(project))
    assert "drift: removed outside podsync" in plan.output
    assert "drift: changed outside podsync" in plan.output
    assert "0 audio jobs to generate" in plan.output

    assert cli("apply", str(project), "--auto-approve").exit_code == 0
    assert emulator.stats()["audios"] == 4
    with emulator.api() as api:
        assert api.get(f"/podcasts/{show.show_id}").json()["data"]["title"] == "Acme Tech Weekly"
    assert cli("plan", str(project), "--detailed-exitcode").exit_code == 0


def test_hand_made_episodes_are_reported_and_left_alone(
    cli: Cli, emulator: Emulator, project: Path
) -> None:
    assert cli("apply", str(project), "--auto-approve").exit_code == 0
    show = read_lock(project / "podsync.lock").shows["tech-weekly"]
    mic_id = show.episodes["ai-health"].mic_id
    with emulator.api() as api:
        api.post(f"/podcasts/{show.show_id}/episodes", json={"mic_id": mic_id, "title": "Bonus"})
    plan = cli("plan", str(project), "--detailed-exitcode")
    assert plan.exit_code == 0
    assert "Bonus" in plan.output
    assert cli("apply", str(project), "--auto-approve").exit_code == 0
    assert emulator.stats()["episodes"] == 5


def test_failed_job_names_the_episode_and_the_rest_is_published(
    cli: Cli, emulator: Emulator, project: Path
) -> None:
    edit(project, lambda d: episode(d, "privacy")["source"].update(topic="[emulator:fail] focus"))
    result = cli("apply", str(project), "--auto-approve")
    assert result.exit_code == 1
    assert re.search(r"failed\s+episode tech-weekly/privacy: audio job \w+ failed", result.output)
    # the episode before it is published; the ones after it wait so the feed keeps its order
    assert "not started  episode tech-weekly/handmade: waits on episode tech-weekly/privacy" in (
        result.output
    )
    lock = read_lock(project / "podsync.lock")
    assert list(lock.shows["tech-weekly"].episodes) == ["ai-health"]
    assert emulator.stats()["audios"] == 4  # every job ran; only one failed

    edit(project, lambda d: episode(d, "privacy")["source"].update(topic="privacy focus"))
    plan = json.loads(cli("plan", str(project), "--format", "json").stdout)
    assert plan["summary"]["audio"] == {"generate": 1, "reuse": 2}
    assert cli("apply", str(project), "--auto-approve").exit_code == 0
    assert emulator.stats()["audios"] == 5
    assert cli("plan", str(project), "--detailed-exitcode").exit_code == 0


def test_episode_removed_from_manifest_is_removed_live(
    cli: Cli, emulator: Emulator, project: Path
) -> None:
    assert cli("apply", str(project), "--auto-approve").exit_code == 0
    edit(project, lambda d: d.update(episodes=[e for e in d["episodes"] if e["key"] != "roadmap"]))
    assert "1 to remove" in cli("plan", str(project)).output
    assert cli("apply", str(project), "--auto-approve").exit_code == 0
    assert emulator.stats()["episodes"] == 3
    assert "roadmap" not in read_lock(project / "podsync.lock").shows["tech-weekly"].episodes


def test_deleting_a_show_needs_allow_destroy(cli: Cli, emulator: Emulator, project: Path) -> None:
    assert cli("apply", str(project), "--auto-approve").exit_code == 0
    (project / SHOW).unlink()
    refused = cli("apply", str(project), "--auto-approve")
    assert refused.exit_code == 1
    assert "--allow-destroy" in refused.output
    assert emulator.stats()["shows"] == 1

    allowed = cli("apply", str(project), "--auto-approve", "--allow-destroy")
    assert allowed.exit_code == 0, allowed.output
    assert emulator.stats()["shows"] == 0
    assert read_lock(project / "podsync.lock").shows == {}


def test_lost_lock_adopts_instead_of_duplicating(
    cli: Cli, emulator: Emulator, project: Path
) -> None:
    assert cli("apply", str(project), "--auto-approve").exit_code == 0
    (project / "podsync.lock").unlink()
    plan = json.loads(cli("plan", str(project), "--format", "json").stdout)
    assert [c["action"] for c in plan["changes"]] == ["adopt"] * 5
    assert cli("apply", str(project), "--auto-approve").exit_code == 0
    assert emulator.account() == {"shows": 1, "episodes": 4, "audios": 4}
    assert cli("plan", str(project), "--detailed-exitcode").exit_code == 0


def test_json_plan_matches_its_schema(cli: Cli, project: Path) -> None:
    schema = json.loads((Path(__file__).parent.parent / "schemas/plan.schema.json").read_text())
    plan = json.loads(cli("plan", str(project), "--format", "json").stdout)
    jsonschema.Draft202012Validator(schema).validate(plan)
    assert plan["summary"]["shows"] == {"create": 1, "update": 0, "delete": 0}


def test_no_change_plan_makes_one_request_per_show_plus_one(
    cli: Cli, emulator: Emulator, project: Path
) -> None:
    assert cli("apply", str(project), "--auto-approve").exit_code == 0
    before = emulator.stats()["requests"]
    assert cli("plan", str(project), "--detailed-exitcode").exit_code == 0
    assert emulator.stats()["requests"] - before == 2


def test_apply_without_terminal_needs_auto_approve(
    cli: Cli, emulator: Emulator, project: Path
) -> None:
    result = cli("apply", str(project))
    assert result.exit_code == 1
    assert "--auto-approve" in result.output
    assert emulator.stats()["requests"] == 0


def test_renaming_a_show_key_keeps_the_show(cli: Cli, emulator: Emulator, project: Path) -> None:
    assert cli("apply", str(project), "--auto-approve").exit_code == 0
    show_id = read_lock(project / "podsync.lock").shows["tech-weekly"].show_id
    edit(project, lambda d: d.update(show="tech"))
    plan = cli("plan", str(project))
    assert "renamed from 'tech-weekly'" in plan.output
    assert "DELETED" not in plan.output
    assert cli("apply", str(project), "--auto-approve").exit_code == 0
    lock = read_lock(project / "podsync.lock")
    assert list(lock.shows) == ["tech"]
    assert lock.shows["tech"].show_id == show_id
    assert len(lock.shows["tech"].episodes) == 4
    assert emulator.account() == {"shows": 1, "episodes": 4, "audios": 4}
    assert cli("plan", str(project), "--detailed-exitcode").exit_code == 0


def test_lock_from_another_account_converges_without_duplicates(
    cli: Cli, emulator: Emulator, project: Path, start_emulator: StartEmulator
) -> None:
    """A lock written against one backend (say the local emulator) used against another: the
    cached audio is not there, so it is generated, and nothing is published twice."""
    with start_emulator("other-account") as other:
        other_cli = Cli(other)
        assert other_cli("apply", str(project), "--auto-approve").exit_code == 0
    planned = json.loads(cli("plan", str(project), "--format", "json").stdout)
    assert planned["summary"]["shows"]["create"] == 1
    assert planned["summary"]["audio"] == {"generate": 4, "reuse": 0}
    assert cli("apply", str(project), "--auto-approve").exit_code == 0
    assert emulator.account() == {"shows": 1, "episodes": 4, "audios": 4}
    assert cli("plan", str(project), "--detailed-exitcode").exit_code == 0


def test_renaming_an_episode_key_keeps_the_episode_and_pays_nothing(
    cli: Cli, emulator: Emulator, project: Path
) -> None:
    assert cli("apply", str(project), "--auto-approve").exit_code == 0
    before = emulator.account()
    edit(project, lambda d: episode(d, "privacy").update(key="privacy-policy"))
    planned = cli("plan", str(project))
    assert "renamed from 'privacy'" in planned.output
    assert "remove episode" not in planned.output and "add episode" not in planned.output
    assert cli("apply", str(project), "--auto-approve").exit_code == 0
    assert emulator.account() == before
    lock = read_lock(project / "podsync.lock")
    assert "privacy-policy" in lock.shows["tech-weekly"].episodes
    assert "privacy" not in lock.shows["tech-weekly"].episodes
    assert "No changes" in cli("plan", str(project)).output
