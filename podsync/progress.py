"""What an apply's audio jobs are doing, as typed events, and the board that keeps count.

The executor says what happened (a job submitted or resumed, polled, finished or failed; a step
done) and nothing about how it is shown: podsync.render.progress draws it, as a live display on
a terminal, a line every PODSYNC_HEARTBEAT_SECONDS without one, or nothing with --quiet. Jobs of
several shows run at once in several asyncio tasks while a display refreshes from a thread of
its own, so the board changes and is read only under its lock.
"""

from __future__ import annotations

import math
import os
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import TracebackType

from podsync.errors import ConfigError

HEARTBEAT_VARIABLE = "PODSYNC_HEARTBEAT_SECONDS"
HEARTBEAT_SECONDS = 30.0  # the promise: without a terminal, a line at least this often


@dataclass(frozen=True)
class JobSubmitted:
    """podsync waits on audio job `job` (a mic_id) for `label` (show/episode); `resumed`: it
    was submitted by an earlier run, or reused from the lock while it still ran."""

    job: str
    label: str
    resumed: bool = False


@dataclass(frozen=True)
class JobPolled:
    """A poll's answer; `percent` only when the API reported one (the API page has none)."""

    job: str
    status: str
    percent: float | None = None


@dataclass(frozen=True)
class JobFinished:
    job: str


@dataclass(frozen=True)
class JobFailed:
    job: str
    reason: str


@dataclass(frozen=True)
class StepDone:
    """One line of what apply did (`+ created show ...`, `$ submitted audio for ...`)."""

    line: str


Event = JobSubmitted | JobPolled | JobFinished | JobFailed | StepDone
Observer = Callable[[Event], None]


@dataclass(frozen=True)
class RunningJob:
    label: str
    status: str
    started: float
    percent: float | None


@dataclass(frozen=True)
class Snapshot:
    """The board at one moment: the jobs still running (longest first) and the counts."""

    running: tuple[RunningJob, ...]
    done: int
    failed: int
    since: float | None  # when the first job of this run was waited on

    @property
    def total(self) -> int:
        return len(self.running) + self.done + self.failed


class Board:
    """The jobs of one run, fed by events from any task or thread."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._lock = threading.Lock()
        self._running: dict[str, RunningJob] = {}
        self._done = 0
        self._failed = 0
        self._since: float | None = None

    def record(self, event: Event) -> None:
        with self._lock:
            if isinstance(event, JobSubmitted):
                now = self.clock()
                self._since = now if self._since is None else self._since
                status = "waiting" if event.resumed else "submitted"
                self._running[event.job] = RunningJob(event.label, status, now, None)
            elif isinstance(event, JobPolled) and event.job in self._running:
                job = self._running[event.job]
                percent = event.percent if event.percent is not None else job.percent
                self._running[event.job] = RunningJob(job.label, event.status, job.started, percent)
            elif isinstance(event, (JobFinished, JobFailed)) and event.job in self._running:
                del self._running[event.job]
                if isinstance(event, JobFinished):
                    self._done += 1
                else:
                    self._failed += 1

    def snapshot(self) -> Snapshot:
        with self._lock:
            running = sorted(self._running.values(), key=lambda job: job.started)
            return Snapshot(tuple(running), self._done, self._failed, self._since)


class Progress:
    """An observer of one apply, used as a context around the run; this one shows nothing
    (--quiet, and every caller that passes no display)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.board = Board(clock)

    def __call__(self, event: Event) -> None:
        self.board.record(event)

    def report(self, line: str) -> None:
        """The executor's step lines, as events."""
        self(StepDone(line))

    def start(self) -> None:
        """The run begins: a display starts drawing."""

    def stop(self) -> None:
        """The run ended (or was interrupted): a display draws its last and lets go."""

    def __enter__(self) -> Progress:
        self.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.stop()


def heartbeat_seconds(environ: Mapping[str, str] = os.environ) -> float:
    """How often a run without a terminal says how many jobs are still running: 30 s unless
    PODSYNC_HEARTBEAT_SECONDS says otherwise (tests set a fraction of a second)."""
    text = environ.get(HEARTBEAT_VARIABLE, "").strip()
    if not text:
        return HEARTBEAT_SECONDS
    try:
        seconds = float(text)
    except ValueError:
        seconds = math.nan
    if not math.isfinite(seconds) or seconds <= 0:
        raise ConfigError(f"{HEARTBEAT_VARIABLE}={text!r}: expected a number of seconds above 0")
    return seconds


def elapsed(seconds: float) -> str:
    """A duration as a progress line says it: "45s", "2m10s", "1h05m"."""
    whole = max(0, int(seconds))
    if whole < 60:
        return f"{whole}s"
    if whole < 3600:
        return f"{whole // 60}m{whole % 60:02d}s"
    return f"{whole // 3600}h{whole % 3600 // 60:02d}m"
