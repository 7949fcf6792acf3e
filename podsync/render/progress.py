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

import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from rich.console import Console, RenderableType
from rich.progress import Progress as RichProgress
from rich.progress import (
    SpinnerColumn,
    TaskID,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Column
from rich.text import Text

from podsync import safe_text
from podsync.plan import counted
from podsync.progress import (
    Event,
    JobFailed,
    JobFinished,
    JobPolled,
    JobSubmitted,
    Progress,
    Snapshot,
    StepDone,
    elapsed,
    heartbeat_seconds,
)

Write = Callable[[str], None]
_LABEL = Column(overflow="ellipsis", no_wrap=True, ratio=1)
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


class _JobBars(RichProgress):
    """rich's progress display with the run's total line under the jobs."""

    def __init__(self, total: Callable[[], str], *columns: Any, **options: Any) -> None:
        self._total = total  # rich draws once while it is being made
        super().__init__(*columns, **options)

    def get_renderables(self) -> Iterable[RenderableType]:
        if self.tasks:
            yield self.make_tasks_table(self.tasks)
        yield Text(self._total(), style="bold")


class LiveProgress(Progress):
    """A terminal: one live display of the running jobs and the total, on `console`."""

    def __init__(self, console: Console, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__(clock)
        self.console = console
        self._bars = _JobBars(
            self._total,
            SpinnerColumn(),
            # on a narrow terminal the label gives way (…), never the time or the percentage
            TextColumn("{task.description}", markup=False, table_column=_LABEL),
            TextColumn("{task.fields[status]}", markup=False, style="cyan"),
            TaskProgressColumn(text_format_no_percentage="    "),
            TimeElapsedColumn(),
            console=console,
            transient=True,
            refresh_per_second=4,
            expand=True,
            redirect_stdout=False,  # stdout is the plan's, or the JSON document's: never ours
        )
        self._tasks: dict[str, TaskID] = {}
        self._changing = threading.Lock()

    def __call__(self, event: Event) -> None:
        super().__call__(event)
        with self._changing:
            self._show(event)
            if not isinstance(event, StepDone):
                self._bars.refresh()  # a job that ended leaves now, not at the next tick

    def _show(self, event: Event) -> None:
        if isinstance(event, StepDone):
            self.console.print(Text(safe_text.message(event.line)))
        elif isinstance(event, JobSubmitted):
            label = safe_text.message(event.label)
            status = "waiting" if event.resumed else "submitted"
            self._tasks[event.job] = self._bars.add_task(label, total=None, status=status)
        elif isinstance(event, JobPolled) and event.job in self._tasks:
            task = self._tasks[event.job]
            status = safe_text.message(event.status)
            if event.percent is None:
                self._bars.update(task, status=status)
            else:
                self._bars.update(task, status=status, total=100, completed=event.percent)
        elif isinstance(event, (JobFinished, JobFailed)) and event.job in self._tasks:
            self._bars.remove_task(self._tasks.pop(event.job))

    def _total(self) -> str:
        return total_line(self.board.snapshot(), self.board.clock())

    def start(self) -> None:
        self._bars.start()

    def stop(self) -> None:
        self._bars.stop()


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
    console = console or Console(
        stderr=True, no_color=True if color == "never" else None, highlight=False
    )
    isatty = getattr(console.file, "isatty", None)
    if console.is_interactive and isatty is not None and isatty():
        return LiveProgress(console)
    return plain_progress(write)
