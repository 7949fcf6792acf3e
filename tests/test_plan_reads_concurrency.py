"""The reads a plan makes (operations.steps.read_and_plan, shared by plan and apply): the
episode listings of the shows it manages go side by side, at most `--concurrency` at once, in
1 + (number of shows) requests, and a failed one still names its show by its manifest key.

A unit test of the step alone, so its account is an httpx.MockTransport that counts the
listings in flight (tests/test_live.py does the same for read_live itself)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest

from podsync.client import ZenMicClient
from podsync.errors import ApiError
from podsync.inputs import load_inputs
from podsync.lock import LOCK_NAME, Lock, LockedShow, write_lock
from podsync.operations.steps import Planned, read_and_plan

SHOWS = 10


class Account:
    """SHOWS live shows with no episodes. An episode listing is held until `expected` of them
    are in flight at once (or 2 s passed: then the reads were not side by side), so the peak
    does not depend on timing."""

    def __init__(self, expected: int, missing: str | None = None) -> None:
        self.expected = expected
        self.requests = 0
        self.in_flight = 0
        self.peak = 0
        self.missing = missing
        self.release = asyncio.Event()

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests += 1
        parts = request.url.path.removeprefix("/api/v2/").split("/")
        if parts == ["podcasts"]:
            shows = [
                {"show_id": f"live-{n}", "title": f"Show {n}", "episode_count": 0}
                for n in range(SHOWS)
            ]
            return httpx.Response(200, json={"success": True, "data": shows})
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)
        if self.in_flight >= self.expected:
            self.release.set()
        try:
            await asyncio.wait_for(self.release.wait(), timeout=2)
        except TimeoutError:
            self.release.set()  # not side by side: let the rest through, the peak says so
        finally:
            self.in_flight -= 1
        if parts[1] == self.missing:
            return httpx.Response(404, json={"success": False, "error": "Show not found"})
        return httpx.Response(200, json={"success": True, "data": []})


def project(root: Path) -> Path:
    """SHOWS manifests, and a lock that manages each as live show live-N."""
    (root / "shows").mkdir(parents=True)
    lock = Lock()
    for n in range(SHOWS):
        text = f"show: show-{n}\ntitle: Show {n}\ndescription: ''\nepisodes: []\n"
        (root / "shows" / f"show-{n}.yaml").write_text(text, encoding="utf-8")
        lock = lock.with_show(f"show-{n}", LockedShow(f"live-{n}", f"Show {n}", ""))
    write_lock(root / LOCK_NAME, lock)
    return root


def plan_with(account: Account, root: Path, concurrency: int) -> Planned:
    async def go() -> Planned:
        transport = httpx.MockTransport(account)
        async with ZenMicClient("http://zenmic.test/api/v2", "k", transport=transport) as client:
            return await read_and_plan(load_inputs(root), client, concurrency=concurrency)

    return asyncio.run(go())


@pytest.mark.parametrize("concurrency", [1, 4])
def test_episode_listings_are_read_concurrency_at_a_time(concurrency: int, tmp_path: Path) -> None:
    account = Account(expected=concurrency)
    planned = plan_with(account, project(tmp_path), concurrency)
    assert account.peak == concurrency
    assert account.requests == 1 + SHOWS
    assert not planned.plan.has_changes
    assert [s.show_id for s in planned.live.shows] == [f"live-{n}" for n in range(SHOWS)]


def test_a_failed_listing_among_concurrent_ones_names_its_show(tmp_path: Path) -> None:
    account = Account(expected=4, missing="live-7")
    with pytest.raises(ApiError) as info:
        plan_with(account, project(tmp_path), 4)
    assert info.value.target == "show show-7 (live-7)"
    assert info.value.status == 404
