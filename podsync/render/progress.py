"""How an apply's progress is shown: live on a terminal, a heartbeat line in a CI log, or not.

Audio jobs take 2-10 minutes on ZenMic. On a terminal, rich draws one live display on stderr:
each running job (show/episode) with its status, the API's percentage when it reports one and
its elapsed time, and a total line (done, failed, running); the step lines (`$ submitted audio
for ...`) print above it. Without a terminal a line every PODSYNC_HEARTBEAT_SECONDS (30 s)
says how many jobs still run and for how long, between the same step lines. rich honours
NO_COLOR, TERM=dumb and the terminal's width; nothing here writes to stdout, so
`apply --format json` keeps it for the JSON document.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from podsync.plan import counted
from podsync.progress import (
    Event,
    Progress,
    Snapshot,
    StepDone,
    elapsed,
    heartbeat_seconds,
)

# rich only for a terminal's live display (podsync.render.live_progress): an apply in a CI
# log, the GitHub Action's, prints plain lines and does not load it.
if TYPE_CHECKING:
    from rich.console import Console

    from podsync.render.live_progress import LiveProgress as LiveProgress

Write = Callable[[str], None]
NAMED = 3  # jobs a heartbeat line names, longest-running first


def heartbeat_line(snapshot: Snapshot, now: float) -> str:
    """ "… 3 of 8 audio jobs still running, 2m10s: a/e1, a/e2, b/e1, ..." """
    running = snapshot.running
    names = ", ".join(job.label for job in running[:NAMED])
    more = ", ..." if len(running) > NAMED else ""
    since = elapsed(now - snapshot.since) if snapshot.since is not None else "0s"
    return (
        f"… {len(running)} of {counted(snapshot.total, 'audio job')} still running, "
        f"{since}: {names}{more}"
    )


def total_line(snapshot: Snapshot, now: float) -> str:
    since = elapsed(now - snapshot.since) if snapshot.since is not None else "0s"
    return (
        f"audio jobs: {snapshot.done} done, {snapshot.failed} failed, "
        f"{len(snapshot.running)} running ({since})"
    )


class PlainProgress(Progress):
    """No terminal (CI): the step lines as they come and, while any job runs, a heartbeat line
    every `interval` seconds, counted from the start of the run."""

    def __init__(
        self, write: Write, interval: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        super().__init__(clock)
        self.write = write
        self.interval = interval
        self._writing = threading.Lock()  # step lines and heartbeats come from two threads
        self._stopped = threading.Event()
        self._beating: threading.Thread | None = None

    def __call__(self, event: Event) -> None:
        super().__call__(event)
        if isinstance(event, StepDone):
            with self._writing:
                self.write(event.line)

    def start(self) -> None:
        self._stopped.clear()
        self._beating = threading.Thread(target=self._beat, name="podsync-heartbeat", daemon=True)
        self._beating.start()

    def stop(self) -> None:
        self._stopped.set()
        if self._beating is not None:
            self._beating.join()
            self._beating = None

    def _beat(self) -> None:
        while not self._stopped.wait(self.interval):
            snapshot = self.board.snapshot()
            if snapshot.running:
                with self._writing:
                    self.write(heartbeat_line(snapshot, self.board.clock()))


def plain_progress(write: Write) -> PlainProgress:
    """The lines for a log without a terminal (the GitHub Action's), every
    PODSYNC_HEARTBEAT_SECONDS."""
    return PlainProgress(write, heartbeat_seconds())


def progress_display(
    *, quiet: bool, write: Write, color: str = "auto", console: Console | None = None
) -> Progress:
    """The display for this run: nothing with --quiet, rich's live display when stderr is a
    terminal that can redraw (rich's is_interactive: not TERM=dumb, not TTY_INTERACTIVE=0),
    else the plain lines written with `write`. FORCE_COLOR colours a CI log; it does not make
    the log a terminal, so it keeps the heartbeat."""
    if quiet:
        return Progress()
    if console is None and not _isatty(sys.stderr):
        return plain_progress(write)  # the live display needs a terminal: rich stays unloaded
    from rich.console import Console

    from podsync.render.live_progress import LiveProgress

    console = console or Console(
        stderr=True, no_color=True if color == "never" else None, highlight=False
    )
    if console.is_interactive and _isatty(console.file):
        return LiveProgress(console)
    return plain_progress(write)


def _isatty(file: object) -> bool:
    isatty = getattr(file, "isatty", None)
    return isatty is not None and bool(isatty())


def __getattr__(name: str) -> Any:
    """`LiveProgress` stays importable from here (its home is podsync.render.live_progress)."""
    if name == "LiveProgress":
        from podsync.render.live_progress import LiveProgress

        return LiveProgress
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
