"""apply --preview: the audio of new and changed episodes, made and recorded, nothing published.

End to end against the emulator, whose stats count the audio jobs it was asked for: a preview pays
for each new source once, and the apply that follows pays for none of them again.
"""

from __future__ import annotations

import asyncio
import json
import re
from dataclasses import replace
from pathlib import Path

import pytest

from podsync.apply_mutex import hold_project
from podsync.client import ZenMicClient
from podsync.errors import PodsyncError
from podsync.lock import read_lock
from podsync.operations import (
    audio_pages,
    generate_audio,
    load_inputs,
    plan_offline,
    read_and_plan,
)
from tests.conftest import TEST_KEY, Cli, Emulator
from tests.helpers import edit, episode, new_topic

PAGE = re.compile(r"^  tech-weekly/([a-z-]+) \"[^\"]+\": (http\S+/audio/\S+)$", re.MULTILINE)


def summary(cli: Cli, project: Path) -> dict[str, dict[str, int]]:
    result = cli("plan", str(project), "--format", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)["summary"]  # type: ignore[no-any-return]


def test_preview_pays_once_publishes_nothing_and_apply_reuses_every_job(
    cli: Cli, emulator: Emulator, project: Path
) -> None:
    previewed = cli("apply", str(project), "--preview", "--auto-approve")
    assert previewed.exit_code == 0, previewed.output
    assert emulator.account() == {"audios": 4, "shows": 0, "episodes": 0}
    assert "Preview: 4 new audio jobs to pay for, for 4 episodes" in previewed.stdout
    pages = dict(PAGE.findall(previewed.stdout))
    assert list(pages) == ["ai-health", "privacy", "handmade", "roadmap"]
    assert "Preview finished: 4 done, 0 failed, 0 not started." in previewed.stdout
    lock = read_lock(project / "podsync.lock")
    assert lock.shows == {}
    assert sorted(str(a.audio_page_url) for a in lock.audio.values()) == sorted(pages.values())
    assert all(a.succeeded for a in lock.audio.values())

    assert summary(cli, project) == {
        "shows": {"create": 1, "update": 0, "delete": 0},
        "episodes": {"add": 4, "replace": 0, "remove": 0},
        "audio": {"generate": 0, "reuse": 4},
    }
    applied = cli("apply", str(project), "--auto-approve")
    assert applied.exit_code == 0, applied.output
    assert emulator.account() == {"audios": 4, "shows": 1, "episodes": 4}

    # a later change to one source: its preview makes only that job and leaves the feed alone
    edit(project, lambda d: new_topic(episode(d, "ai-health"), "AI in hospitals"))
    edit(project, lambda d: episode(d, "privacy").update(title="Episode 2 - Your Privacy"))
    show_id = read_lock(project / "podsync.lock").shows["tech-weekly"].show_id
    with emulator.api() as api:
        feed = api.get(f"/podcasts/{show_id}/episodes").json()["data"]
    again = cli("apply", str(project), "--preview", "--auto-approve")
    assert again.exit_code == 0, again.output
    assert "Preview: 1 new audio job to pay for, for 1 episode" in again.stdout
    assert list(dict(PAGE.findall(again.stdout))) == ["ai-health"]
    assert emulator.account() == {"audios": 5, "shows": 1, "episodes": 4}
    with emulator.api() as api:
        assert api.get(f"/podcasts/{show_id}/episodes").json()["data"] == feed
    assert summary(cli, project)["audio"] == {"generate": 0, "reuse": 2}
    assert cli("apply", str(project), "--auto-approve").exit_code == 0
    assert emulator.account() == {"audios": 5, "shows": 1, "episodes": 4}
    assert "No changes" in cli("plan", str(project)).stdout


def test_preview_resumes_a_job_an_earlier_run_left_unfinished(
    cli: Cli, emulator: Emulator, project: Path
) -> None:
    """A job recorded as queued (an apply killed while waiting) is waited on, not paid again."""
    assert cli("apply", str(project), "--preview", "--auto-approve").exit_code == 0
    lock_path = project / "podsync.lock"
    data = json.loads(lock_path.read_text())
    digest, job = next(iter(data["audio"].items()))
    data["audio"][digest] = {"mic_id": job["mic_id"], "status": "queued"}
    lock_path.write_text(json.dumps(data))

    again = cli("apply", str(project), "--preview", "--auto-approve")
    assert again.exit_code == 0, again.output
    assert "Preview: 0 new audio jobs to pay for, for 4 episodes" in again.stdout
    assert len(PAGE.findall(again.stdout)) == 4
    assert emulator.account() == {"audios": 4, "shows": 0, "episodes": 0}
    assert read_lock(lock_path).audio[digest].succeeded


def test_a_failed_preview_job_is_named_and_the_next_plan_generates_it_again(
    cli: Cli, emulator: Emulator, project: Path
) -> None:
    edit(project, lambda d: new_topic(episode(d, "ai-health"), "x [emulator:fail]"))
    result = cli("apply", str(project), "--preview", "--auto-approve")
    assert result.exit_code == 1
    failed = '  tech-weekly/ai-health "Episode 1 - AI in Medicine": (audio job failed: see above)'
    assert failed in result.stdout
    assert "failed       audio for tech-weekly/ai-health: audio job" in result.stderr
    assert "podsync apply --preview" in result.stderr
    assert len(PAGE.findall(result.stdout)) == 3
    assert emulator.account() == {"audios": 4, "shows": 0, "episodes": 0}
    assert summary(cli, project)["audio"] == {"generate": 1, "reuse": 3}


def test_nothing_to_preview_sends_no_job(cli: Cli, emulator: Emulator, project: Path) -> None:
    assert cli("apply", str(project), "--auto-approve").exit_code == 0
    edit(project, lambda d: episode(d, "privacy").update(title="Episode 2 - Your Privacy"))
    result = cli("apply", str(project), "--preview", "--auto-approve")
    assert result.exit_code == 0, result.output
    assert "Nothing to preview: no episode is added or replaced with new audio." in result.stdout
    assert emulator.account() == {"audios": 4, "shows": 1, "episodes": 4}


def test_preview_asks_like_apply_and_waits_its_turn(
    cli: Cli, emulator: Emulator, project: Path, tmp_path: Path
) -> None:
    unasked = cli("apply", str(project), "--preview")
    assert unasked.exit_code == 1
    assert "without a terminal pass --auto-approve" in unasked.stderr
    with hold_project(project):
        busy = cli("apply", str(project), "--preview", "--auto-approve")
    assert busy.exit_code == 1
    assert "another podsync apply is running" in busy.stderr
    out = tmp_path / "saved.plan"
    assert cli("plan", str(project), "--out", str(out)).exit_code == 0
    with_file = cli("apply", str(out), "--preview")
    assert with_file.exit_code == 1
    assert "--preview goes with a project folder" in with_file.stderr
    assert emulator.stats()["requests"] == 1  # the saved plan's listing of shows
    assert emulator.account() == {"audios": 0, "shows": 0, "episodes": 0}


def test_preview_from_python_and_the_pages_a_comment_links(
    emulator: Emulator, project: Path
) -> None:
    inputs = load_inputs(project)

    async def run() -> None:
        async with ZenMicClient(emulator.url, TEST_KEY) as client:
            planned = await read_and_plan(inputs, client)
            outcome = await generate_audio(planned, client)
            assert outcome.ok
            assert len(outcome.done) == 4
            previewed = await read_and_plan(
                replace(inputs, lock=read_lock(inputs.lock_path)), client
            )
            pages = audio_pages(previewed.plan, previewed.live)
            assert set(pages) == {j.digest for j in planned.plan.audio}
            assert all(url.startswith("http") for url in pages.values())
            assert audio_pages(planned.plan, planned.live) == {}, "nothing to hear before"
            with pytest.raises(PodsyncError, match="an offline plan cannot be previewed"):
                await generate_audio(plan_offline(inputs), client)

    asyncio.run(run())
    assert emulator.account() == {"audios": 4, "shows": 0, "episodes": 0}
