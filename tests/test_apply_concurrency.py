"""Apply works on independent shows side by side (bounded by --concurrency), each show's own
changes still in manifest order."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any, cast

import yaml

from podsync.client import ZenMicClient
from podsync.emulator import Faults
from podsync.executor import PollPolicy
from podsync.lock import read_lock
from podsync.model import LiveShow
from podsync.operations import execute, load_inputs, read_and_plan
from podsync.timeouts import Timeouts
from tests.conftest import TEST_KEY, StartEmulator


def shows(root: Path, count: int, episodes: int = 1) -> Path:
    (root / "shows").mkdir(parents=True, exist_ok=True)
    for s in range(count):
        manifest = {
            "show": f"s{s}",
            "title": f"Show {s}",
            "episodes": [
                {"key": f"e{n}", "title": f"Part {n}", "source": {"topic": f"Topic {s} {n}"}}
                for n in range(episodes)
            ],
        }
        (root / "shows" / f"s{s}.yaml").write_text(yaml.safe_dump(manifest))
    return root


class Overlap(ZenMicClient):
    """Notes how many shows were being created at once, at most."""

    creating: int
    most: int

    async def create_show(self, *args: Any, **kwargs: Any) -> LiveShow:
        self.creating += 1
        self.most = max(self.most, self.creating)
        try:
            return await super().create_show(*args, **kwargs)
        finally:
            self.creating -= 1


def apply_with(url: str, project: Path, concurrency: int) -> int:
    async def scenario() -> int:
        async with Overlap(url, TEST_KEY, timeouts=Timeouts()) as opened:
            client = cast(Overlap, opened)
            client.creating = client.most = 0
            planned = await read_and_plan(load_inputs(project), client)
            poll = PollPolicy(first=0.01, floor=0.01)
            outcome = await execute(planned, client, poll=poll, concurrency=concurrency)
            assert outcome.ok, outcome.failed
            return client.most

    return asyncio.run(scenario())


def test_shows_are_created_side_by_side_up_to_the_concurrency(
    tmp_path: Path, start_emulator: StartEmulator
) -> None:
    project = shows(tmp_path / "project", 4, episodes=2)
    with start_emulator("state", job_seconds=0.0, faults=Faults(latency=0.1)) as server:
        most = apply_with(server.url, project, concurrency=3)
        assert server.account() == {"shows": 4, "episodes": 8, "audios": 8}
    assert 2 <= most <= 3
    lock = read_lock(project / "podsync.lock")
    assert sorted(lock.shows) == ["s0", "s1", "s2", "s3"]
    assert all(list(s.episodes) == ["e0", "e1"] for s in lock.shows.values())


def test_concurrency_1_applies_one_show_at_a_time(
    tmp_path: Path, start_emulator: StartEmulator
) -> None:
    project = shows(tmp_path / "project", 3)
    with start_emulator("state", job_seconds=0.0, faults=Faults(latency=0.05)) as server:
        assert apply_with(server.url, project, concurrency=1) == 1
        assert server.account() == {"shows": 3, "episodes": 3, "audios": 3}
