"""The audio steps of an apply: submit or resume each job, poll it, record it in the lock."""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone

from podsync import failpoints
from podsync.client import AudioStatus, usable_audio_url
from podsync.errors import ApiError, DocumentChanged, LockError
from podsync.executor.base import AudioFailed, ExecutorBase, _took
from podsync.executor.records import publishing_new_audio
from podsync.lock import CachedAudio, UnconfirmedJob
from podsync.plan import AudioJob
from podsync.progress import JobFailed, JobFinished, JobPolled, JobSubmitted


class AudioSteps(ExecutorBase):
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
