"""The Executor: the order of an apply's steps (see the package docstring), over the show,
audio and episode steps that each live in a module of their own."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable

from podsync.errors import LockError
from podsync.executor.audio import AudioSteps
from podsync.executor.base import C, Outcome
from podsync.executor.episodes import EpisodeSteps
from podsync.executor.records import forget_retired, forget_stale, record_protection
from podsync.executor.shows import ShowSteps
from podsync.plan import RemoveEpisode


class Executor(ShowSteps, AudioSteps, EpisodeSteps):
    async def run(self) -> Outcome:
        return await self._stopping_on_lock_errors(self._run_all)

    async def run_audio(self) -> Outcome:
        """Only the audio phase, for a preview: obtain the audio of every episode the plan
        publishes with new audio and record it in the lock; no show, episode or removal.
        Jobs belong to the account, not to a show, so a show still to be created does not
        hold them back."""
        return await self._stopping_on_lock_errors(self._audio_only)

    async def _stopping_on_lock_errors(self, body: Callable[[], Awaitable[None]]) -> Outcome:
        """Run `body`; once the lock cannot be written, stop every job task and name each job
        that was submitted but could not be recorded, since it may be billed."""
        try:
            await body()
            for task in self._audio.values():
                failure = task.exception() if task.done() and not task.cancelled() else None
                if isinstance(failure, LockError):
                    raise failure
        except LockError as exc:
            # Jobs in flight are let finish their request, so each id that comes back is named;
            # none starts a new job and none waits on one any longer.
            self._stopping = True
            await asyncio.gather(*self._audio.values(), return_exceptions=True)
            if self._unrecorded:
                jobs = ", ".join(self._unrecorded)
                raise LockError(
                    f"{exc}; submitted (and may be billed) but not recorded: {jobs}"
                ) from None
            raise
        return self.outcome

    async def _run_all(self) -> None:
        forget_stale(self.store, self.plan)
        forget_retired(self.store, self._live)
        record_protection(self.store, self.plan)
        for change in self.plan.shows:  # no request: before the shows that send one
            if change.action == "adopt":
                await self._apply_show(change)
        await self._in_lanes(
            _lanes(
                (c for c in self.plan.shows if c.action in ("create", "update")),
                lambda c: f"title {c.title}" if c.action == "create" else c.key,
            ),
            self._apply_show,
        )
        self._adopt_episodes()
        self._start_audio()
        await asyncio.gather(*(self._publish_show(key) for key in sorted(self._publishing_by_show)))
        await asyncio.gather(*self._audio.values(), return_exceptions=True)
        self._report_unclaimed_audio_failures()
        record_protection(self.store, self.plan)
        removals = (c for c in self.plan.episodes if isinstance(c, RemoveEpisode))
        await self._in_lanes(_lanes(removals, lambda c: c.show), self._remove)
        for show in self.plan.shows:
            if show.action == "delete":
                await self._delete_show(show)

    async def _in_lanes(self, lanes: list[list[C]], step: Callable[[C], Awaitable[None]]) -> None:
        """Each lane's changes in order, lanes side by side, at most `concurrency` at once
        (shows are independent; within one, order matters). When one lane raises (the lock
        cannot be written), the others finish the step they are in and start no other."""

        async def run(lane: list[C]) -> None:
            async with self._lanes:
                for change in lane:
                    if self._stopping:
                        return
                    try:
                        await step(change)
                    except Exception:
                        self._stopping = True
                        raise

        results = await asyncio.gather(*(run(lane) for lane in lanes), return_exceptions=True)
        for result in results:
            if isinstance(result, BaseException):
                raise result

    async def _audio_only(self) -> None:
        self._start_audio()
        await asyncio.gather(*self._audio.values(), return_exceptions=True)
        self._report_unclaimed_audio_failures()


def _lanes(changes: Iterable[C], lane: Callable[[C], str]) -> list[list[C]]:
    """`changes` grouped by `lane(change)`, in order within each group and between groups."""
    grouped: dict[str, list[C]] = {}
    for change in changes:
        grouped.setdefault(lane(change), []).append(change)
    return list(grouped.values())
