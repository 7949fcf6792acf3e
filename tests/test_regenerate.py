"""`--regenerate SHOW/EPISODE` (issue 11, point 6): a new paid take of an unchanged source,
re-published with it; the old job kept in the lock's history; typos refused before any
request; a saved plan carries the request to `apply PLANFILE`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Cli, Emulator
from tests.helpers import edit, episode

EPISODE = "tech-weekly/ai-health"


def lock(project: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((project / "podsync.lock").read_text())
    return data


@pytest.fixture
def applied(cli: Cli, project: Path) -> Path:
    assert cli("apply", str(project), "--auto-approve").exit_code == 0
    return project


def test_regenerate_pays_one_job_and_keeps_the_old_one(
    cli: Cli, emulator: Emulator, applied: Path
) -> None:
    before = lock(applied)
    record = before["shows"]["tech-weekly"]["episodes"]["ai-health"]
    old_job = before["audio"][record["digest"]]
    audios = emulator.account()["audios"]

    plan = cli("plan", str(applied), "--regenerate", EPISODE)
    assert plan.exit_code == 0, plan.output
    assert "  $ generate audio for ai-health: dialogue" in plan.stdout
    assert '~ replace episode ai-health "Episode 1 - AI in Medicine" [1] (regenerate (asked))' in (
        plan.stdout
    )
    assert "1 audio job to generate" in plan.stdout
    assert emulator.account()["audios"] == audios  # a plan pays nothing

    result = cli("apply", str(applied), "--auto-approve", "--regenerate", EPISODE)
    assert result.exit_code == 0, result.output
    assert emulator.account()["audios"] == audios + 1
    after = lock(applied)
    new_record = after["shows"]["tech-weekly"]["episodes"]["ai-health"]
    assert new_record["digest"] == record["digest"]
    assert new_record["mic_id"] != record["mic_id"]
    assert new_record["episode_id"] != record["episode_id"]  # re-published
    assert after["audio"][record["digest"]]["mic_id"] == new_record["mic_id"]
    assert after["history"] == {record["digest"]: [old_job]}
    again = cli("plan", str(applied))
    assert "No changes." in again.stdout


def test_an_unknown_episode_is_refused_before_any_request(
    cli: Cli, emulator: Emulator, applied: Path
) -> None:
    requests = emulator.stats()["requests"]
    for command in ("plan", "apply"):
        result = cli(command, str(applied), "--regenerate", "tech-weekly/nope")
        assert result.exit_code == 1
        assert "--regenerate tech-weekly/nope: the manifests have no such episode" in (
            result.output
        )
    assert emulator.stats()["requests"] == requests


def test_a_saved_plan_carries_the_regenerate_request(
    cli: Cli, emulator: Emulator, applied: Path, tmp_path: Path
) -> None:
    saved = tmp_path / "regenerate.plan"
    plan = cli("plan", str(applied), "--regenerate", EPISODE, "--out", str(saved))
    assert plan.exit_code == 0, plan.output
    assert json.loads(saved.read_text())["options"]["regenerate"] == [EPISODE]
    audios = emulator.account()["audios"]
    other = cli("apply", str(saved), "--regenerate", "tech-weekly/privacy")
    assert other.exit_code == 1 and "other --regenerate names" in other.output
    result = cli("apply", str(saved))
    assert result.exit_code == 0, result.output
    assert emulator.account()["audios"] == audios + 1


def test_a_previewed_regenerate_is_published_without_paying_again(
    cli: Cli, emulator: Emulator, applied: Path
) -> None:
    audios = emulator.account()["audios"]
    preview = cli("apply", str(applied), "--preview", "--auto-approve", "--regenerate", EPISODE)
    assert preview.exit_code == 0, preview.output
    assert emulator.account()["audios"] == audios + 1
    digest = lock(applied)["shows"]["tech-weekly"]["episodes"]["ai-health"]["digest"]
    take = lock(applied)["audio"][digest]["mic_id"]
    plan = cli("plan", str(applied), "--regenerate", EPISODE)
    assert f"  = reuse audio for ai-health [{take}]" in plan.stdout
    result = cli("apply", str(applied), "--auto-approve", "--regenerate", EPISODE)
    assert result.exit_code == 0, result.output
    assert emulator.account()["audios"] == audios + 1
    assert lock(applied)["shows"]["tech-weekly"]["episodes"]["ai-health"]["mic_id"] == take


def test_a_regenerate_is_undone_by_naming_the_old_job(
    cli: Cli, emulator: Emulator, applied: Path
) -> None:
    """The old take stays in the lock's history; `source: {audio: <mic_id>}` publishes it
    again at no cost, and an existing job cannot itself be regenerated."""
    record = lock(applied)["shows"]["tech-weekly"]["episodes"]["ai-health"]
    assert cli("apply", str(applied), "--auto-approve", "--regenerate", EPISODE).exit_code == 0
    old = lock(applied)["history"][record["digest"]][0]["mic_id"]
    assert old == record["mic_id"]
    audios = emulator.account()["audios"]

    def back_to_the_old_take(data: dict[str, Any]) -> None:
        episode(data, "ai-health")["source"] = {"audio": old}

    edit(applied, back_to_the_old_take)
    result = cli("apply", str(applied), "--auto-approve")
    assert result.exit_code == 0, result.output
    assert emulator.account()["audios"] == audios
    assert lock(applied)["shows"]["tech-weekly"]["episodes"]["ai-health"]["mic_id"] == old
    refused = cli("plan", str(applied), "--regenerate", EPISODE)
    assert refused.exit_code == 1 and "an existing audio job (audio:)" in refused.output
