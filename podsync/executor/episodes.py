"""The episode steps of an apply: adopt, publish in manifest order, re-publish, remove."""

from __future__ import annotations

from functools import cached_property

from podsync import failpoints
from podsync.applied_source import AppliedSource, applied_source
from podsync.errors import ApiError
from podsync.executor.base import AudioFailed, ExecutorBase, _kept
from podsync.executor.records import adopt_episode, publishing
from podsync.lock import LockedEpisode
from podsync.model import LiveEpisode
from podsync.plan import Publishing, RemoveEpisode, ReplaceEpisode


class EpisodeSteps(ExecutorBase):
    def _adopt_episodes(self) -> None:
        lock = self.store.lock
        for change in self.plan.episodes:
            if change.action != "adopt" or change.show not in lock.shows:
                continue
            lock = adopt_episode(lock, change)
            self.outcome.done.append(f"adopt episode {change.show}/{change.key}")
        self.store.save(lock)

    @cached_property
    def _publishing_by_show(self) -> dict[str, list[Publishing]]:
        """The adds and replaces of each show: grouped once, not looked for among every
        episode of the plan once per show."""
        grouped: dict[str, list[Publishing]] = {}
        for change in publishing(self.plan):
            grouped.setdefault(change.show, []).append(change)
        return grouped

    async def _publish_show(self, show_key: str) -> None:
        """Publish one show's episodes strictly in manifest order, each as soon as its audio is
        ready; after a failure the later ones wait for the next run, so the feed keeps order."""
        changes = sorted(self._publishing_by_show.get(show_key, ()), key=lambda c: c.position)
        blocked = self._broken_shows.get(show_key)
        for change in changes:
            label = f"episode {change.show}/{change.key}"
            if blocked is not None:
                self.outcome.not_started.append((label, f"waits on {blocked}"))
                continue
            if change.action == "replace" and self._refuse_protected(show_key, change.key, label):
                blocked = label
                continue
            try:
                if isinstance(change, ReplaceEpisode) and change.republish:
                    mic_id = change.mic_id
                else:
                    mic_id = (await self._audio[change.digest]).mic_id
                await self._publish(change, mic_id)
            except AudioFailed as exc:
                self._fail(label, f"{exc}{_kept(change)}")
                self._audio_reported.add(change.digest)
                blocked = label
            except ApiError as exc:
                self._fail(label, f"{exc.for_target(label)}{_kept(change)}")
                blocked = label

    async def _publish(self, change: Publishing, mic_id: str) -> None:
        """Publish an episode; a replace adds the new version before it removes the old one
        (Terraform's create_before_destroy), since ZenMic cannot edit an episode.

        For a moment the feed shows both; in exchange no failure takes the episode off the
        feed: an add that is refused leaves the old version live and untouched, and a removal
        that fails leaves both live, with the old one recorded in the lock as retired, so the
        next apply removes it and says that podsync re-published it."""
        show_id = self._show_ids[change.show]
        label = f"{change.show}/{change.key}"
        live = await self._add_episode(change, show_id, mic_id)
        failpoints.reached("episode-added")
        # kept alive until committed: the lock's journal then writes only what the two changed
        lock = published = self.store.lock.with_episode(
            change.show,
            change.key,
            LockedEpisode(
                live.id,
                live.mic_id,
                change.digest,
                live.title,
                live.description,
                source=self._published_source(change.digest),
            ),
        )
        old = change.episode_id if isinstance(change, ReplaceEpisode) else None
        if old:
            lock = published.with_retired(change.show, old, change.key)
        await self.store.commit(lock)
        verb = "re-published" if change.action == "replace" else "published"
        self.outcome.done.append(f"{change.action} episode {label}")
        self.report(f"{'~' if change.action == 'replace' else '+'} {verb} episode {label}")
        if old:
            failpoints.reached("episode-retiring")
            await self._remove_old_version(change, show_id, old)

    def _published_source(self, digest: str) -> AppliedSource | None:
        """The record of the source with `digest`: every published episode has an audio job
        in the plan (a re-publish, a reuse of its own audio)."""
        source = self._sources.get(digest)
        return applied_source(source) if source is not None else None

    async def _remove_old_version(self, change: Publishing, show_id: str, old: str) -> None:
        label = f"old version of episode {change.show}/{change.key} ({old})"
        try:
            await self._remove_episode(show_id, old)
        except ApiError as exc:
            self._fail(
                label,
                f"{exc.for_target(label)}; the new version is live and recorded, and the old "
                "one stays live beside it until the next apply removes it",
            )
            return
        failpoints.reached("episode-removed")
        await self.store.commit(self.store.lock.without_retired(change.show, old))
        self.outcome.done.append(f"remove {label}")
        self.report(f"- removed the {label}")

    async def _add_episode(self, change: Publishing, show_id: str, mic_id: str) -> LiveEpisode:
        title, description = change.title, change.description

        async def find() -> LiveEpisode | None:
            locked = self.store.lock.shows.get(change.show)
            claimed = {e.episode_id for e in locked.episodes.values()} if locked else set()
            claimed |= self._existed  # a replace's old version among them: it is still live
            episodes = await self.client.list_episodes(show_id)
            return next(
                (
                    e
                    for e in episodes
                    if e.mic_id == mic_id and e.title == title and e.id not in claimed
                ),
                None,
            )

        return await self._create_once(
            lambda: self.client.add_episode(show_id, mic_id, title, description),
            find,
            f"episode {change.show}/{change.key}",
        )

    async def _remove(self, change: RemoveEpisode) -> None:
        label = f"episode {change.show}/{change.key}"
        show = self.store.lock.shows.get(change.show)
        recorded = show.episodes.get(change.key) if show is not None else None
        # The old version of a re-publish is not the protected episode, which is its new version.
        old_version = recorded is not None and recorded.episode_id != change.episode_id
        if not old_version and self._refuse_protected(change.show, change.key, label):
            return
        show_id = self._show_ids.get(change.show)
        try:
            await self._remove_episode(show_id or "", change.episode_id)
        except ApiError as exc:
            self._fail(label, exc.for_target(label))
            return
        failpoints.reached("episode-removed")
        lock = self.store.lock
        recorded = (
            lock.shows[change.show].episodes.get(change.key) if change.show in lock.shows else None
        )
        if recorded is not None and recorded.episode_id == change.episode_id:
            lock = lock.without_episode(change.show, change.key)
        # the old version of a re-publish: the key's record is the new version, which stays
        await self.store.commit(lock.without_retired(change.show, change.episode_id))
        self.outcome.done.append(f"remove {label}")
        self.report(f"- removed {label}")

    async def _remove_episode(self, show_id: str, episode_id: str) -> None:
        """Remove an episode; one already gone (removed by hand since the plan) is fine."""
        try:
            await self.client.remove_episode(show_id, episode_id)
        except ApiError as exc:
            if exc.status != 404:
                raise
