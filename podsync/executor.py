"""Apply a Plan: shows first, audio jobs concurrently, episodes in manifest order, removals last.

Every step that changes the world is followed at once by a lock write, every POST /audios is
preceded by one (an unconfirmed record: money in flight), and every audio job's mic_id is written
before podsync waits on it. A run killed at any moment therefore leaves a lock that a new `plan`
can trust: it resumes submitted jobs instead of paying for them twice, and warns about a job
whose answer it never recorded. A re-publish adds the new version before it removes the old one,
so no failure takes an episode off the feed.

One failure does not stop the rest: apply finishes what it can and reports what failed.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from typing import TypeVar

from podsync import failpoints
from podsync.applied_source import published_source
from podsync.client import AudioStatus, ZenMicClient, usable_audio_url
from podsync.errors import ApiError, DocumentChanged, LockError
from podsync.lock import (
    CachedAudio,
    Lock,
    LockedEpisode,
    LockedShow,
    LockStore,
    UnconfirmedJob,
)
from podsync.model import Live, LiveEpisode, LiveShow
from podsync.plan import (
    AddEpisode,
    AdoptEpisode,
    AdoptShow,
    AudioJob,
    DeleteShow,
    ForgetEpisode,
    Plan,
    Publishing,
    RemoveEpisode,
    ReplaceEpisode,
    ShowChange,
)
from podsync.progress import JobFailed, JobFinished, JobPolled, JobSubmitted, Observer
from podsync.render.phrases import show_reason

Report = Callable[[str], None]
T = TypeVar("T")
C = TypeVar("C")
CREATE_ATTEMPTS = 3


class AudioFailed(Exception):
    """The audio for a digest could not be had in this run (job failed or API error)."""


@dataclass
class Outcome:
    """What happened to each change, for the closing report and the exit code."""

    done: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    not_started: list[tuple[str, str]] = field(default_factory=list)
    interrupted: bool = False  # stopped by Ctrl-C: the rest of the plan was not started
    # what the user should know although nothing failed (a create that may have landed twice)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failed and not self.not_started and not self.interrupted


@dataclass(frozen=True)
class PollPolicy:
    """How often to ask about an audio job: backoff from `first` to `most`, unless the API
    says when to come back (Retry-After). Either way a pause lies between `floor` (or `first`,
    if shorter: a caller asked for that) and `ceiling`: a Retry-After of 0 must not turn a job
    that never ends into a flood of requests, nor one of a day keep a one-second job waiting."""

    first: float = 2.0
    most: float = 30.0
    factor: float = 1.5
    give_up_after: float = 30 * 60  # wall-clock seconds of waiting on one job within one apply
    floor: float = 1.0
    ceiling: float = 60.0

    def pause(self, retry_after: float | None, backoff: float) -> float:
        """Seconds until the next poll: the API's wish, else the backoff, within the bounds."""
        wanted = backoff if retry_after is None else retry_after
        return min(max(wanted, min(self.floor, self.first)), self.ceiling)


def forget_stale(store: LockStore, plan: Plan) -> None:
    """Drop lock entries for shows and episodes that left both the manifests and the account."""
    lock = store.lock
    for record in plan.forget:
        if record.show not in lock.shows:
            continue
        if isinstance(record, ForgetEpisode):
            lock = lock.without_episode(record.show, record.key)
        else:
            lock = lock.without_show(record.show)
    store.save(lock)


def forget_retired(store: LockStore, live: Live | None) -> None:
    """Drop the records of old versions of re-published episodes that the account no longer
    has: removed by a run that stopped before it could write so down (or by hand)."""
    if live is None or not live.read:
        return
    lock = store.lock
    for key, show in lock.shows.items():
        live_show = live.show(show.show_id)
        if not show.retired or live_show is None or live_show.episodes is None:
            continue
        listed = {e.id for e in live_show.episodes}
        for episode_id in show.retired:
            if episode_id not in listed:
                lock = lock.without_retired(key, episode_id)
    store.save(lock)


def record_protection(store: LockStore, plan: Plan) -> None:
    """Write the plan's `protect:` values into the lock records that exist by now (no request);
    apply calls it again after publishing, for the records publishing created."""
    lock = store.lock
    for show_key, episode_key, protected in plan.protect:
        lock = lock.with_protection(show_key, episode_key, protected)
    store.save(lock)


def protected_keys(lock: Lock, plan: Plan | None = None) -> frozenset[tuple[str, str | None]]:
    """(show, None) and (show, episode) for everything protected in the lock or by the plan."""
    keys = {(s, e) for s, e, protected in (plan.protect if plan else ()) if protected}
    for key, show in lock.shows.items():
        if show.protected:
            keys.add((key, None))
        keys.update((key, k) for k, e in show.episodes.items() if e.protected)
    return frozenset(keys)


def publishing_new_audio(plan: Plan) -> list[Publishing]:
    """The adds and replaces that publish audio of their own (not the live episode's audio
    again): the episodes whose audio apply waits on, and a preview makes."""
    return [c for c in publishing(plan) if not c.republish]


def publishing(plan: Plan) -> list[Publishing]:
    return [c for c in plan.episodes if isinstance(c, (AddEpisode, ReplaceEpisode))]


def adopt_show(lock: Lock, change: AdoptShow) -> Lock:
    """The lock with an adopted live show under its key; on a key rename the entry (and its
    episodes) moves from the old key. No request: adopting only records what exists."""
    if change.renamed_from is not None and change.renamed_from in lock.shows:
        moved = lock.shows[change.renamed_from]
        lock = lock.without_show(change.renamed_from).with_show(change.key, moved)
    recorded = lock.shows.get(change.key)
    if recorded is None or recorded.show_id != change.show_id:
        recorded = LockedShow(change.show_id, change.title, change.description)
    return lock.with_show(change.key, recorded)


def adopt_episode(lock: Lock, change: AdoptEpisode) -> Lock:
    """The lock with an adopted live episode recorded under its show, which must be in it.

    The live values are recorded; the audio cache is not filled, since nothing proves that this
    episode's audio was made from this source."""
    old_key = change.renamed_from
    moved = lock.shows[change.show].episodes.get(old_key) if old_key is not None else None
    if old_key is not None and moved is not None and moved.episode_id == change.episode_id:
        # A key rename: the record moves whole, in one lock write, last-applied values and all.
        lock = lock.without_episode(change.show, old_key)
        return lock.with_episode(change.show, change.key, moved)
    episode = LockedEpisode(
        change.episode_id, change.mic_id, change.digest, change.title, change.description
    )
    return lock.with_episode(change.show, change.key, episode)


class Executor:
    def __init__(
        self,
        client: ZenMicClient,
        store: LockStore,
        plan: Plan,
        *,
        concurrency: int = 8,
        allow_destroy: bool = False,
        poll: PollPolicy | None = None,
        report: Report | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        outcome: Outcome | None = None,
        live: Live | None = None,
        clock: Callable[[], float] = time.monotonic,
        observe: Observer | None = None,
    ):
        self.client = client
        self.store = store
        self.plan = plan
        self.allow_destroy = allow_destroy
        self.poll = poll or PollPolicy()
        self.report = report or (lambda _line: None)
        self.sleep = sleep
        self.clock = clock
        self.observe = observe or (lambda _event: None)  # a display of the jobs (progress.py)
        # given by a caller that must still report it when this run is interrupted
        self.outcome = outcome if outcome is not None else Outcome()
        self._live = live
        # What the account held when the plan was made: nothing in it can be a show or episode
        # this run created, whatever its title.
        self._existed = {
            item
            for show in (live.shows if live else ())
            for item in (show.show_id, *(e.id for e in show.episodes or ()))
        }
        self._jobs = asyncio.Semaphore(concurrency)
        self._lanes = asyncio.Semaphore(concurrency)  # shows whose changes run at once
        self._audio: dict[str, asyncio.Task[CachedAudio]] = {}
        self._audio_reported: set[str] = set()  # digests whose failure an episode reported
        self._unrecorded: list[str] = []  # jobs submitted whose id the lock could not take
        self._stopping = False  # the lock cannot be written: start nothing more
        self._show_ids: dict[str, str] = {k: s.show_id for k, s in store.lock.shows.items()}
        self._broken_shows: dict[str, str] = {}
        self._protected = protected_keys(store.lock, plan)  # as before this run changed any

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
        shows = sorted({c.show for c in self.plan.episodes if c.action in ("add", "replace")})
        await asyncio.gather(*(self._publish_show(key) for key in shows))
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

    # shows

    async def _apply_show(self, change: ShowChange) -> None:
        label = f"show {change.key}"
        lock = self.store.lock
        try:
            if change.action == "create":
                live = await self._create_show(change.title, change.description)
                failpoints.reached("show-created")
                lock = self.store.lock.with_show(  # as it is now: other shows run meanwhile
                    change.key, LockedShow(live.show_id, live.title, live.description)
                )
                self.report(f"+ created {label} ({live.show_id})")
            elif change.action == "adopt":
                lock = adopt_show(lock, change)
                self.report(f"= adopted {label} ({change.show_id})")
            elif change.action == "update":
                live = await self.client.update_show(
                    change.show_id, change.title, change.description
                )
                lock = self.store.lock
                recorded = lock.shows[change.key]
                lock = lock.with_show(
                    change.key, replace(recorded, title=live.title, description=live.description)
                )
                self.report(f"~ updated {label} ({show_reason(change.reason)})")
        except ApiError as exc:
            self._fail(label, exc.for_target(label))
            self._broken_shows[change.key] = label
            return
        await self.store.commit(lock)
        self._show_ids[change.key] = lock.shows[change.key].show_id
        self.outcome.done.append(f"{change.action} {label}")

    async def _create_show(self, title: str, description: str) -> LiveShow:
        async def find() -> LiveShow | None:
            claimed = set(self._show_ids.values()) | self._existed
            shows = await self.client.list_shows()
            return next((s for s in shows if s.title == title and s.show_id not in claimed), None)

        return await self._create_once(
            lambda: self.client.create_show(title, description), find, f"show '{title}'"
        )

    async def _create_once(
        self,
        create: Callable[[], Awaitable[T]],
        find: Callable[[], Awaitable[T | None]],
        what: str,
    ) -> T:
        """Create something exactly once although a create may fail after taking effect.

        A POST that fails with an unknown outcome (a 500, a dropped connection) may have created
        the show or episode; sending it again would make a second one. So look at the account
        first, and only when the thing is not there, try again. The planner made this create
        because no such show or episode existed, so one that has appeared since is ours.
        """
        unknown: ApiError | None = None
        for attempt in range(1, CREATE_ATTEMPTS + 1):
            try:
                return await create()
            except ApiError as exc:
                if not exc.outcome_unknown:
                    raise
                unknown = exc
            settle = self.client.timeouts.settle
            # a success that did not say what it made (201 with an empty body): never re-sent
            took_effect = unknown.status is not None and 200 <= unknown.status < 300
            if unknown.unanswered:
                # No answer yet: the server may still be working on it. Give it time to land
                # before looking, or the look misses it and the create is sent twice.
                self.report(
                    f"  ({what}: no answer in time; looking for it in the account in "
                    f"{settle:g}s before sending it again)"
                )
                await self.sleep(settle)
            found = await find()
            if found is None and took_effect:
                await self.sleep(settle)  # the account may show it a moment later
                found = await find()
            if took_effect:
                if found is None:
                    raise unknown
                self.report(f"  ({what} was created; the API's answer did not say what it made)")
                return found
            if found is not None:
                why = (
                    "its request got no answer"
                    if unknown.unanswered
                    else "the API reported a failure"
                )
                self.report(f"  ({what} was created although {why})")
                return found
            if unknown.unanswered and attempt < CREATE_ATTEMPTS:
                self.report(
                    f"  ({what} is not in the account {settle:g}s after its request got no "
                    "answer: sending it again; if that first request still takes effect, a "
                    "duplicate may exist, and the next plan names it)"
                )
                self.outcome.warnings.append(
                    f"{what} was sent again after a request that got no answer: if that "
                    "request took effect late, a duplicate exists; the next plan names it"
                )
        assert unknown is not None
        raise unknown

    async def _delete_show(self, change: DeleteShow) -> None:
        label = f"show {change.key}"
        if self._refuse_protected(change.key, None, label):
            return
        if not self.allow_destroy:
            self.outcome.not_started.append((label, "deleting a show needs --allow-destroy"))
            return
        try:
            await self.client.delete_show(change.show_id)
        except ApiError as exc:
            if exc.status != 404:  # already deleted by hand since the plan: nothing left to do
                self._fail(label, exc.for_target(label))
                return
        await self.store.commit(self.store.lock.without_show(change.key))
        self.outcome.done.append(f"delete {label}")
        self.report(f"- deleted {label} ({change.show_id})")

    # audio

    def _start_audio(self) -> None:
        """Start the audio each publishing episode waits on; pay for none whose every episode
        belongs to a show that could not be created or updated."""
        needed = {
            c.digest for c in publishing_new_audio(self.plan) if c.show not in self._broken_shows
        }
        for job in self.plan.audio:
            if job.digest in needed:
                self._audio[job.digest] = asyncio.create_task(self._obtain_audio(job))
            elif job.action == "generate":
                blocked = self._broken_shows.get(job.show, f"show {job.show}")
                label = f"audio for {job.show}/{job.episode}"
                self.outcome.not_started.append((label, f"waits on {blocked}"))

    def _report_unclaimed_audio_failures(self) -> None:
        """A job can fail for an episode that waits behind an earlier failure; its reason (a job
        that may have been billed, say) belongs in the report all the same."""
        for job in self.plan.audio:
            task = self._audio.get(job.digest)
            if task is None or job.digest in self._audio_reported:
                continue
            failure = task.exception()
            if isinstance(failure, AudioFailed):
                self._fail(f"audio for {job.show}/{job.episode}", failure)

    async def _obtain_audio(self, job: AudioJob) -> CachedAudio:
        label = f"audio for {job.show}/{job.episode}"
        cached = self.store.lock.audio.get(job.digest)
        # A cached job without a usable audio_url is asked about again, never taken as finished.
        if (
            job.action == "reuse"
            and cached is not None
            and cached.succeeded
            and usable_audio_url(cached.audio_url)
        ):
            return cached
        async with self._jobs:
            if self._stopping:
                raise AudioFailed("not started: apply stopped")
            try:
                if job.action == "generate":
                    status = await self._submit(job)
                    failpoints.reached("audio-submitted")
                    try:
                        await self._record(job.digest, status)
                    except LockError:
                        self._unrecorded.append(f"job {status.id} for {job.show}/{job.episode}")
                        raise
                    failpoints.reached("audio-recorded")
                    self.report(f"$ submitted {label} ({status.id})")
                    self.outcome.done.append(f"submit {label}")
                    mic_id = status.id
                    submitted: AudioStatus | None = status
                else:
                    mic_id, submitted = job.mic_id, None
                final = await self._wait(job, mic_id, submitted)
            except ApiError as exc:
                raise AudioFailed(str(exc.for_target(f"{job.show}/{job.episode}"))) from None
            except asyncio.CancelledError:  # Ctrl-C: the jobs waiting their turn start no more
                self._stopping = True
                for other in self._audio.values():
                    other.cancel()
                raise
        if final.status != "succeeded":
            raise AudioFailed(
                f"audio job {mic_id} {final.status}: {final.error or 'no reason given'}"
            )
        self.report(f"♪ audio ready for {job.show}/{job.episode} ({mic_id})")
        return self.store.lock.audio[job.digest]

    async def _submit(self, job: AudioJob) -> AudioStatus:
        """POST /audios, with the money in flight on record: an unconfirmed record is durable
        before the request goes out, so a run killed (or interrupted) before the answer is
        written down leaves a warning for the next plan. The job's record replaces it."""
        at = datetime.now(timezone.utc).isoformat(timespec="seconds")
        sent = UnconfirmedJob(at, "POST /audios: podsync stopped before its answer was recorded")
        await self.store.commit(self.store.lock.with_unconfirmed(job.digest, sent))
        failpoints.reached("audio-sending")
        try:
            return await self.client.submit_audio(job.source, job.title)
        except DocumentChanged as exc:  # found before anything was sent
            await self.store.commit(self.store.lock.without_unconfirmed(job.digest))
            raise AudioFailed(f"{exc}; nothing was uploaded or paid for") from None
        except ApiError as exc:
            refused = exc.status is not None and 400 <= exc.status < 500
            if refused and not exc.outcome_unknown:  # no job was made
                await self.store.commit(self.store.lock.without_unconfirmed(job.digest))
            else:
                await self._record_unconfirmed(job.digest, exc)
            raise

    async def _wait(self, job: AudioJob, mic_id: str, submitted: AudioStatus | None) -> AudioStatus:
        """Poll until the job ends or `give_up_after` seconds of wall time have passed (the
        pauses asked for are no measure: a server may answer slowly). A job just submitted is
        first given a pause: it cannot have finished yet."""
        started = self.clock()
        self.observe(JobSubmitted(mic_id, f"{job.show}/{job.episode}", submitted is None))
        delay = self.poll.first
        try:
            status = submitted or await self._poll(job.digest, mic_id)
            while not status.done:
                if self._stopping:
                    raise AudioFailed(
                        f"apply stopped; audio job {mic_id} stays recorded in the lock"
                    )
                waited = self.clock() - started
                if waited >= self.poll.give_up_after:
                    raise AudioFailed(
                        f"audio job {mic_id} is still {status.status} after {_took(waited)}; "
                        "it stays recorded in podsync.lock and the next apply waits on it"
                    )
                pause = self.poll.pause(status.retry_after, delay)
                await self.sleep(min(pause, self.poll.give_up_after - waited))
                delay = min(delay * self.poll.factor, self.poll.most)
                status = await self._poll(job.digest, mic_id)
        except (AudioFailed, ApiError) as exc:
            self.observe(JobFailed(mic_id, str(exc)))
            raise
        failed = JobFailed(mic_id, status.error or status.status)
        self.observe(JobFinished(mic_id) if status.status == "succeeded" else failed)
        return status

    async def _poll(self, digest: str, mic_id: str) -> AudioStatus:
        status = await self.client.get_audio(mic_id)
        failpoints.reached("audio-polled")
        await self._record(digest, status)
        self.observe(JobPolled(mic_id, status.status, status.progress))
        return status

    async def _record_unconfirmed(self, digest: str, exc: ApiError) -> None:
        at = datetime.now(timezone.utc).isoformat(timespec="seconds")
        what = f"{exc.method} {exc.path}" + (f" -> {exc.status}" if exc.status else "")
        await self.store.commit(self.store.lock.with_unconfirmed(digest, UnconfirmedJob(at, what)))

    async def _record(self, digest: str, status: AudioStatus) -> None:
        cached = CachedAudio(
            mic_id=status.id,
            status=status.status,
            audio_url=status.audio_url,
            audio_page_url=status.audio_page_url,
            error=status.error,
        )
        if self.store.lock.audio.get(digest) != cached:
            await self.store.commit(self.store.lock.with_audio(digest, cached))

    # episodes

    def _adopt_episodes(self) -> None:
        lock = self.store.lock
        for change in self.plan.episodes:
            if change.action != "adopt" or change.show not in lock.shows:
                continue
            lock = adopt_episode(lock, change)
            self.outcome.done.append(f"adopt episode {change.show}/{change.key}")
        self.store.save(lock)

    async def _publish_show(self, show_key: str) -> None:
        """Publish one show's episodes strictly in manifest order, each as soon as its audio is
        ready; after a failure the later ones wait for the next run, so the feed keeps order."""
        changes = sorted(
            (
                c
                for c in self.plan.episodes
                if c.show == show_key and c.action in ("add", "replace")
            ),
            key=lambda c: c.position,
        )
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
        lock = self.store.lock.with_episode(
            change.show,
            change.key,
            LockedEpisode(
                live.id,
                live.mic_id,
                change.digest,
                live.title,
                live.description,
                source=published_source(self.plan.audio, change.digest),
            ),
        )
        old = change.episode_id if isinstance(change, ReplaceEpisode) else None
        if old:
            lock = lock.with_retired(change.show, old, change.key)
        await self.store.commit(lock)
        verb = "re-published" if change.action == "replace" else "published"
        self.outcome.done.append(f"{change.action} episode {label}")
        self.report(f"{'~' if change.action == 'replace' else '+'} {verb} episode {label}")
        if old:
            failpoints.reached("episode-retiring")
            await self._remove_old_version(change, show_id, old)

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

    def _refuse_protected(self, show: str, episode: str | None, label: str) -> bool:
        """Never remove what is protected, whatever the plan says: the guards stop such a plan
        before apply starts, and this is the last line of defence behind them."""
        keys = self._protected | protected_keys(self.store.lock)
        hit = any(s == show for s, _ in keys) if episode is None else (show, episode) in keys
        if hit:
            reason = "protected (protect: true); set protect: false and apply first"
            self.outcome.not_started.append((label, reason))
        return hit

    def _fail(self, label: str, exc: Exception | str) -> None:
        self.outcome.failed.append((label, str(exc)))
        self.report(f"! failed {label}: {exc}")


def _lanes(changes: Iterable[C], lane: Callable[[C], str]) -> list[list[C]]:
    """`changes` grouped by `lane(change)`, in order within each group and between groups."""
    grouped: dict[str, list[C]] = {}
    for change in changes:
        grouped.setdefault(lane(change), []).append(change)
    return list(grouped.values())


def _took(seconds: float) -> str:
    """A wait as people say it: "45s", "2m 30s"."""
    whole = round(seconds)
    return f"{whole}s" if whole < 60 else f"{whole // 60}m {whole % 60:02d}s"


def _kept(change: Publishing) -> str:
    """What a failed replace left on the feed: the live episode, untouched (the add comes
    first)."""
    return "; the live episode stays on the feed as it was" if change.action == "replace" else ""
