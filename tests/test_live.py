"""read_live: one listing, then only the managed shows' episodes; over httpx.MockTransport for
counting and concurrency, and over real HTTP against the emulator for the contract."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Collection
from typing import Any

import httpx
import pytest

from podsync.client import ZenMicClient
from podsync.emulator import EmulatorServer
from podsync.errors import ApiError
from podsync.live import ShowSelector, read_live
from podsync.model import Live, LiveEpisode, LiveShow, Source
from tests.conftest import StartEmulator


class Account:
    """A fake ZenMic account served through MockTransport, counting requests per path."""

    def __init__(self, shows: int, episodes_per_show: int = 2, delay: float = 0.0) -> None:
        self.shows = [
            {"id": n, "show_id": f"show-{n}", "title": f"Show {n}", "feed_url": f"https://f/{n}"}
            for n in range(shows)
        ]
        self.episodes_per_show = episodes_per_show
        self.delay = delay
        self.paths: Counter[str] = Counter()
        self.in_flight = 0
        self.peak = 0
        self.missing: set[str] = set()

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        self.paths[request.url.path] += 1
        parts = request.url.path.removeprefix("/api/v2/").split("/")
        if parts == ["podcasts"]:
            return httpx.Response(200, json={"success": True, "data": {"podcasts": self.shows}})
        show_id = parts[1]
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)
        try:
            await asyncio.sleep(self.delay)
        finally:
            self.in_flight -= 1
        if show_id in self.missing:
            return httpx.Response(404, json={"success": False, "error": "Show not found"})
        episodes = [
            {"id": n, "mic_id": f"{show_id}-mic-{n}", "title": f"Ep {n}"}
            for n in range(self.episodes_per_show)
        ]
        return httpx.Response(200, json={"success": True, "data": episodes})

    def expected_episodes(self, show_id: str) -> tuple[LiveEpisode, ...]:
        return tuple(
            LiveEpisode(str(n), f"{show_id}-mic-{n}", f"Ep {n}", "")
            for n in range(self.episodes_per_show)
        )


def read(
    account: Account, managed: Collection[str] | ShowSelector, **options: Any
) -> tuple[Live, int]:
    async def go() -> tuple[Live, int]:
        transport = httpx.MockTransport(account)
        before = sum(account.paths.values())
        async with ZenMicClient("http://zenmic.test/api/v2", "k", transport=transport) as client:
            live = await read_live(client, managed, **options)
            return live, sum(account.paths.values()) - before

    return asyncio.run(go())


def test_lists_once_and_reads_only_managed_shows_episodes() -> None:
    account = Account(shows=5)
    live, requests = read(account, ["show-3", "show-1", "show-gone"])
    assert [s.show_id for s in live.shows] == [f"show-{n}" for n in range(5)]
    by_id = {s.show_id: s for s in live.shows}
    assert by_id["show-1"].episodes == account.expected_episodes("show-1")
    assert by_id["show-3"].episodes == account.expected_episodes("show-3")
    assert [s.episodes for s in live.shows if s.show_id not in {"show-1", "show-3"}] == [None] * 3
    assert live.show("show-gone") is None
    assert by_id["show-0"] == LiveShow("show-0", "Show 0", "", "https://f/0", None)
    assert live.read
    assert requests == 3
    assert account.paths == {
        "/api/v2/podcasts": 1,
        "/api/v2/podcasts/show-1/episodes": 1,
        "/api/v2/podcasts/show-3/episodes": 1,
    }


def test_managed_shows_can_be_chosen_from_the_listing() -> None:
    account = Account(shows=4)
    seen: list[list[str]] = []

    def by_title(shows: list[LiveShow]) -> set[str]:
        seen.append([s.show_id for s in shows])
        return {s.show_id for s in shows if s.title in {"Show 0", "Show 2"}}

    live, requests = read(account, by_title)
    assert seen == [[f"show-{n}" for n in range(4)]]
    assert requests == 3
    assert [s.episodes is not None for s in live.shows] == [True, False, True, False]


def test_an_account_with_nothing_managed_costs_one_request() -> None:
    live, requests = read(Account(shows=4), [])
    assert requests == 1
    assert len(live.shows) == 4
    assert all(s.episodes is None for s in live.shows)


def test_forty_managed_shows_cost_forty_one_requests() -> None:
    account = Account(shows=80)
    managed = [f"show-{n}" for n in range(0, 80, 2)]
    live, requests = read(account, managed)
    assert requests == 1 + 40
    assert sum(1 for s in live.shows if s.episodes is not None) == 40


def test_episode_reads_run_concurrently_within_the_limit() -> None:
    account = Account(shows=8, delay=0.02)
    live, requests = read(account, [f"show-{n}" for n in range(8)], concurrency=3)
    assert account.peak == 3
    assert requests == 9
    assert all(s.episodes == account.expected_episodes(s.show_id) for s in live.shows)


def test_a_failed_episode_read_names_the_show() -> None:
    account = Account(shows=3)
    account.missing = {"show-2"}
    with pytest.raises(ApiError) as info:
        read(account, ["show-1", "show-2"])
    assert info.value.status == 404
    assert info.value.target == "show show-2"
    assert "Show not found" in str(info.value)


def test_concurrency_must_be_positive() -> None:
    with pytest.raises(ValueError, match="concurrency"):
        read(Account(shows=1), ["show-0"], concurrency=0)


async def publish(client: ZenMicClient, show_id: str, title: str) -> LiveEpisode:
    """Pay for audio on the emulator, wait for it, and publish it as an episode."""
    job = await client.submit_audio(Source(kind="topic", topic=title), title)
    while not job.done:
        await asyncio.sleep(0.01)
        job = await client.get_audio(job.id)
    assert job.status == "succeeded"
    return await client.add_episode(show_id, job.id, title, f"About {title}")


def test_read_live_over_real_http_against_the_emulator(start_emulator: StartEmulator) -> None:
    async def go(url: str, server: EmulatorServer) -> None:
        async with ZenMicClient(url, "any-key") as client:
            shows = [await client.create_show(f"Show {n}", f"Desc {n}") for n in range(3)]
            first, second, other = (s.show_id for s in shows)
            published = {
                first: (await publish(client, first, "A1"), await publish(client, first, "A2")),
                second: (await publish(client, second, "B1"),),
            }
            await publish(client, other, "C1")
            before = server.request_count

            live = await read_live(client, [second, first, "gone-show"])

            assert server.request_count - before == 3
            assert [s.show_id for s in live.shows] == [first, second, other]
            assert [(s.title, s.description) for s in live.shows] == [
                (f"Show {n}", f"Desc {n}") for n in range(3)
            ]
            for show in live.shows[:2]:
                assert show.episodes == published[show.show_id]
            assert live.shows[2].episodes is None
            assert live.show("gone-show") is None

    with start_emulator("state") as emulator:
        asyncio.run(go(emulator.url, emulator.server))
