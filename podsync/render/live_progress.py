"""The live display of an apply's audio jobs on a terminal, drawn by rich (see
podsync.render.progress, which chooses it only when stderr is a terminal that can redraw, so
that an apply in a CI log does not load rich)."""

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
from podsync.progress import (
    Event,
    JobFailed,
    JobFinished,
    JobPolled,
    JobSubmitted,
    Progress,
    StepDone,
)
from podsync.render.progress import total_line

_LABEL = Column(overflow="ellipsis", no_wrap=True, ratio=1)


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
