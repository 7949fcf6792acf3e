"""What every step of an apply shares: its outcome, how audio jobs are polled, and the
state and helpers (create exactly once, refuse the protected, record a failure) of one run."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TypeVar

from podsync.client import ZenMicClient
from podsync.errors import ApiError
from podsync.executor.records import protected_keys
from podsync.lock import CachedAudio, Lock, LockStore
from podsync.model import Live
from podsync.plan import Plan, Publishing
from podsync.progress import Observer

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


class ExecutorBase:
    """The state of one apply, which the show, audio and episode steps read and change."""

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
        # each published source, by digest, for the record the lock keeps of it
        self._sources = {job.digest: job.source for job in plan.audio}
        self._jobs = asyncio.Semaphore(concurrency)
        self._lanes = asyncio.Semaphore(concurrency)  # shows whose changes run at once
        self._audio: dict[str, asyncio.Task[CachedAudio]] = {}
        self._audio_reported: set[str] = set()  # digests whose failure an episode reported
        self._unrecorded: list[str] = []  # jobs submitted whose id the lock could not take
        self._stopping = False  # the lock cannot be written: start nothing more
        self._show_ids: dict[str, str] = {k: s.show_id for k, s in store.lock.shows.items()}
        self._broken_shows: dict[str, str] = {}
        self._protected = protected_keys(store.lock, plan)  # as before this run changed any

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

    def _refuse_protected(self, show: str, episode: str | None, label: str) -> bool:
        """Never remove what is protected, whatever the plan says: the guards stop such a plan
        before apply starts, and this is the last line of defence behind them."""
        hit = _protected_in(self.store.lock, show, episode) or (
            any(s == show for s, _ in self._protected)
            if episode is None
            else (show, episode) in self._protected
        )
        if hit:
            reason = "protected (protect: true); set protect: false and apply first"
            self.outcome.not_started.append((label, reason))
        return hit

    def _fail(self, label: str, exc: Exception | str) -> None:
        self.outcome.failed.append((label, str(exc)))
        self.report(f"! failed {label}: {exc}")


def _protected_in(lock: Lock, show: str, episode: str | None) -> bool:
    """Whether the lock marks the show (or one of its episodes) or the episode protected: what
    `protected_keys` says of these keys, without walking every show of a large lock."""
    recorded = lock.shows.get(show)
    if recorded is None:
        return False
    if episode is None:
        return recorded.protected or any(e.protected for e in recorded.episodes.values())
    found = recorded.episodes.get(episode)
    return found is not None and found.protected


def _took(seconds: float) -> str:
    """A wait as people say it: "45s", "2m 30s"."""
    whole = round(seconds)
    return f"{whole}s" if whole < 60 else f"{whole // 60}m {whole % 60:02d}s"


def _kept(change: Publishing) -> str:
    """What a failed replace left on the feed: the live episode, untouched (the add comes
    first)."""
    return "; the live episode stays on the feed as it was" if change.action == "replace" else ""
