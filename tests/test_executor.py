"""The executor against the emulator over HTTP, with failures injected at the client seam."""

from __future__ import annotations

import asyncio
from pathlib import Path

import yaml

from podsync.client import ZenMicClient
from podsync.errors import ApiError
from podsync.executor import PollPolicy
from podsync.lock import read_lock
from podsync.model import LiveEpisode
from podsync.operations import execute, load_inputs, read_and_plan
from tests.conftest import TEST_KEY, Emulator


class AddFails(ZenMicClient):
    """A client whose episode adds are refused, as by an outage in the middle of a re-publish."""

    async def add_episode(
        self, show_id: str, mic_id: str, title: str, description: str
    ) -> LiveEpisode:
        raise ApiError("POST", f"/podcasts/{show_id}/episodes", 503, "down for maintenance")


async def apply_with(client: ZenMicClient, project: Path) -> list[tuple[str, str]]:
    planned = await read_and_plan(load_inputs(project), client)
    outcome = await execute(planned, client, poll=PollPolicy(first=0.01))
    return outcome.failed


async def plan_summary(url: str, project: Path) -> dict[str, dict[str, int]]:
    async with ZenMicClient(url, TEST_KEY) as client:
        return (await read_and_plan(load_inputs(project), client)).plan.summary()


def test_a_republish_whose_add_fails_leaves_the_live_episode_and_is_retried_without_paying(
    emulator: Emulator, project: Path
) -> None:
    async def scenario() -> None:
        async with ZenMicClient(emulator.url, TEST_KEY) as client:
            assert await apply_with(client, project) == []
        show_id = read_lock(project / "podsync.lock").shows["tech-weekly"].show_id
        with emulator.api() as api:
            live_before = api.get(f"/podcasts/{show_id}/episodes").json()["data"]
        path = project / "shows/tech-weekly.yaml"
        data = yaml.safe_load(path.read_text())
        data["episodes"][0]["title"] = "Episode 1 - AI in the Clinic"
        path.write_text(yaml.safe_dump(data, sort_keys=False))
        async with AddFails(emulator.url, TEST_KEY) as failing:
            failed = await apply_with(failing, project)
        assert [label for label, _ in failed] == ["episode tech-weekly/ai-health"]
        assert "down for maintenance" in failed[0][1]
        assert failed[0][1].endswith("; the live episode stays on the feed as it was")
        with emulator.api() as api:  # the add comes first: nothing was removed
            assert api.get(f"/podcasts/{show_id}/episodes").json()["data"] == live_before
        assert "ai-health" in read_lock(project / "podsync.lock").shows["tech-weekly"].episodes
        summary = await plan_summary(emulator.url, project)
        assert summary["episodes"]["replace"] == 1
        assert summary["audio"] == {"generate": 0, "reuse": 1}
        async with ZenMicClient(emulator.url, TEST_KEY) as client:
            assert await apply_with(client, project) == []
        assert emulator.account() == {"shows": 1, "episodes": 4, "audios": 4}

    asyncio.run(scenario())
