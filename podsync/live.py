"""Read what the ZenMic account holds now, in as few requests as the API allows.

One listing of every show, then the episodes of only the shows podsync manages, fetched
concurrently: plan cost grows with the project, not with the account.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Collection, Iterable
from dataclasses import replace
from typing import TypeVar

from podsync.client import ZenMicClient
from podsync.errors import ApiError
from podsync.lock import Lock
from podsync.model import AUDIO_MISSING, Live, LiveEpisode, LiveShow

T = TypeVar("T")
ShowSelector = Callable[[list[LiveShow]], Collection[str]]


async def read_live(
    client: ZenMicClient,
    managed_show_ids: Collection[str] | ShowSelector,
    *,
    concurrency: int = 8,
    name: Callable[[str], str] = lambda show_id: f"show {show_id}",
) -> Live:
    """Live shows in API order; managed ones carry their episodes, the rest ``episodes=None``.

    ``managed_show_ids`` may also be a function of the listing, for callers that can only tell
    which shows matter once they see what exists (adopting a show by its title, say).
    A managed show_id missing from the listing is simply absent: the planner decides what
    that drift means. A show whose ``episode_count`` disagrees with its episode listing is an
    ApiError: one of the two reads is incomplete, and a plan made from it could re-create or
    remove episodes that are there. (During apply, podsync's own changes move the count, so
    the executor's own lookups do not check it.)
    """
    if concurrency < 1:
        raise ValueError("concurrency must be at least 1")
    shows = await client.list_shows()
    selected = managed_show_ids(shows) if callable(managed_show_ids) else managed_show_ids
    managed = set(selected)
    wanted = list(dict.fromkeys(s.show_id for s in shows if s.show_id in managed))
    counts = {s.show_id: s.episode_count for s in shows}
    gate = asyncio.Semaphore(concurrency)

    async def episodes_of(show_id: str) -> tuple[LiveEpisode, ...]:
        async with gate:
            try:
                return tuple(await client.list_episodes(show_id, counts[show_id]))
            except ApiError as exc:
                raise exc.for_target(name(show_id)) from None

    fetched = await _gather_or_cancel(episodes_of(i) for i in wanted)
    episodes = dict(zip(wanted, fetched, strict=True))
    return Live(shows=tuple(_with_episodes(show, episodes) for show in shows))


def _with_episodes(show: LiveShow, episodes: dict[str, tuple[LiveEpisode, ...]]) -> LiveShow:
    if show.show_id in episodes:
        return replace(show, episodes=episodes[show.show_id])
    return replace(show, episodes=None)


async def _gather_or_cancel(awaitables: Iterable[Awaitable[T]]) -> list[T]:
    """Like gather, but the first failure cancels the rest instead of leaving them running."""
    tasks = [asyncio.ensure_future(a) for a in awaitables]
    try:
        return list(await asyncio.gather(*tasks))
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise


async def read_audio_statuses(
    client: ZenMicClient,
    mic_ids: Collection[str],
    *,
    concurrency: int = 8,
    name: Callable[[str], str] = lambda mic_id: f"cached audio {mic_id}",
) -> dict[str, str]:
    """The status of each cached audio job the plan relies on; ``missing`` when the account
    answers 404, as it does for a lock written against another account or the emulator."""
    gate = asyncio.Semaphore(concurrency)
    ordered = sorted(mic_ids)

    async def status_of(mic_id: str) -> str:
        async with gate:
            try:
                return (await client.get_audio(mic_id)).status
            except ApiError as exc:
                if exc.status == 404:
                    return AUDIO_MISSING
                raise exc.for_target(name(mic_id)) from None

    statuses = await _gather_or_cancel(status_of(m) for m in ordered)
    return dict(zip(ordered, statuses, strict=True))


def live_from_lock(lock: Lock) -> Live:
    """The account as podsync.lock last recorded it, for a plan made without an API key (a pull
    request from a fork gets no secrets): every show and episode podsync manages, with the
    titles, descriptions and audio it last applied, and nothing else. `read=False` tells the
    planner and every renderer that this is the lock's word, not the account's.

    Planned against it, the manifests' own changes show and nothing more: no drift (the lock
    agrees with itself), no adoption (nothing but podsync's own shows and episodes is in it),
    and cached audio counts as recorded (``audio`` is left empty, so the lock's statuses stand).
    """
    return Live(
        shows=tuple(
            LiveShow(
                show_id=show.show_id,
                title=show.title,
                description=show.description,
                episodes=tuple(
                    LiveEpisode(e.episode_id, e.mic_id, e.title, e.description)
                    for e in show.episodes.values()
                ),
            )
            for show in lock.shows.values()
        ),
        read=False,
    )
